import { describe, expect, it } from 'vitest';
import { createRateLimitStore } from '../../src/plugins/rate-limit-store.ts';

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
