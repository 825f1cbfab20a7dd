// Retries, retry budget, circuit breaker, concurrency queue and health endpoints, over real sockets.
import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { listen, type RunningServer } from '../../src/server.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { createGateway, type Gateway } from '../../src/yoga.ts';
import { consoleLogger } from '../support/logs.ts';
import { collect, subscribe } from '../support/sse.ts';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';
import { COMPLETION_STREAM } from '../support/streams.ts';

const FAST_RETRIES = { UPSTREAM_RETRY_BASE_DELAY_MS: '1', UPSTREAM_RETRY_MAX_DELAY_MS: '5' };

async function complete(stack: Stack, init?: RequestInit) {
  return (await stack.gql(COMPLETE, { model: MODEL, prompt: 'Hello', maxTokens: 4 }, init)).data!
    .complete;
}

async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

const health = async (base: string, path: 'live' | 'ready') => {
  const response = await fetch(`${base}/health/${path}`);
  const text = await response.text();
  // Liveness answers with its status alone; readiness says why in JSON.
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : null) as Record<string, unknown>,
  };
};

describe('what is retried', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      ...FAST_RETRIES,
      UPSTREAM_RETRY_AFTER_CAP_MS: '1000',
      UPSTREAM_RETRY_BUDGET_RATIO: '1',
    });
  });
  afterAll(() => stack.close());
  beforeEach(async () => {
    stack.sim.reset();
    await stack.gql('{ models { id } }');
    stack.sim.requests.length = 0;
  });

  it('a Retry-After longer than the cap is not waited for: RATE_LIMITED at once, one request', async () => {
    stack.sim.inject({ path: '/v1/completions', status: 429, retryAfter: '30' });
    const started = Date.now();
    expect(await complete(stack)).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 30 });
    // Generous: waiting would take 30 s.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stack.sim.countRequests('/v1/completions')).toBe(1);
  });

  it('a 503 with a Retry-After over the cap → UPSTREAM_UNAVAILABLE at once', async () => {
    stack.sim.inject({ path: '/v1/completions', status: 503, retryAfter: '60' });
    expect(await complete(stack)).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: 503,
    });
    expect(stack.sim.countRequests('/v1/completions')).toBe(1);
  });

  it('a Retry-After within the cap is waited for (at least that long)', async () => {
    stack.sim.inject({ path: '/v1/completions', status: 429, retryAfter: '1' });
    const started = Date.now();
    expect(await complete(stack)).toMatchObject({ __typename: 'Completion' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(stack.sim.countRequests('/v1/completions')).toBe(2);
  });

  it('GET /v1/models is idempotent: retried after a reset and after a 500', async () => {
    stack.gateway.services.catalog.invalidate();
    stack.sim.inject({ path: '/v1/models', drop: 'before-headers' });
    stack.sim.inject({ path: '/v1/models', status: 500 });
    const { data, errors } = await stack.gql('{ models { id } }');
    expect(errors).toBeUndefined();
    expect(data!.models.map((m: { id: string }) => m.id)).toContain(MODEL);
    expect(stack.sim.countRequests('/v1/models')).toBe(3);
  });

  it('attempts are bounded by UPSTREAM_MAX_RETRIES', async () => {
    stack.gateway.services.catalog.invalidate();
    stack.sim.inject({ path: '/v1/models', status: 502, times: Infinity });
    const { errors } = await stack.gql('{ models { id } }');
    expect(errors![0]!.extensions).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: 502,
    });
    expect(stack.sim.countRequests('/v1/models')).toBe(3);
  });

  it("leaves no listener on the caller's AbortSignal after retries, a stream fault, or a failure", async () => {
    const { nim } = stack.gateway.services;
    const controller = new AbortController();
    stack.sim.inject({ path: '/v1/completions', status: 503 });
    await nim.complete({ model: MODEL, prompt: 'Hi', maxTokens: 4 }, { signal: controller.signal });
    stack.sim.inject({ path: '/v1/chat/completions', stream: 'cut' });
    const stream = nim.streamChat(
      {
        model: MODEL,
        messages: [{ role: 'user', content: 'Hi' }],
        maxTokens: 8,
        params: { ignoreEos: true },
      },
      { signal: controller.signal },
    );
    await expect(
      (async () => {
        for await (const _part of stream);
      })(),
    ).rejects.toMatchObject({ kind: 'upstream' });
    stack.sim.inject({ path: '/v1/completions', status: 500 });
    await expect(
      nim.complete({ model: MODEL, prompt: 'Hi', maxTokens: 4 }, { signal: controller.signal }),
    ).rejects.toMatchObject({ status: 500 });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('a stale model list', () => {
  it('is served when the refresh fails, with one warning naming the failure and its age, and not refetched at once', async () => {
    const stack = await startStack({
      MODELS_CACHE_TTL_MS: '0',
      MODELS_REFRESH_MIN_INTERVAL_MS: '60000',
      UPSTREAM_MAX_RETRIES: '0',
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect((await stack.gql('{ models { id } }')).errors).toBeUndefined();
      stack.sim.inject({
        path: '/v1/models',
        status: 500,
        message: 'catalog exploded',
        times: Infinity,
      });
      for (let i = 0; i < 3; i++) {
        const { data, errors } = await stack.gql('{ models { id } }');
        expect(errors).toBeUndefined();
        expect(data!.models.map((m: { id: string }) => m.id)).toContain(MODEL);
      }
      // One failed refresh, then the stale list is served without asking again for MODELS_REFRESH_MIN_INTERVAL_MS.
      expect(stack.sim.countRequests('/v1/models')).toBe(2);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(
        /model list refresh failed \(.*catalog exploded\); serving the stale list of 6 models fetched \d+ s ago/,
      );
    } finally {
      warn.mockRestore();
      await stack.close();
    }
  });
});

describe('the retry budget', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      ...FAST_RETRIES,
      UPSTREAM_RETRY_BUDGET_RATIO: '0.1',
      UPSTREAM_MAX_RETRIES: '2',
      UPSTREAM_BREAKER_FAILURES: '10000',
    });
  });
  afterAll(() => stack.close());

  it('an outage with many calls makes at most ~10 % retries, not 2 per call', async () => {
    await stack.gql('{ models { id } }');
    stack.sim.inject({ path: '/v1/completions', status: 503, times: Infinity });
    const calls = 40;
    const results = [];
    for (let batch = 0; batch < calls / 10; batch++) {
      results.push(...(await Promise.all(Array.from({ length: 10 }, () => complete(stack)))));
    }
    expect(results.every((r) => r.code === 'UPSTREAM_UNAVAILABLE')).toBe(true);
    const requests = stack.sim.countRequests('/v1/completions');
    // Without a budget: 3 × 40 = 120. With it: the minimum of 3, up to 10 % of the ~41 calls.
    expect(requests).toBeGreaterThanOrEqual(calls + 3);
    expect(requests).toBeLessThanOrEqual(calls + 5);
  });
});

describe('the circuit breaker', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      UPSTREAM_MAX_RETRIES: '0',
      UPSTREAM_BREAKER_FAILURES: '3',
      UPSTREAM_BREAKER_COOLDOWN_MS: '400',
    });
    await stack.gql('{ models { id } }');
  });
  afterAll(() => stack.close());

  const halfOpen = () => until(() => stack.gateway.services.nim.circuit().state === 'half-open');

  it('opens after 3 consecutive failures: later calls fail fast without reaching the upstream', async () => {
    stack.sim.inject({ path: '/v1/completions', status: 500, times: 3 });
    for (let i = 0; i < 3; i++)
      expect(await complete(stack)).toMatchObject({ code: 'UPSTREAM_ERROR', upstreamStatus: 500 });
    const open = await complete(stack);
    expect(open).toMatchObject({
      __typename: 'UpstreamError',
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: null,
      retryable: true,
    });
    expect(open.message).toMatch(/^circuit open after 3 consecutive upstream failures.*next probe/);
    // What a client reads names no internal address.
    expect(open.message).not.toMatch(/https?:\/\/|127\.0\.0\.1/);
    const events = await collect(stack.endpoint, COMPLETION_STREAM, {
      model: MODEL,
      prompt: 'Hi',
      maxTokens: 4,
    });
    expect(events.at(-1)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(stack.sim.countRequests('/v1/completions')).toBe(3);
    expect(await health(stack.server.url, 'ready')).toMatchObject({
      status: 503,
      body: { status: 'unready', circuit: 'open' },
    });
  });

  it('after the cool-down one probe goes through; a failed probe opens it again', async () => {
    await halfOpen();
    stack.sim.inject({ path: '/v1/completions', status: 502 });
    expect(await complete(stack)).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: 502,
    });
    expect(await complete(stack)).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: null,
    });
    expect(stack.sim.countRequests('/v1/completions')).toBe(4);
  });

  it('a successful probe closes it, and calls flow again', async () => {
    await halfOpen();
    expect(await complete(stack)).toMatchObject({ __typename: 'Completion' });
    expect(stack.gateway.services.nim.circuit().state).toBe('closed');
    expect(await complete(stack)).toMatchObject({ __typename: 'Completion' });
    expect(stack.sim.countRequests('/v1/completions')).toBe(6);
    expect((await health(stack.server.url, 'ready')).status).toBe(200);
  });

  it('client errors and 429s do not open it', async () => {
    stack.sim.inject({ path: '/v1/completions', status: 429, times: 4 });
    stack.sim.inject({
      path: '/v1/completions',
      status: 400,
      message: 'bad temperature',
      times: 2,
    });
    for (let i = 0; i < 6; i++)
      expect((await complete(stack)).code).toMatch(/RATE_LIMITED|BAD_USER_INPUT/);
    expect(stack.gateway.services.nim.circuit().state).toBe('closed');
    expect(await complete(stack)).toMatchObject({ __typename: 'Completion' });
  });

  it('a stream broken after it opened counts as a failure; a stream its client left does not', async () => {
    const stream = { model: MODEL, prompt: 'Hi', maxTokens: 40, options: { ignoreEos: true } };
    const broken = async () => {
      stack.sim.inject({ path: '/v1/completions', stream: 'no-done' });
      expect((await collect(stack.endpoint, COMPLETION_STREAM, stream)).at(-1)).toMatchObject({
        code: 'UPSTREAM_ERROR',
        message: 'upstream stream closed before [DONE]: the answer may be truncated',
      });
    };
    const left = async () => {
      // The upstream goes quiet after two tokens, and the client leaves before any timeout.
      stack.sim.inject({ path: '/v1/completions', stream: 'stall' });
      const controller = new AbortController();
      let events = 0;
      try {
        for await (const _ of subscribe(stack.endpoint, COMPLETION_STREAM, stream, {
          signal: controller.signal,
        })) {
          events += 1;
          if (events === 1) controller.abort();
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
      await until(() => stack.gateway.services.nim.stats().inFlight === 0);
    };
    await broken();
    await broken();
    // Two failures in a row, then three streams cut by their clients: not the upstream's fault.
    for (let i = 0; i < 3; i++) await left();
    expect(stack.gateway.services.nim.circuit().state).toBe('closed');
    await broken();
    expect(stack.gateway.services.nim.circuit().state).toBe('open');
    await halfOpen();
    expect(await complete(stack)).toMatchObject({ __typename: 'Completion' });
  });
});

describe('bounded concurrency to the upstream', () => {
  let stack: Stack;
  afterEach(() => stack.close());

  it('with no queue, calls beyond UPSTREAM_MAX_CONCURRENCY fail at once with UPSTREAM_UNAVAILABLE', async () => {
    stack = await startStack(
      { UPSTREAM_MAX_CONCURRENCY: '2', UPSTREAM_QUEUE_LIMIT: '0' },
      { latencyMs: 2_000 },
    );
    await stack.gql('{ models { id } }');
    const results = await Promise.all(Array.from({ length: 5 }, () => complete(stack)));
    expect(results.filter((r) => r.__typename === 'Completion')).toHaveLength(2);
    const refused = results.filter((r) => r.__typename !== 'Completion');
    expect(refused).toHaveLength(3);
    for (const r of refused)
      expect(r).toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        message: expect.stringMatching(/gateway queue full/),
      });
    for (const r of refused) expect(r.message).not.toMatch(/https?:\/\/|127\.0\.0\.1/);
    expect(stack.sim.countRequests('/v1/completions')).toBe(2);
  });

  it('a queued call waits at most UPSTREAM_QUEUE_TIMEOUT_MS; beyond the queue, refused at once', async () => {
    stack = await startStack(
      {
        UPSTREAM_MAX_CONCURRENCY: '1',
        UPSTREAM_QUEUE_LIMIT: '1',
        UPSTREAM_QUEUE_TIMEOUT_MS: '200',
      },
      { latencyMs: 2_000 },
    );
    await stack.gql('{ models { id } }');
    const results = await Promise.all(Array.from({ length: 3 }, () => complete(stack)));
    const outcome = (r: Record<string, any>) =>
      r.__typename === 'Completion'
        ? 'answered'
        : /gateway queue full/.test(r.message)
          ? 'queue full'
          : /waited too long/.test(r.message)
            ? 'waited too long'
            : r.message;
    expect(results.map(outcome).sort()).toEqual(['answered', 'queue full', 'waited too long']);
    for (const r of results.filter((r) => r.__typename !== 'Completion'))
      expect(r.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(stack.sim.countRequests('/v1/completions')).toBe(1);
  });

  it('a queued call whose client goes away leaves the queue and never reaches the upstream', async () => {
    stack = await startStack(
      { UPSTREAM_MAX_CONCURRENCY: '1', UPSTREAM_QUEUE_LIMIT: '5' },
      { latencyMs: 1_000 },
    );
    await stack.gql('{ models { id } }');
    const { nim } = stack.gateway.services;
    const first = complete(stack);
    await until(() => nim.stats().inFlight === 1);
    const controller = new AbortController();
    const second = complete(stack, { signal: controller.signal }).catch((error: unknown) => error);
    await until(() => nim.stats().queued === 1);
    controller.abort();
    await second;
    await until(() => nim.stats().queued === 0);
    expect(await first).toMatchObject({ __typename: 'Completion' });
    expect(stack.sim.countRequests('/v1/completions')).toBe(1);
  });
});

describe('health endpoints', () => {
  let sim: Simulator;
  let gateway: Gateway;
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    sim = await startSimulator();
    port = Number(new URL(sim.url).port);
    const config = loadConfig({
      NIM_PROXY_BASE_URL: sim.url,
      UPSTREAM_MAX_RETRIES: '0',
      UPSTREAM_BREAKER_FAILURES: '2',
      UPSTREAM_BREAKER_COOLDOWN_MS: '300',
      // Every readiness check asks the upstream.
      READY_MAX_AGE_MS: '0',
    }) as GatewayConfig;
    gateway = createGateway(config, { logger: consoleLogger() });
    server = await listen(gateway, '127.0.0.1', 0);
  });
  afterAll(async () => {
    await server.close();
    await sim.close();
  });

  it('/health/live answers 200 while the process serves, whatever the upstream', async () => {
    expect(await health(server.url, 'live')).toEqual({ status: 200, body: null });
  });

  it('/health/ready answers 200 when the upstream answers', async () => {
    const { status, body } = await health(server.url, 'ready');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ready', circuit: 'closed' });
  });

  it('503 while the upstream is down, then circuit open; 200 again after it is back', async () => {
    await sim.close();
    const down = await health(server.url, 'ready');
    expect(down).toMatchObject({
      status: 503,
      body: { status: 'unready', reason: expect.stringMatching(/ECONNREFUSED/) },
    });
    await health(server.url, 'ready');
    const open = await health(server.url, 'ready');
    expect(open).toMatchObject({
      status: 503,
      body: { reason: expect.stringMatching(/circuit open/), circuit: 'open' },
    });
    expect((await health(server.url, 'live')).status).toBe(200);
    sim = await startSimulator({ port });
    await until(async () => (await health(server.url, 'ready')).status === 200);
    expect(gateway.services.nim.circuit().state).toBe('closed');
  });

  it('503 once shutting down, while /health/live still answers', async () => {
    gateway.drain();
    expect(await health(server.url, 'ready')).toMatchObject({
      status: 503,
      body: { reason: 'shutting down' },
    });
    expect((await health(server.url, 'live')).status).toBe(200);
  });
});

describe('closing the server', () => {
  it('answers not-ready at once, lets an open stream finish with Done, then closes', async () => {
    const stack = await startStack({}, { tokenDelayMs: 40 });
    const events: string[] = [];
    const stream = (async () => {
      for await (const { payload } of subscribe(stack.endpoint, COMPLETION_STREAM, {
        model: MODEL,
        prompt: 'Hi',
        maxTokens: 20,
        options: { ignoreEos: true },
      })) {
        events.push(payload.data!.completionStream.__typename);
      }
    })();
    await until(() => events.length > 0);
    const closing = stack.server.close(10_000);
    const ready = await stack.gateway.yoga.fetch('http://gateway/health/ready');
    expect(ready.status).toBe(503);
    await stream;
    expect(events.at(-1)).toBe('CompletionDone');
    await closing;
    await stack.sim.close();
  });
});
