import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModelCatalog, RequestModels, type RefreshCaller } from '../../src/nim/catalog.ts';
import { NimError } from '../../src/nim/errors.ts';
import type { ModelCard } from '../../src/nim/wire.ts';

const card = (id: string): ModelCard => ({
  id,
  object: 'model',
  created: 1,
  owned_by: 'system',
  root: id,
  parent: null,
  max_model_len: 1024,
});

function source(lists: (ModelCard[] | Error)[]) {
  let calls = 0;
  const asked: RefreshCaller[] = [];
  return {
    get calls() {
      return calls;
    },
    asked,
    async listModels(caller: RefreshCaller = {}) {
      asked.push(caller);
      const next = lists[Math.min(calls, lists.length - 1)]!;
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

describe('ModelCatalog', () => {
  it('shares one refresh between concurrent callers', async () => {
    const upstream = source([[card('a')]]);
    const catalog = new ModelCatalog(upstream, { ttlMs: 1000, refreshMinIntervalMs: 0 });
    await Promise.all(Array.from({ length: 50 }, () => catalog.current()));
    expect(upstream.calls).toBe(1);
  });

  it('refetches after the TTL, by the clock it is given', async () => {
    let now = 0;
    const upstream = source([[card('a')], [card('a'), card('b')]]);
    const catalog = new ModelCatalog(upstream, {
      ttlMs: 100,
      refreshMinIntervalMs: 0,
      now: () => now,
    });
    expect((await catalog.current()).models).toHaveLength(1);
    now = 99;
    expect((await catalog.current()).models).toHaveLength(1);
    now = 100;
    expect((await catalog.current()).models).toHaveLength(2);
    expect(catalog.stats).toMatchObject({ hits: 1, misses: 2, refreshes: 2 });
  });

  it('serves the stale list when a refresh fails, and fails when there is none', async () => {
    let now = 0;
    const failing = new NimError({ kind: 'unavailable', message: 'down' });
    const catalog = new ModelCatalog(source([[card('a')], failing]), {
      ttlMs: 10,
      refreshMinIntervalMs: 0,
      now: () => now,
    });
    await catalog.current();
    now = 50;
    expect((await catalog.current()).models[0]!.id).toBe('a');
    expect(catalog.stats.staleServed).toBe(1);
    await expect(
      new ModelCatalog(source([failing]), { ttlMs: 10, refreshMinIntervalMs: 0 }).current(),
    ).rejects.toBe(failing);
  });

  it('require() refreshes for an unknown id, then names what is served', async () => {
    let now = 0;
    const upstream = source([[card('a')], [card('a'), card('b')], [card('a'), card('b')]]);
    const catalog = new ModelCatalog(upstream, {
      ttlMs: 10_000,
      refreshMinIntervalMs: 1000,
      now: () => now,
    });
    await catalog.current();
    now = 2000;
    expect((await catalog.require('b')).id).toBe('b');
    expect(upstream.calls).toBe(2);
    await expect(catalog.require('zzz')).rejects.toMatchObject({
      kind: 'model_not_found',
      availableModels: ['a', 'b'],
    });
    // The last refresh was less than refreshMinIntervalMs ago: no new upstream call.
    expect(upstream.calls).toBe(2);
  });
});

describe('RequestModels', () => {
  it('reads the catalog once however many ids are loaded', async () => {
    const upstream = source([[card('a'), card('b')]]);
    const catalog = new ModelCatalog(upstream, { ttlMs: 0, refreshMinIntervalMs: 0 });
    const models = new RequestModels(catalog);
    const [found, all] = await Promise.all([
      Promise.all(['a', 'b', 'c'].map((id) => models.load(id))),
      models.all(),
    ]);
    expect(found.map((m) => m?.id ?? null)).toEqual(['a', 'b', null]);
    expect(all).toHaveLength(2);
    await models.load('a');
    expect(upstream.calls).toBe(1);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ModelCatalog, as operators and readiness see it', () => {
  it('warns once per failed refresh that the list is stale, with its age, to the logger it is given', async () => {
    // Fetched at 1 s, refreshed at 3.6 s: 2.6 s old, said as 3 s.
    let now = 1000;
    const warned: [Record<string, unknown>, string][] = [];
    const down = new NimError({
      kind: 'unavailable',
      message: 'upstream unreachable (ECONNREFUSED)',
    });
    const again = new NimError({ kind: 'timeout', message: 'upstream timed out (headers phase)' });
    const catalog = new ModelCatalog(source([[card('a'), card('b')], down, again]), {
      ttlMs: 10,
      refreshMinIntervalMs: 0,
      now: () => now,
      warn: (fields, message) => warned.push([fields, message]),
    });
    await catalog.current();
    now = 3600;
    await Promise.all([catalog.current(), catalog.current(), catalog.current()]);
    expect(warned).toEqual([
      [
        { stale: true, models: 2, ageSeconds: 3, reason: 'upstream unreachable (ECONNREFUSED)' },
        'model list refresh failed (upstream unreachable (ECONNREFUSED)); serving the stale list of 2 models fetched 3 s ago',
      ],
    ]);
    await catalog.current();
    expect(warned.map(([fields]) => fields.reason)).toEqual([
      'upstream unreachable (ECONNREFUSED)',
      'upstream timed out (headers phase)',
    ]);
  });

  it('warns on the console when it has no logger, naming the gateway', async () => {
    let now = 0;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const catalog = new ModelCatalog(source([[card('a')], new Error('boom')]), {
      ttlMs: 10,
      refreshMinIntervalMs: 0,
      now: () => now,
    });
    await catalog.current();
    now = 20;
    await catalog.current();
    expect(warn.mock.calls).toEqual([
      [
        'nim-graphql: model list refresh failed (boom); serving the stale list of 1 models fetched 0 s ago',
      ],
    ]);
  });

  it('right after a failed refresh serves the stale list without asking again, until refreshMinIntervalMs', async () => {
    let now = 0;
    const upstream = source([[card('a')], new Error('down'), [card('a'), card('b')]]);
    const catalog = new ModelCatalog(upstream, {
      ttlMs: 10,
      refreshMinIntervalMs: 500,
      now: () => now,
      warn: () => undefined,
    });
    await catalog.current();
    now = 100;
    await catalog.current();
    expect(upstream.calls).toBe(2);
    now = 599;
    expect((await catalog.current()).models).toHaveLength(1);
    expect(upstream.calls).toBe(2);
    expect(catalog.stats).toMatchObject({ staleServed: 2, refreshFailures: 1 });
    now = 600;
    expect((await catalog.current()).models).toHaveLength(2);
    expect(upstream.calls).toBe(3);
  });

  it('knows how long ago the upstream last answered: a model list, or any healthy answer it hears of', async () => {
    let now = 1000;
    let answered: () => void = () => undefined;
    const upstream = {
      ...source([[card('a')]]),
      onAnswered: (listener: () => void) => (answered = listener),
    };
    const catalog = new ModelCatalog(upstream, {
      ttlMs: 10_000,
      refreshMinIntervalMs: 0,
      now: () => now,
    });
    expect(catalog.upstreamAnsweredAgeMs()).toBeNull();
    await catalog.current();
    now = 1400;
    expect(catalog.upstreamAnsweredAgeMs()).toBe(400);
    answered();
    now = 1450;
    expect(catalog.upstreamAnsweredAgeMs()).toBe(50);
  });

  it('forgets the list when told to, and asks again at once', async () => {
    const upstream = source([[card('a')], [card('b')]]);
    const catalog = new ModelCatalog(upstream, { ttlMs: 60_000, refreshMinIntervalMs: 0 });
    await catalog.current();
    catalog.invalidate();
    expect((await catalog.current()).models.map((m) => m.id)).toEqual(['b']);
  });

  it('tells each caller waiting on a refresh of its attempts, and passes the first caller’s headers on', async () => {
    const heard: { one: number[]; two: number[] } = { one: [], two: [] };
    let attempt: (status: number) => void = () => undefined;
    const upstream = {
      calls: 0,
      async listModels(caller: RefreshCaller = {}) {
        upstream.calls++;
        attempt = (status) =>
          caller.onAttempt?.({ upstream: 'default', endpoint: '/v1/models', status, ms: 1 });
        attempt(503);
        await new Promise((r) => setTimeout(r, 5));
        attempt(200);
        expect(caller.headers).toEqual({ 'x-request-id': 'one' });
        return [card('a')];
      },
    };
    const catalog = new ModelCatalog(upstream, { ttlMs: 0, refreshMinIntervalMs: 0 });
    const first = catalog.refresh({
      headers: { 'x-request-id': 'one' },
      onAttempt: (a) => heard.one.push(a.status),
    });
    const second = catalog.refresh({ onAttempt: (a) => heard.two.push(a.status) });
    await Promise.all([first, second]);
    expect(upstream.calls).toBe(1);
    expect(heard).toEqual({ one: [503, 200], two: [200] });
    // Once the refresh is done, its callers hear nothing of the next one.
    await catalog.refresh({ headers: { 'x-request-id': 'one' } });
    expect(heard).toEqual({ one: [503, 200], two: [200] });
  });

  it('does not refresh for an unknown id when the list was just fetched', async () => {
    let now = 0;
    const upstream = source([[card('a')], [card('a'), card('b')]]);
    const catalog = new ModelCatalog(upstream, {
      ttlMs: 60_000,
      refreshMinIntervalMs: 1000,
      now: () => now,
    });
    await catalog.current();
    now = 999;
    await expect(catalog.require('b')).rejects.toMatchObject({
      kind: 'model_not_found',
      model: 'b',
      availableModels: ['a'],
      message: 'The model `b` does not exist.',
    });
    now = 1000;
    expect((await catalog.require('b')).id).toBe('b');
  });
});

describe('RequestModels, for one request', () => {
  it('finds a model deployed since the list was read, and keeps it for the rest of the request', async () => {
    let now = 0;
    const upstream = source([[card('a')], [card('a'), card('b')]]);
    const catalog = new ModelCatalog(upstream, {
      ttlMs: 60_000,
      refreshMinIntervalMs: 100,
      now: () => now,
    });
    const models = new RequestModels(catalog);
    expect(await models.load('b')).toBeNull();
    now = 200;
    expect((await models.require('b')).id).toBe('b');
    expect((await models.load('b'))?.id).toBe('b');
    expect((await models.all()).map((m) => m.id)).toEqual(['a', 'b']);
    expect(upstream.calls).toBe(2);
  });

  it('fails an unknown model before the call, and explains an upstream "no such model" with the models served now', async () => {
    const upstream = source([[card('a')], [card('c')]]);
    const catalog = new ModelCatalog(upstream, { ttlMs: 60_000, refreshMinIntervalMs: 60_000 });
    const models = new RequestModels(catalog);
    let called = 0;
    await expect(
      models.withModel('zzz', async () => {
        called++;
      }),
    ).rejects.toMatchObject({ kind: 'model_not_found', availableModels: ['a'] });
    expect(called).toBe(0);
    const gone = new NimError({
      kind: 'model_not_found',
      status: 404,
      model: 'a',
      message: 'The model `a` does not exist.',
    });
    await expect(
      models.withModel('a', async () => {
        throw gone;
      }),
    ).rejects.toMatchObject({
      kind: 'model_not_found',
      status: 404,
      model: 'a',
      availableModels: ['c'],
      message: 'The model `a` does not exist.',
    });
    expect(await models.withModel('a', async () => 'done')).toBe('done');
  });

  it('passes other failures on as they are, and names no models when the list cannot be read', async () => {
    const catalog = new ModelCatalog(source([[card('a')], new Error('down')]), {
      ttlMs: 60_000,
      refreshMinIntervalMs: 0,
      warn: () => undefined,
    });
    const models = new RequestModels(catalog);
    const other = new NimError({ kind: 'upstream', status: 500, model: 'a', message: 'x' });
    expect(await models.explain(other, 'a')).toBe(other);
    const plain = new Error('not ours');
    expect(await models.explain(plain, 'a')).toBe(plain);
    await models.all();
    const gone = new NimError({
      kind: 'model_not_found',
      status: 404,
      model: 'a',
      message: 'gone',
    });
    expect(await models.explain(gone, 'a')).toMatchObject({ availableModels: [], message: 'gone' });
  });
});
