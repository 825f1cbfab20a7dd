// With REDIS_URL, gateway instances share one budget per client; without Redis they fall back to
// per-instance limits in memory, and say so in the log. Each test file starts its own redis-server.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGateways, type Gateways, type Instance } from '../support/gateways.ts';
import { COMPLETE_WITH_OPTIONS, SHORT } from '../support/operations.ts';
import { freePort, startRedis, type RedisProcess } from '../support/redis.ts';
import { MODEL, type GraphQLResult } from '../support/stack.ts';

const keyOf = (n: number) => `client-key-${n}-0123456789abcdef`;
const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
const ping = (instance: Instance, key: string) =>
  instance.gql('{ __typename }', undefined, bearer(key));
const complete = (instance: Instance, key: string, maxTokens: number) =>
  instance.gql(
    COMPLETE_WITH_OPTIONS,
    { model: MODEL, prompt: 'Once', maxTokens, options: SHORT },
    bearer(key),
  );

function expectRateLimited(result: GraphQLResult, limit: string) {
  expect(result.status).toBe(429);
  expect(Number(result.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(result.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', limit });
}

function used(result: GraphQLResult<Record<string, any>>): number {
  expect(result.status).toBe(200);
  expect(result.data!.complete.__typename).toBe('Completion');
  return result.data!.complete.usage.completionTokens as number;
}

async function connectedClients(url: string): Promise<number> {
  const probe = new Redis(url);
  try {
    const info = await probe.info('clients');
    return Number(/connected_clients:(\d+)/.exec(info)![1]) - 1;
  } finally {
    probe.disconnect();
  }
}

describe('two gateway instances, one Redis', () => {
  let redis: RedisProcess;
  let cluster: Gateways;
  let a: Instance;
  let b: Instance;
  beforeAll(async () => {
    redis = await startRedis();
    cluster = await startGateways(
      2,
      {
        REDIS_URL: redis.url,
        GATEWAY_API_KEYS: [1, 2, 3, 4].map(keyOf).join(','),
        RATE_LIMIT_REQUESTS_PER_MINUTE: '6',
        RATE_LIMIT_TOKENS_PER_MINUTE: '100',
      },
      { tokenDelayMs: 0 },
    );
    [a, b] = cluster.instances as [Instance, Instance];
  });
  afterAll(async () => {
    await cluster?.close();
    await redis?.stop();
  });

  it('counts requests split across both instances against one limit', async () => {
    const key = keyOf(1);
    for (const instance of [a, b, a, b, a, b]) expect((await ping(instance, key)).status).toBe(200);
    expectRateLimited(await ping(a, key), 'REQUESTS_PER_MINUTE');
    expectRateLimited(await ping(b, key), 'REQUESTS_PER_MINUTE');
    expect((await ping(b, keyOf(2))).status).toBe(200);
  });

  it('shares the token budget: a reservation and its settlement on one instance count on the other', async () => {
    const key = keyOf(3);
    const first = used(await complete(a, key, 60));
    const before = cluster.sim.countRequests('/v1/completions');
    expectRateLimited(await complete(b, key, 100 - first + 1), 'TOKENS_PER_MINUTE');
    expect(cluster.sim.countRequests('/v1/completions')).toBe(before);
    used(await complete(b, key, 100 - first));
  });

  it('holds a reservation made on one instance while the call runs, for the other', async () => {
    const key = keyOf(4);
    cluster.sim.configure({ latencyMs: 300 });
    try {
      const before = cluster.sim.countRequests('/v1/completions');
      const running = complete(a, key, 60);
      while (cluster.sim.countRequests('/v1/completions') === before)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expectRateLimited(await complete(b, key, 60), 'TOKENS_PER_MINUTE');
      used(await running);
    } finally {
      cluster.sim.configure({ latencyMs: 0 });
    }
    used(await complete(b, key, 60));
  });

  it('closes its Redis connection with the gateway', async () => {
    expect(await connectedClients(redis.url)).toBe(2);
    await a.server.close();
    await b.server.close();
    expect(await connectedClients(redis.url)).toBe(0);
  });
});

describe('Redis unreachable', () => {
  let cluster: Gateways;
  let warnings: string[];
  let port: number;
  beforeAll(async () => {
    warnings = [];
    vi.spyOn(console, 'warn').mockImplementation(
      (...args: unknown[]) => void warnings.push(args.join(' ')),
    );
    port = await freePort();
    cluster = await startGateways(
      1,
      {
        REDIS_URL: `redis://:hunter2-redis-password@127.0.0.1:${port}`,
        RATE_LIMIT_REQUESTS_PER_MINUTE: '2',
      },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(async () => {
    await cluster?.close();
    vi.restoreAllMocks();
  });

  it('falls back to per-instance limits in memory, and says so in the log without the password', async () => {
    const [gateway] = cluster.instances as [Instance];
    expect((await gateway.gql('{ __typename }')).status).toBe(200);
    expect((await gateway.gql('{ __typename }')).status).toBe(200);
    expectRateLimited(await gateway.gql('{ __typename }'), 'REQUESTS_PER_MINUTE');
    const line = warnings.find((w) => w.includes('Redis'));
    expect(line).toContain(`Redis at 127.0.0.1:${port} is unreachable`);
    expect(line).toContain('in memory');
    expect(warnings.join('\n')).not.toContain('hunter2');
  });
});

describe('Redis lost and back', () => {
  let redis: RedisProcess;
  let cluster: Gateways;
  let warnings: string[];
  beforeAll(async () => {
    warnings = [];
    vi.spyOn(console, 'warn').mockImplementation(
      (...args: unknown[]) => void warnings.push(args.join(' ')),
    );
    redis = await startRedis();
    cluster = await startGateways(
      1,
      { REDIS_URL: redis.url, RATE_LIMIT_REQUESTS_PER_MINUTE: '100' },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(async () => {
    await cluster?.close();
    await redis?.stop();
    vi.restoreAllMocks();
  });

  it('keeps serving while Redis is down, then shares the limits again', async () => {
    const [gateway] = cluster.instances as [Instance];
    expect((await gateway.gql('{ __typename }')).status).toBe(200);
    await redis.stop();
    expect((await gateway.gql('{ __typename }')).status).toBe(200);
    expect(warnings.some((w) => w.includes('is unreachable'))).toBe(true);

    redis = await startRedis(redis.port);
    for (let waited = 0; !warnings.some((w) => w.includes('reachable again')); waited += 50) {
      if (waited > 10_000) throw new Error(`no recovery line in the log:\n${warnings.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await gateway.gql('{ __typename }')).status).toBe(200);
    const probe = new Redis(redis.url);
    const counted = await probe.keys('*requests*');
    probe.disconnect();
    expect(counted.length).toBe(1);
  });
});
