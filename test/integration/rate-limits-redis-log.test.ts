// With REDIS_URL pointing at nothing, the gateway says so once, in its own JSON log (not on the
// console), names the server without the URL's password, and enforces each limit in memory. With
// Redis up, each budget has its own keys there, and closing the gateway is no outage to report.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startRedis, type RedisProcess } from '../support/redis.ts';
import { startLoggedGateway, type LoggedGateway } from '../support/logged-gateway.ts';

describe('Redis unreachable, as the JSON log tells it', () => {
  let gw: LoggedGateway;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    gw = await startLoggedGateway({
      REDIS_URL: `redis://:hunter2-secret@127.0.0.1:${port}/0`,
      RATE_LIMIT_REQUESTS_PER_MINUTE: '2',
      RATE_LIMIT_TOKENS_PER_MINUTE: '1000',
    });
  });
  afterAll(() => gw.close());

  const ask = () =>
    gw.raw(
      'POST',
      '/graphql',
      { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      JSON.stringify({ query: '{ __typename }' }),
    );

  it('serves within the limits, counted in memory, and refuses past them', async () => {
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(200);
    const refused = await ask();
    expect(refused.status).toBe(429);
    expect(refused.json?.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 'REQUESTS_PER_MINUTE',
    });
  });

  it('logs one warning naming the server and the fallback, never the password, while it keeps retrying', async () => {
    const warnings = () =>
      gw.lines.filter(
        (line) => line.level === 40 && String(line.msg).includes('rate limits: Redis'),
      );
    await expect.poll(() => warnings().length).toBeGreaterThan(0);
    // ioredis retries every 200 ms and up: give it time to fail again, which must not log again.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(warnings()).toHaveLength(1);
    const message = String(warnings()[0]!.msg);
    expect(message).toMatch(
      new RegExp(
        `^rate limits: Redis at 127\\.0\\.0\\.1:${port} is unreachable \\(ECONNREFUSED\\); until it is back, each gateway instance enforces the limits on its own, in memory, so the instances together may admit more than one budget$`,
      ),
    );
    expect(JSON.stringify(gw.lines)).not.toContain('hunter2');
  });
});

describe('Redis up', () => {
  let redis: RedisProcess;
  let gw: LoggedGateway;
  beforeAll(async () => {
    redis = await startRedis();
    gw = await startLoggedGateway({
      REDIS_URL: redis.url,
      GATEWAY_API_KEYS: 'redis-key-0123456789abcdef,redis-reader-0123456789abcdef',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '5',
      RATE_LIMIT_TOKENS_PER_MINUTE: '100',
    });
  });
  afterAll(async () => {
    await gw?.close();
    await redis?.stop();
  });

  it('keeps each budget under its own key per client (a query touches no token budget), and closing the gateway logs no outage', async () => {
    const query = await gw.raw(
      'POST',
      '/graphql',
      {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        authorization: 'Bearer redis-reader-0123456789abcdef',
      },
      JSON.stringify({ query: '{ models { id } }' }),
    );
    expect(query.status, query.text).toBe(200);
    const reader = new Redis(redis.url);
    const readerKeys = await reader.keys('*');
    reader.disconnect();
    expect(readerKeys).toEqual([
      expect.stringMatching(/^nim-graphql:rl:requests:key:[0-9a-f]{12}$/),
    ]);
    const answer = await gw.raw(
      'POST',
      '/graphql',
      {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        authorization: 'Bearer redis-key-0123456789abcdef',
      },
      JSON.stringify({
        query: `mutation { complete(model: "sim/lorem-8b-instruct", prompt: "x", maxTokens: 3) { __typename } }`,
      }),
    );
    expect(answer.status, answer.text).toBe(200);
    const probe = new Redis(redis.url);
    // The rate limits' keys (the usage ledger keeps its own beside them: test/integration/budgets.test.ts).
    const keys = (await probe.keys('nim-graphql:rl:*')).sort();
    probe.disconnect();
    const writer = keys
      .find((key) => key.startsWith('nim-graphql:rl:tokens:'))!
      .slice('nim-graphql:rl:tokens:'.length);
    expect(keys).toEqual(
      [
        ...readerKeys,
        `nim-graphql:rl:requests:${writer}`,
        `nim-graphql:rl:tokens:${writer}`,
      ].sort(),
    );
    await gw.server.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gw.lines.filter((line) => (line.level as number) >= 40)).toEqual([]);
  });
});

describe('Redis lost, back, lost again, then the gateway closed', () => {
  let redis: RedisProcess;
  let gw: LoggedGateway;
  beforeAll(async () => {
    redis = await startRedis();
    gw = await startLoggedGateway({ REDIS_URL: redis.url, RATE_LIMIT_REQUESTS_PER_MINUTE: '100' });
  });
  afterAll(async () => {
    await gw?.close();
    await redis?.stop();
  });

  const ask = async () =>
    (
      await gw.raw(
        'POST',
        '/graphql',
        { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        JSON.stringify({ query: '{ __typename }' }),
      )
    ).status;
  const said = (text: string) =>
    gw.lines.filter((line) => line.level === 40 && String(line.msg).includes(text)).length;
  const clients = async () => {
    const probe = new Redis(redis.url);
    try {
      return Number(/connected_clients:(\d+)/.exec(await probe.info('clients'))![1]) - 1;
    } finally {
      probe.disconnect();
    }
  };

  it('says so each time it is lost and each time it is back, serving all along', async () => {
    expect(await ask()).toBe(200);
    await redis.stop();
    await expect.poll(() => said('is unreachable'), { timeout: 10_000 }).toBe(1);
    expect(gw.lines.find((line) => String(line.msg).includes('is unreachable'))!.msg).toContain(
      `Redis at 127.0.0.1:${redis.port} is unreachable (connection closed)`,
    );
    expect(await ask()).toBe(200);
    redis = await startRedis(redis.port);
    await expect.poll(() => said('reachable again'), { timeout: 10_000 }).toBe(1);
    expect(gw.lines.find((line) => String(line.msg).includes('reachable again'))!.msg).toBe(
      `rate limits: Redis at 127.0.0.1:${redis.port} is reachable again; the limits are shared by every instance again`,
    );
    await redis.stop();
    await expect.poll(() => said('is unreachable'), { timeout: 10_000 }).toBe(2);
    expect(await ask()).toBe(200);
  });

  it('once closed, never connects to Redis again', async () => {
    await gw.server.close();
    redis = await startRedis(redis.port);
    // Longer than the longest retry delay (2 s): a client left running would be connected by now.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await clients()).toBe(0);
  });
});
