// Token budgets and usage per client key, over real sockets: a field reserves what it may use
// before its upstream call and is refused, typed, when a budget has less left; usage counts what
// the upstream reported; two replicas on one redis-server share both under concurrent load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateways, type Gateways, type Instance } from '../support/gateways.ts';
import { COMPLETE_WITH_OPTIONS, SHORT } from '../support/operations.ts';
import { startRedis, type RedisProcess } from '../support/redis.ts';
import { collect, subscribe } from '../support/sse.ts';
import { COMPLETE, MODEL, type GraphQLResult } from '../support/stack.ts';
import { COMPLETION_STREAM } from '../support/streams.ts';

const WEB = 'web-key-0123456789abcdef';
const OPS = 'ops-key-0123456789abcdef';
const BATCH = 'batch-key-0123456789abcd';
const KEYS = `web:${WEB},ops:${OPS},batch:${BATCH}`;
const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

const USAGE = /* GraphQL */ `
  query Usage($period: UsagePeriod!, $allKeys: Boolean!) {
    usage(period: $period, allKeys: $allKeys) {
      period
      resetsAt
      rows {
        key
        model
        promptTokens
        completionTokens
        requests
        errors
      }
    }
  }
`;

const BUDGET_FIELDS = /* GraphQL */ `
  ... on BudgetExceededError { code message budget limit used resetsAt }
`;
const COMPLETE_WITH_BUDGET = COMPLETE.replace(/}\s*}\s*$/, `${BUDGET_FIELDS} } }`);
const SHORT_COMPLETE = COMPLETE_WITH_OPTIONS.replace('usage {', 'usage { promptTokens').replace(
  /}\s*}\s*$/,
  `${BUDGET_FIELDS} } }`,
);

const complete = (at: Instance, key: string, maxTokens: number) =>
  at.gql(
    COMPLETE_WITH_BUDGET,
    { model: MODEL, prompt: 'Once upon a time', maxTokens },
    bearer(key),
  );

function nextMidnight(): string {
  const now = new Date();
  return new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1),
  ).toISOString();
}

async function usageOf(
  at: Instance,
  key: string,
  allKeys = false,
): Promise<GraphQLResult<Record<string, any>>> {
  return at.gql(USAGE, { period: 'DAY', allKeys }, bearer(key));
}

describe('budgets and usage on one gateway', () => {
  let cluster: Gateways;
  let gw: Instance;
  beforeAll(async () => {
    cluster = await startGateways(
      1,
      {
        GATEWAY_API_KEYS: KEYS,
        GATEWAY_ADMIN_KEYS: 'ops',
        TOKEN_BUDGETS: 'web=100/day;*=100000/month',
      },
      { tokenDelayMs: 0 },
    );
    gw = cluster.instances[0]!;
  });
  afterAll(() => cluster.close());

  it('refuses a field its budget cannot cover, typed and before any upstream call, and counts what was used', async () => {
    const first = await complete(gw, WEB, 60);
    expect(first.data!.complete.__typename).toBe('Completion');
    const spent = first.data!.complete.usage.completionTokens as number;
    expect(spent).toBeGreaterThan(0);

    const before = cluster.sim.countRequests('/v1/completions');
    const refused = await complete(gw, WEB, 100 - spent + 1);
    expect(refused.status).toBe(200);
    expect(refused.data!.complete).toEqual({
      __typename: 'BudgetExceededError',
      code: 'BUDGET_EXCEEDED',
      message: expect.stringContaining(`has ${100 - spent} tokens left this day`),
      budget: 'web=100/day',
      limit: 100,
      used: spent,
      resetsAt: nextMidnight(),
    });
    // A stream is refused the same way, as its one terminal event.
    const events = await collect(
      gw.endpoint,
      COMPLETION_STREAM.replace(/}\s*}\s*$/, `${BUDGET_FIELDS} } }`),
      { model: MODEL, prompt: 'Hi', maxTokens: 100 },
      bearer(WEB),
    );
    expect(events.map((e) => e.__typename)).toEqual(['BudgetExceededError']);
    expect(cluster.sim.countRequests('/v1/completions')).toBe(before);

    // What fits still runs; another key has its own budget (the `*` rule).
    expect((await complete(gw, WEB, 100 - spent)).data!.complete.__typename).toBe('Completion');
    expect((await complete(gw, BATCH, 100)).data!.complete.__typename).toBe('Completion');

    const own = await usageOf(gw, WEB);
    expect(own.data!.usage).toMatchObject({ period: 'DAY', resetsAt: nextMidnight() });
    expect(own.data!.usage.rows).toEqual([
      expect.objectContaining({ key: 'web', model: MODEL, requests: 2, errors: 0 }),
    ]);
  });

  it("reads every key's usage only with an admin key, and counts per key name in the metrics", async () => {
    const refused = await usageOf(gw, WEB, true);
    expect(refused.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN' });
    const all = await usageOf(gw, OPS, true);
    const rows = all.data!.usage.rows as { key: string; completionTokens: number }[];
    expect(rows.map((r) => r.key)).toEqual(['batch', 'web']);
    const metrics = await (await fetch(`${gw.server.url}/metrics`)).text();
    for (const row of rows) {
      const line = metrics
        .split('\n')
        .find((l) =>
          l.startsWith(
            `nim_graphql_key_tokens_total{key="${row.key}",model="${MODEL}",kind="completion"}`,
          ),
        );
      expect(Number(line?.split(' ').at(-1))).toBe(row.completionTokens);
    }
    // The budget's refusals (one mutation, one stream), counted apart from the upstream calls.
    expect(metrics).toContain(
      `nim_graphql_key_requests_total{key="web",model="${MODEL}",outcome="refused"} 2`,
    );
    // Never the key itself.
    expect(metrics).not.toContain(WEB);
  });
});

describe('what a field is charged when its call fails or its client leaves', () => {
  let cluster: Gateways;
  let gw: Instance;
  beforeAll(async () => {
    cluster = await startGateways(
      1,
      { GATEWAY_API_KEYS: KEYS, TOKEN_BUDGETS: 'web=50/day;batch=50/day;ops=50/day' },
      { tokenDelayMs: 20 },
    );
    gw = cluster.instances[0]!;
  });
  afterAll(() => cluster.close());
  const stream = (key: string, init: { signal?: AbortSignal } = {}) =>
    subscribe(
      gw.endpoint,
      COMPLETION_STREAM.replace(/}\s*}\s*$/, `${BUDGET_FIELDS} } }`),
      { model: MODEL, prompt: 'Hi', maxTokens: 50 },
      { ...init, headers: bearer(key).headers },
    );

  it('gives the reservation back when the call failed, JSON or stream', async () => {
    cluster.sim.inject({ path: '/v1/completions', status: 500 });
    expect((await complete(gw, WEB, 50)).data!.complete.__typename).toBe('UpstreamError');
    expect((await complete(gw, WEB, 50)).data!.complete.__typename).toBe('Completion');

    cluster.sim.inject({ path: '/v1/completions', stream: 'cut', afterTokens: 2 });
    const events: string[] = [];
    for await (const { payload } of stream(BATCH))
      events.push(Object.values(payload.data ?? {})[0].__typename);
    expect(events.at(-1)).toBe('UpstreamError');
    expect((await complete(gw, BATCH, 50)).data!.complete.__typename).toBe('Completion');

    const rows = (await usageOf(gw, WEB)).data!.usage.rows;
    expect(rows).toEqual([expect.objectContaining({ key: 'web', requests: 2, errors: 1 })]);
  });

  it('charges all of it when the client leaves a stream before its Done', async () => {
    const controller = new AbortController();
    for await (const { payload } of stream(OPS, { signal: controller.signal })) {
      expect(Object.values(payload.data ?? {})[0].__typename).toBe('CompletionChunk');
      break;
    }
    controller.abort();
    await cluster.sim.waitForAbort('/v1/completions', 5_000);
    await expect
      .poll(async () => (await complete(gw, OPS, 1)).data!.complete.__typename)
      .toBe('BudgetExceededError');
    const metrics = await (await fetch(`${gw.server.url}/metrics`)).text();
    expect(metrics).toContain(
      `nim_graphql_key_requests_total{key="ops",model="${MODEL}",outcome="refused"} 1`,
    );
  });
});

describe('two replicas sharing one redis-server', () => {
  let redis: RedisProcess;
  let cluster: Gateways;
  const LIMIT = 1500;
  beforeAll(async () => {
    redis = await startRedis();
    cluster = await startGateways(
      2,
      {
        REDIS_URL: redis.url,
        GATEWAY_API_KEYS: KEYS,
        GATEWAY_ADMIN_KEYS: 'ops',
        TOKEN_BUDGETS: `web=${LIMIT}/day`,
      },
      { tokenDelayMs: 0, latencyMs: 200 },
    );
  });
  afterAll(async () => {
    await cluster.close();
    await redis.stop();
  });

  it('holds the budget under concurrent load, and the usage sums are what the upstream reported', async () => {
    const [a, b] = cluster.instances as [Instance, Instance];
    // 80 fields that may use 20–59 tokens each (about 3,200) against 1,500, spread over both
    // replicas; each stops after about 10 (SHORT), so settling gives most of each reservation back.
    const sizes = Array.from({ length: 80 }, (_, i) => 20 + ((i * 37) % 40));
    const results = await Promise.all(
      sizes.map((size, i) =>
        (i % 2 === 0 ? a : b).gql(
          SHORT_COMPLETE,
          { model: MODEL, prompt: 'Once', maxTokens: size, options: SHORT },
          bearer(WEB),
        ),
      ),
    );
    const answers = results.map((r) => r.data!.complete);
    const served = answers.filter((c) => c.__typename === 'Completion');
    const refused = answers.flatMap((c, i) =>
      c.__typename === 'BudgetExceededError' ? [{ ...c, size: sizes[i]! }] : [],
    );
    expect(served.length + refused.length).toBe(sizes.length);
    expect(refused.length).toBeGreaterThan(0);
    // Refused only when what was used and held by calls in flight left too little for it.
    for (const r of refused) expect(r.used + r.size).toBeGreaterThan(LIMIT);
    const reported = served.reduce((sum, c) => sum + (c.usage.completionTokens as number), 0);
    expect(reported).toBeLessThanOrEqual(LIMIT);
    expect(reported).toBeLessThan(served.reduce((sum, c) => sum + sizes[answers.indexOf(c)]!, 0));
    expect(cluster.sim.countRequests('/v1/completions')).toBe(served.length);

    // Either replica reads the same usage from Redis, equal to what the upstream reported.
    const prompt = served.reduce((sum, c) => sum + (c.usage.promptTokens as number), 0);
    for (const at of [a, b]) {
      const rows = (await usageOf(at, OPS, true)).data!.usage.rows as any[];
      expect(rows).toEqual([
        {
          key: 'web',
          model: MODEL,
          promptTokens: prompt,
          completionTokens: reported,
          requests: served.length,
          errors: 0,
        },
      ]);
    }

    // Every reservation was settled to what was used: the budget the replicas share holds exactly that.
    const over = await complete(b, WEB, LIMIT - reported + 1);
    expect(over.data!.complete).toMatchObject({
      __typename: 'BudgetExceededError',
      used: reported,
    });
    const fits = await complete(a, WEB, LIMIT - reported);
    expect(fits.data!.complete.__typename).toBe('Completion');
  });
});
