// The ledger in Redis: the memory ledger's behaviour suite run against a Redis ledger (the import
// runs the memory one here too, side by side), then what only Redis has: replicas sharing one budget
// under concurrency, the key layout and its expiries, and the memory fallback while Redis is out.
// The file starts its own redis-server.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLedger, type BudgetBucket, type Ledger } from '../../src/usage/ledger.ts';
import { mulberry32 } from '../../src/simulator/text.ts';
import { freePort, startRedis, type RedisProcess } from '../support/redis.ts';
import { held, ledgerBehaviour, usedOf } from '../unit/ledger.test.ts';

let redis: RedisProcess;
let probe: Redis;
beforeAll(async () => {
  redis = await startRedis();
  probe = new Redis(redis.url);
});
afterAll(async () => {
  probe?.disconnect();
  await redis?.stop();
});

const DAY = 86_400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const counts = { promptTokens: 3, completionTokens: 4, requests: 1, errors: 0 };

describe('the behaviour suite in Redis', () => {
  const warnings: string[] = [];
  afterEach(() => {
    // A warning would mean a call fell back to memory: the suite must have run in Redis.
    expect(warnings.splice(0)).toEqual([]);
  });
  ledgerBehaviour('redis', {
    make: (now) =>
      createLedger({ redisUrl: redis.url, now, logger: { warn: (m) => warnings.push(m) } }),
    reset: async () => {
      await probe.flushdb();
    },
  });
});

describe('Redis ledger', () => {
  const open: Ledger[] = [];
  const ledger = (now?: () => number) => {
    const made = createLedger({ redisUrl: redis.url, now });
    open.push(made);
    return made;
  };
  beforeEach(async () => {
    await probe.flushdb();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((made) => made.close()));
  });

  it('two replicas, 200 concurrent reserve/settle cycles on one bucket: never past the limit, exact in the end', async () => {
    const seed = Date.now();
    const random = mulberry32(seed);
    const limit = 2000;
    const bucket: BudgetBucket = { id: 'shared@meta/*', limit, period: 'day' };
    const replicas = [ledger(), ledger()];
    let settled = 0;
    let grants = 0;
    const refusals: { wanted: number; used: number }[] = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const wanted = 1 + Math.floor(random() * 50);
        // Mostly all of it, so that a reservation past the limit would show in the sum.
        const uses = random() < 0.7 ? wanted : Math.floor(random() * wanted);
        const [before, during] = [random() * 4, random() * 6];
        const replica = replicas[i % 2]!;
        await sleep(before);
        const reserved = await replica.reserve([bucket], wanted);
        if (!reserved.ok) {
          refusals.push({ wanted, used: reserved.used });
          return;
        }
        grants += 1;
        await sleep(during);
        await replica.settle(reserved.hold, uses);
        settled += uses;
      }),
    );
    const context = `seed ${seed}, ${grants} granted, ${refusals.length} refused`;
    expect(settled, context).toBeLessThanOrEqual(limit);
    expect(refusals.length, context).toBeGreaterThan(0);
    expect(grants, context).toBeGreaterThan(0);
    for (const { wanted, used } of refusals) {
      // Refused only when what was left was too small.
      expect(used + wanted, context).toBeGreaterThan(limit);
      expect(used, context).toBeLessThanOrEqual(limit);
    }
    for (const replica of replicas) expect(await usedOf(replica, bucket.id), context).toBe(settled);
    const [key] = await probe.keys('nim-graphql:budget:*');
    expect(Number(await probe.get(key!)), context).toBe(settled);
    // What is left can be reserved on either replica, one token more cannot.
    const rest = limit - settled;
    if (rest > 0) held(await replicas[0]!.reserve([bucket], rest));
    expect(await replicas[1]!.reserve([bucket], 1)).toMatchObject({ ok: false, used: limit });
  });

  it('shares usage between replicas', async () => {
    const [a, b] = [ledger(), ledger()];
    await a.record('web', 'meta/llama', counts);
    await b.record('web', 'meta/llama', counts);
    await b.record('cli', 'meta/llama', counts);
    expect(await a.usage(null, 'day')).toEqual([
      { key: 'cli', model: 'meta/llama', ...counts },
      {
        key: 'web',
        model: 'meta/llama',
        promptTokens: 6,
        completionTokens: 8,
        requests: 2,
        errors: 0,
      },
    ]);
  });

  it('keeps every key under nim-graphql:, with names encoded and an expiry on each', async () => {
    const l = ledger(() => Date.parse('2026-12-03T12:00:00Z'));
    held(
      await l.reserve(
        [
          { id: 'web@meta/*', limit: 10, period: 'day' },
          { id: 'a:b', limit: 10, period: 'month' },
        ],
        5,
      ),
    );
    await l.record('key:1', 'meta/llama-3.1-8b', counts);
    expect((await probe.keys('*')).sort()).toEqual(
      [
        'nim-graphql:budget:2026-12-03:web@meta/%2A',
        'nim-graphql:budget:2026-12:a%3Ab',
        'nim-graphql:usage:2026-12-03:key%3A1',
        'nim-graphql:usage:2026-12:key%3A1',
        'nim-graphql:usage-keys:2026-12-03',
        'nim-graphql:usage-keys:2026-12',
      ].sort(),
    );
    expect(await probe.hgetall('nim-graphql:usage:2026-12-03:key%3A1')).toEqual({
      'meta/llama-3.1-8b:prompt': '3',
      'meta/llama-3.1-8b:completion': '4',
      'meta/llama-3.1-8b:requests': '1',
      'meta/llama-3.1-8b:errors': '0',
    });
    expect(await probe.smembers('nim-graphql:usage-keys:2026-12')).toEqual(['key%3A1']);
    for (const key of await probe.keys('*')) {
      const ttl = await probe.ttl(key);
      const expected = key.includes('2026-12-03') ? 2 * DAY : 32 * DAY;
      expect(ttl, key).toBeGreaterThan(expected - 60);
      expect(ttl, key).toBeLessThanOrEqual(expected);
    }
  });

  it('never goes below 0, even when the counter is gone', async () => {
    const l = ledger();
    const hold = held(await l.reserve([{ id: 'gone', limit: 100, period: 'day' }], 10));
    const [key] = await probe.keys('nim-graphql:budget:*');
    await probe.del(key!);
    await l.release(hold);
    expect(await probe.get(key!)).toBe('0');
    expect(await probe.ttl(key!)).toBeGreaterThan(0);
  });
});

describe('the connection', () => {
  const clients = async () =>
    Number(/connected_clients:(\d+)/.exec(await probe.info('clients'))![1]) - 1;

  it('closes its own connection when it is closed', async () => {
    const before = await clients();
    const own = createLedger({ redisUrl: redis.url });
    await own.record('k', 'm', counts);
    expect(await clients()).toBe(before + 1);
    await own.close();
    await expect.poll(clients).toBe(before);
  });

  it("uses a connection it is given (the rate limits'), leaves it open, and leaves its outages to its owner", async () => {
    const shared = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await new Promise((resolve) => shared.once('ready', resolve));
    const before = await clients();
    const warnings: string[] = [];
    const borrowing = createLedger({
      redisUrl: redis.url,
      shared,
      logger: { warn: (m) => warnings.push(m) },
    });
    await probe.flushdb();
    await borrowing.record('k', 'm', counts);
    // No connection of its own: the record went over the shared one.
    expect(await clients()).toBe(before);
    expect(await probe.keys('nim-graphql:usage:*')).toHaveLength(2);
    await borrowing.close();
    expect(shared.status).toBe('ready');
    // Another on the same connection answers from memory once it is gone, without a warning of its own.
    const second = createLedger({
      redisUrl: redis.url,
      shared,
      logger: { warn: (m) => warnings.push(m) },
    });
    shared.disconnect();
    await sleep(50);
    await second.record('k', 'm', counts);
    expect(await second.usage('k', 'day')).toEqual([
      { key: 'k', model: 'm', promptTokens: 3, completionTokens: 4, requests: 1, errors: 0 },
    ]);
    expect(warnings).toEqual([]);
  });
});

describe('Redis out', () => {
  const reachedAgain = (lines: string[]) => lines.some((line) => line.includes('reachable again'));

  it('answers from memory when Redis is unreachable from the start, says so once, without the password', async () => {
    const port = await freePort();
    const warnings: string[] = [];
    const l = createLedger({
      redisUrl: `redis://:hunter2-redis-password@127.0.0.1:${port}`,
      logger: { warn: (m) => warnings.push(m) },
    });
    try {
      const bucket: BudgetBucket = { id: 'offline', limit: 10, period: 'day' };
      await l.settle(held(await l.reserve([bucket], 10)), 8);
      expect(await l.reserve([bucket], 3)).toMatchObject({ ok: false, used: 8 });
      await l.record('k', 'm', counts);
      expect(await l.usage(null, 'day')).toEqual([{ key: 'k', model: 'm', ...counts }]);
    } finally {
      await l.close();
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`Redis at 127.0.0.1:${port} is unreachable`);
    expect(warnings[0]).toContain('in memory');
    expect(warnings.join('\n')).not.toContain('hunter2');
  });

  it('keeps answering while Redis is down, with one warning; when it is back, one more, and shared again', async () => {
    let own = await startRedis();
    const logs: [string[], string[]] = [[], []];
    const [a, b] = logs.map((lines) =>
      createLedger({ redisUrl: own.url, logger: { warn: (m) => lines.push(m) } }),
    ) as [Ledger, Ledger];
    try {
      const bucket: BudgetBucket = { id: 'outage', limit: 100, period: 'day' };
      const before = held(await a.reserve([bucket], 30));
      expect(await usedOf(b, 'outage')).toBe(30);

      await own.stop();
      // Memory: this instance's own count, from 0.
      const during = held(await a.reserve([bucket], 100));
      expect(await a.reserve([bucket], 1)).toMatchObject({ ok: false, used: 100 });
      await a.settle(before, 10);
      await a.release(during);
      await a.record('k', 'm', counts);
      expect(await a.usage('k', 'day')).toEqual([{ key: 'k', model: 'm', ...counts }]);
      held(await b.reserve([bucket], 100));
      expect(await b.usage(null, 'month')).toEqual([]);
      for (const lines of logs) {
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain('is unreachable');
      }

      own = await startRedis(own.port);
      for (let waited = 0; !logs.every(reachedAgain); waited += 50) {
        if (waited > 10_000) throw new Error(`no recovery in the logs:\n${logs.flat().join('\n')}`);
        await sleep(50);
      }
      // A new redis-server (no persistence) starts empty; both replicas draw on it again.
      held(await a.reserve([bucket], 100));
      expect(await b.reserve([bucket], 1)).toMatchObject({ ok: false, used: 100 });
      await b.record('k', 'm', counts);
      expect(await a.usage(null, 'day')).toEqual([{ key: 'k', model: 'm', ...counts }]);
      for (const lines of logs) expect(lines).toHaveLength(2);
    } finally {
      await a.close();
      await b.close();
      await own.stop();
    }
  });
});
