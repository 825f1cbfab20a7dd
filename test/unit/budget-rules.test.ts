// Key names, admin keys and token budgets as configured: each bad value one clear line, and which
// budgets bind a key calling a model.
import { describe, expect, it } from 'vitest';
import { problems } from '../support/config.ts';
import { loadConfig } from '../../src/config.ts';
import { Budgets, parseBudgetRules } from '../../src/usage/budgets.ts';
import { createLedger } from '../../src/usage/ledger.ts';
import { Spending } from '../../src/usage/spending.ts';

const KEY = '0123456789abcdef';

describe('TOKEN_BUDGETS, GATEWAY_ADMIN_KEYS and key names', () => {
  it('reads named keys, admins and budgets', () => {
    const config = loadConfig({
      GATEWAY_API_KEYS: `web:${KEY},ops:${KEY}x,${KEY}yy`,
      GATEWAY_ADMIN_KEYS: 'ops',
      TOKEN_BUDGETS: ' web=100/day ; web@meta/*=50/month\n*=1000/month;',
    });
    expect(config.security.adminKeys).toEqual(['ops']);
    expect(config.budgets).toEqual([
      { key: 'web', model: null, tokens: 100, period: 'day', text: 'web=100/day' },
      { key: 'web', model: 'meta/*', tokens: 50, period: 'month', text: 'web@meta/*=50/month' },
      { key: '*', model: null, tokens: 1000, period: 'month', text: '*=1000/month' },
    ]);
  });

  it.each([
    [
      { TOKEN_BUDGETS: 'web=100/week', GATEWAY_API_KEYS: `web:${KEY}` },
      'TOKEN_BUDGETS: "web=100/week" is not key[@model]=tokens/day or key[@model]=tokens/month; e.g. TOKEN_BUDGETS=web=2000000/day;*=10000000/month',
    ],
    [
      { TOKEN_BUDGETS: 'Web=100/day', GATEWAY_API_KEYS: `web:${KEY}` },
      'TOKEN_BUDGETS: "Web=100/day": "Web" is no key name (lower-case letters, digits, _ and -, as GATEWAY_API_KEYS names them) nor *; e.g. TOKEN_BUDGETS=web=2000000/day;*=10000000/month',
    ],
    [
      { TOKEN_BUDGETS: 'web=100/day' },
      'TOKEN_BUDGETS is set, but budgets are per client key and GATEWAY_API_KEYS is not: set keys, e.g. GATEWAY_API_KEYS=web:<key>',
    ],
    [
      { TOKEN_BUDGETS: 'batch=100/day', GATEWAY_API_KEYS: `web:${KEY}` },
      'TOKEN_BUDGETS: batch=100/day names the key batch, which GATEWAY_API_KEYS does not name; name it there (batch:<key>) or use *',
    ],
    [
      { GATEWAY_ADMIN_KEYS: 'ops', GATEWAY_API_KEYS: `web:${KEY}` },
      'GATEWAY_ADMIN_KEYS: entry 1, "ops", is no key name of GATEWAY_API_KEYS; it takes the names of name:key entries, not keys, e.g. GATEWAY_API_KEYS=ops:<key> and GATEWAY_ADMIN_KEYS=ops',
    ],
    [
      { GATEWAY_API_KEYS: 'web:0123456789abc' },
      'GATEWAY_API_KEYS/GATEWAY_API_KEYS_FILE holds a key of 13 characters; expected keys of at least 16 characters without spaces',
    ],
    [
      { GATEWAY_API_KEYS: `web:${KEY},web:${KEY}zz` },
      'GATEWAY_API_KEYS/GATEWAY_API_KEYS_FILE: the name web is given to two keys; each key needs its own name',
    ],
    [
      { GATEWAY_API_KEYS: `web:${KEY},batch:${KEY}` },
      'GATEWAY_API_KEYS/GATEWAY_API_KEYS_FILE hold the same key twice (as web and as batch); each key once, under one name',
    ],
    // A key pasted where a name goes is never shown.
    [
      { GATEWAY_ADMIN_KEYS: `x${KEY}`, GATEWAY_API_KEYS: `web:${KEY}` },
      'GATEWAY_ADMIN_KEYS: entry 1, a value of 17 characters (not shown: it may be a key), is no key name of GATEWAY_API_KEYS; it takes the names of name:key entries, not keys, e.g. GATEWAY_API_KEYS=ops:<key> and GATEWAY_ADMIN_KEYS=ops',
    ],
    [
      { TOKEN_BUDGETS: `${KEY}x=100/day`, GATEWAY_API_KEYS: `web:${KEY}` },
      "TOKEN_BUDGETS: a rule names a key by a value of 17 characters (not shown: it may be a key), which GATEWAY_API_KEYS does not name; a rule takes a key's name (name:key in GATEWAY_API_KEYS), or *",
    ],
  ])('refuses %j with one line', (env, line) => {
    expect(problems(env)).toEqual([line]);
  });

  it('reports every bad rule at once', () => {
    expect(parseBudgetRules('a=1/day;b;c=x/month;d@m=2/month').problems).toHaveLength(2);
  });
});

describe('which budgets bind a call', () => {
  const { rules } = parseBudgetRules(
    'web=100/day;web@meta/llama-*=10/day;*=1000/month;*=500/day;*@acme/*=5/day',
  );
  const budgets = new Budgets(rules, createLedger({ redisUrl: undefined }));
  const texts = (key: string, model: string) => budgets.rulesFor(key, model).map((r) => r.text);

  it("a key's own rules, and `*` where it has none for the same models and period", () => {
    expect(texts('web', 'meta/llama-3.1-8b')).toEqual([
      'web=100/day',
      'web@meta/llama-*=10/day',
      '*=1000/month',
    ]);
    expect(texts('web', 'acme/x')).toEqual(['web=100/day', '*=1000/month', '*@acme/*=5/day']);
    expect(texts('batch', 'meta/llama-3.1-8b')).toEqual(['*=1000/month', '*=500/day']);
  });

  it('gives every key its own bucket of a `*` rule, and names the rule that refused', async () => {
    const one = new Budgets(
      parseBudgetRules('*=10/day').rules,
      createLedger({ redisUrl: undefined }),
    );
    expect('hold' in (await one.reserve('a', 'm', 10))).toBe(true);
    expect('hold' in (await one.reserve('b', 'm', 10))).toBe(true);
    const refused = await one.reserve('a', 'm', 1);
    expect(refused).toMatchObject({ refusal: { rule: { text: '*=10/day' }, used: 10 } });
  });
});

describe("a request's spending", () => {
  it('binds no budget to a caller without a key, names a key by its name, and tells of each refusal', async () => {
    const ledger = createLedger({ redisUrl: undefined });
    const refused: string[] = [];
    const recorded: string[] = [];
    const services = {
      ledger,
      budgets: new Budgets(parseBudgetRules('*=1/day').rules, ledger),
      admins: new Set(['ops']),
      onRecord: (key: string, model: string, counts: { errors: number }) =>
        recorded.push(`${key} ${model} ${counts.errors}`),
      onRefused: (key: string, model: string) => refused.push(`${key} ${model}`),
    };
    const anonymous = new Spending(services, 'ip:10.0.0.1');
    expect([anonymous.key, anonymous.admin]).toEqual(['ip:10.0.0.1', false]);
    expect(await anonymous.reserve('m', 100)).toEqual({ hold: null });
    // A name that looks like an admin's, without a key, is no admin.
    expect(new Spending(services, 'ip:ops').admin).toBe(false);

    const ops = new Spending(services, 'key:ops');
    expect([ops.key, ops.admin]).toEqual(['ops', true]);
    expect('refusal' in (await ops.reserve('m', 2))).toBe(true);
    expect(refused).toEqual(['ops m']);
    const reserved = await ops.reserve('m', 1);
    expect(refused).toEqual(['ops m']);
    const held = 'hold' in reserved ? reserved.hold : null;
    expect(held).not.toBeNull();
    await ops.release(held);
    expect('hold' in (await ops.reserve('m', 1))).toBe(true);

    await ops.used('m', 3, 1);
    await ops.failed('m');
    expect(recorded).toEqual(['ops m 0', 'ops m 1']);
    expect(await ops.usage('day', false)).toEqual([
      { key: 'ops', model: 'm', promptTokens: 3, completionTokens: 1, requests: 2, errors: 1 },
    ]);
    // Without budgets nothing is held, and settling or releasing nothing does nothing.
    const free = new Spending({ ledger, budgets: null, admins: new Set() }, 'key:web');
    expect(await free.reserve('m', 1_000_000)).toEqual({ hold: null });
    await free.settle(null, 5);
    await free.release(null);
  });
});
