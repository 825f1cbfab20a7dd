import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { describe, expect, it, vi } from 'vitest';
import {
  Budget,
  RateLimitStore,
  createRateLimitStore,
} from '../../src/plugins/rate-limit-store.ts';

describe('createRateLimitStore', () => {
  it('creates nothing, not even a Redis connection, when both limits are 0', () => {
    expect(
      createRateLimitStore({
        requestsPerMinute: 0,
        generatedTokensPerMinute: 0,
        redisUrl: 'redis://127.0.0.1:1',
      }),
    ).toBeNull();
  });

  it('creates only the budgets that are on', async () => {
    const store = createRateLimitStore({
      requestsPerMinute: 5,
      generatedTokensPerMinute: 0,
      redisUrl: undefined,
    })!;
    expect(store.requests?.perMinute).toBe(5);
    expect(store.tokens).toBeNull();
    await store.close();
  });

  it('gives back unused points only within the window they were taken in', async () => {
    const store = createRateLimitStore({
      requestsPerMinute: 0,
      generatedTokensPerMinute: 100,
      redisUrl: undefined,
    })!;
    const budget = store.tokens!;
    const taken = await budget.take('c', 80);
    expect(taken.ok).toBe(true);
    expect(await budget.take('c', 30)).toMatchObject({ ok: false });
    // A refused take costs nothing: 20 are still left.
    expect((await budget.take('c', 20)).ok).toBe(true);
    await budget.giveBack('c', 50, taken.ok ? taken.windowEndsAt : 0);
    expect((await budget.take('c', 50)).ok).toBe(true);
    await budget.giveBack('c', 50, Date.now() - 1);
    expect((await budget.take('c', 1)).ok).toBe(false);
    await store.close();
  });
});

describe('Budget, around a limiter that fails or answers', () => {
  const recorder = () => {
    const store = new RateLimitStore({
      requestsPerMinute: 1,
      generatedTokensPerMinute: 0,
      redisUrl: undefined,
    });
    const warnings: string[] = [];
    store.logger = { warn: (message: unknown) => warnings.push(String(message)) };
    return { store, warnings };
  };
  /** A limiter double: each method records its call, and fails when told to. */
  const limiter = (fail: { consume?: unknown; reward?: unknown; penalty?: unknown } = {}) => {
    const calls: string[] = [];
    const method =
      (name: 'consume' | 'reward' | 'penalty') => async (client: string, points: number) => {
        calls.push(`${name} ${client} ${points}`);
        if (fail[name] !== undefined) throw fail[name];
        return { msBeforeNext: 30_000 };
      };
    const double = {
      consume: method('consume'),
      reward: method('reward'),
      penalty: method('penalty'),
    } as unknown as RateLimiterAbstract;
    return { double, calls };
  };

  it('lets a request through, and says so, when even the in-memory count fails', async () => {
    const { store, warnings } = recorder();
    const { double } = limiter({ consume: new Error('boom') });
    expect(await new Budget(store, double, 10).take('key:a', 3)).toEqual({
      ok: true,
      windowEndsAt: 0,
    });
    expect(warnings).toEqual([
      'rate limits: cannot count for key:a (Error: boom); letting the request through',
    ]);
  });

  it('answers a refusal with the seconds until the window ends, and gives the refused points back', async () => {
    const { store } = recorder();
    const { RateLimiterRes } = await import('rate-limiter-flexible');
    const { double, calls } = limiter({ consume: new RateLimiterRes(0, 2_500, 10, false) });
    expect(await new Budget(store, double, 10).take('key:a', 4)).toEqual({
      ok: false,
      retryAfterSeconds: 3,
    });
    expect(calls).toEqual(['consume key:a 4', 'reward key:a 4']);
  });

  it('gives back and takes more only positive points, only before the window ends', async () => {
    const { store, warnings } = recorder();
    const { double, calls } = limiter();
    const budget = new Budget(store, double, 10);
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      for (const settle of [budget.giveBack.bind(budget), budget.takeMore.bind(budget)]) {
        await settle('key:a', 0, 1_000_001);
        await settle('key:a', -2, 1_000_001);
        // The window ends at this very millisecond: a newer one has begun.
        await settle('key:a', 5, 1_000_000);
        await settle('key:a', 5, 999_999);
        await settle('key:a', 7, 1_000_001);
      }
    } finally {
      vi.useRealTimers();
    }
    expect(calls).toEqual(['reward key:a 7', 'penalty key:a 7']);
    expect(warnings).toEqual([]);
  });

  it('warns, and does not throw, when giving back or taking more fails', async () => {
    const { store, warnings } = recorder();
    const { double } = limiter({ reward: new Error('down'), penalty: new Error('gone') });
    const budget = new Budget(store, double, 10);
    const later = Date.now() + 60_000;
    await budget.giveBack('key:a', 5, later);
    await budget.takeMore('key:b', 6, later);
    expect(warnings).toEqual([
      'rate limits: cannot give back 5 tokens to key:a (Error: down)',
      'rate limits: cannot count 6 more tokens for key:b (Error: gone)',
    ]);
  });
});

describe('RateLimitStore with Redis', () => {
  it('is started once closed, even when Redis never answered (neither ready nor an error)', async () => {
    // A server that accepts the connection and says nothing: ioredis waits for it.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const store = new RateLimitStore({
      requestsPerMinute: 1,
      generatedTokensPerMinute: 0,
      redisUrl: `redis://127.0.0.1:${port}`,
    });
    store.logger = { warn: () => undefined };
    try {
      await store.close();
      const first = await Promise.race([
        store.started.then(() => 'started'),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1_000)),
      ]);
      expect(first).toBe('started');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('names the server in its warnings, port 6379 when the URL has none, never the password', async () => {
    const store = new RateLimitStore({
      requestsPerMinute: 1,
      generatedTokensPerMinute: 0,
      // Nothing listens on a name that does not resolve: an error at once.
      redisUrl: 'redis://:s3cret@nowhere.invalid',
    });
    const warnings: string[] = [];
    store.logger = { warn: (message: unknown) => warnings.push(String(message)) };
    await store.started;
    await store.close();
    expect(warnings[0]).toMatch(/^rate limits: Redis at nowhere\.invalid:6379 is unreachable \(/);
    expect(warnings.join('\n')).not.toContain('s3cret');
  });
});
