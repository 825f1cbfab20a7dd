// What an orchestrator's probe reads from /health/live and /health/ready: methods, headers, the
// JSON body, when the upstream is asked again, and the reason given for each way of being unready.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startLoggedGateway,
  type LoggedGateway,
  type RawAnswer,
} from '../support/logged-gateway.ts';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function expectJson(answer: RawAnswer, status: number) {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(answer.headers['cache-control']).toBe('no-store');
}

describe('/health/live and /health/ready answer probes', () => {
  let gw: LoggedGateway;
  beforeAll(async () => {
    // The default READY_MAX_AGE_MS (30 s): an upstream answer that recent makes the check answer at once.
    gw = await startLoggedGateway({ GATEWAY_API_KEYS: 'health-key-0123456789abcdef' });
  });
  afterAll(() => gw.close());

  it("answers liveness with Yoga's health check: 200 and no body, to any method, without a key", async () => {
    for (const method of ['GET', 'HEAD', 'POST']) {
      const live = await gw.raw(method, '/health/live');
      expect(live.status, method).toBe(200);
      expect(live.text).toBe('');
      expect(live.headers['x-yoga-id']).toEqual(expect.any(String));
      expect(live.headers['x-request-id']).toEqual(expect.any(String));
    }
  });

  it('answers readiness to GET and HEAD without a key, JSON that is never cached', async () => {
    expectJson(await gw.raw('GET', '/health/ready'), 200);
    const head = await gw.raw('HEAD', '/health/ready');
    expectJson(head, 200);
    expect(head.text).toBe('');
  });

  it('refuses other methods on readiness with 405 and Allow: GET, HEAD', async () => {
    for (const path of ['/health/ready']) {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const answer = await gw.raw(method, path);
        expect(answer.status, `${method} ${path}`).toBe(405);
        expect(answer.headers.allow).toBe('GET, HEAD');
      }
    }
  });

  it('says ready with the circuit state and how long ago the upstream answered; a recent answer is not asked again', async () => {
    const first = await gw.raw('GET', '/health/ready');
    expectJson(first, 200);
    expect(first.json).toEqual({
      status: 'ready',
      circuit: 'closed',
      upstreamAnsweredMsAgo: expect.any(Number),
    });
    const asked = gw.sim.countRequests('/v1/models');
    const second = await gw.raw('GET', '/health/ready');
    expect(second.json).toMatchObject({ status: 'ready', circuit: 'closed' });
    expect(
      (second.json as unknown as { upstreamAnsweredMsAgo: number }).upstreamAnsweredMsAgo,
    ).toBeGreaterThanOrEqual(0);
    expect(gw.sim.countRequests('/v1/models')).toBe(asked);
  });

  it('leaves other paths under /health to the gate', async () => {
    for (const path of [
      '/health/lives',
      '/health/ready/x',
      '/x/health/ready',
      '/health/ready.json',
    ]) {
      const answer = await gw.raw('GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.text).toContain('NOT_FOUND');
    }
  });
});

describe('/health/ready says why it is not ready', () => {
  const unready = {
    READY_MAX_AGE_MS: '0',
    UPSTREAM_MAX_RETRIES: '0',
    UPSTREAM_BREAKER_FAILURES: '2',
    UPSTREAM_BREAKER_COOLDOWN_MS: '60000',
  };
  let gw: LoggedGateway;
  let slow: LoggedGateway;
  beforeAll(async () => {
    gw = await startLoggedGateway(unready);
    slow = await startLoggedGateway(unready);
  });
  afterAll(async () => {
    await gw.close();
    await slow.close();
  });

  it('an upstream slower than the probe timeout: 503 naming the timeout', async () => {
    slow.sim.inject({ path: '/v1/models', delayMs: 4000 });
    const answer = await slow.raw('GET', '/health/ready');
    expectJson(answer, 503);
    expect(answer.json).toEqual({
      status: 'unready',
      reason: 'upstream did not answer GET /v1/models within 2000 ms',
      circuit: 'closed',
      upstreamAnsweredMsAgo: null,
    });
  });

  it('a failing upstream: 503 with the failure; after enough failures, the open circuit and its next probe', async () => {
    gw.sim.inject({ path: '/v1/models', status: 500, message: 'models are down', times: 10 });
    const failed = await gw.raw('GET', '/health/ready');
    expectJson(failed, 503);
    expect((failed.json as unknown as { reason: string }).reason).toMatch(
      /^upstream probe failed: .+/,
    );
    let open: RawAnswer = failed;
    for (let i = 0; i < 5 && !open.text.includes('circuit open'); i += 1)
      open = await gw.raw('GET', '/health/ready');
    expectJson(open, 503);
    const body = open.json as unknown as { status: string; reason: string; circuit: string };
    expect(body.status).toBe('unready');
    expect(body.circuit).toBe('open');
    const match =
      /^circuit open after (\d+) consecutive upstream failures; next probe at (.+)$/.exec(
        body.reason,
      );
    expect(match, body.reason).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(2);
    expect(match![2]).toMatch(ISO);
    expect(Date.parse(match![2]!)).toBeGreaterThan(Date.now());
  });
});
