import { describe, expect, it } from 'vitest';
import { ModelCatalog, RequestModels } from '../../src/nim/catalog.ts';
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
  return {
    get calls() {
      return calls;
    },
    async listModels() {
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
