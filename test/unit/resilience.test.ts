import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ResilienceConfig } from '../../src/nim/settings.ts';
import { CircuitBreaker } from '../../src/nim/breaker.ts';
import { ConcurrencyLimit } from '../../src/nim/concurrency.ts';
import { fromResponse, fromTransport, NimError } from '../../src/nim/errors.ts';
import { Resilience } from '../../src/nim/resilience.ts';
import {
  backoffMs,
  isSafeToRetry,
  isUpstreamFault,
  isMisconfigured,
  retryDelayMs,
  RetryBudget,
  sleep,
} from '../../src/nim/retry.ts';

const transport = (code: string) => fromTransport(Object.assign(new Error(code), { code }), 'm');
const status = (code: number, retryAfter?: string) =>
  fromResponse(code, '{"error":{"message":"x"}}', retryAfter, 'm');
const sent = { headersArrived: true };
const notSent = { headersArrived: false };

describe('which failures may be retried', () => {
  it('retries a POST only when nothing ran: never sent, or refused with 429/503', () => {
    expect(isSafeToRetry(transport('ECONNREFUSED'), 'POST', notSent)).toBe(true);
    expect(isSafeToRetry(transport('UND_ERR_CONNECT_TIMEOUT'), 'POST', notSent)).toBe(true);
    expect(isSafeToRetry(status(429), 'POST', sent)).toBe(true);
    expect(isSafeToRetry(status(503), 'POST', sent)).toBe(true);
    // The request may have reached the model: ambiguous, so never for a generation.
    expect(isSafeToRetry(transport('UND_ERR_SOCKET'), 'POST', notSent)).toBe(false);
    expect(isSafeToRetry(transport('ECONNRESET'), 'POST', notSent)).toBe(false);
    expect(isSafeToRetry(transport('UND_ERR_HEADERS_TIMEOUT'), 'POST', notSent)).toBe(false);
    expect(isSafeToRetry(status(500), 'POST', sent)).toBe(false);
    expect(isSafeToRetry(status(502), 'POST', sent)).toBe(false);
    expect(isSafeToRetry(status(504), 'POST', sent)).toBe(false);
    expect(isSafeToRetry(transport('UND_ERR_SOCKET'), 'POST', sent)).toBe(false);
  });

  it('retries GET /v1/models after any upstream fault, never after a client error', () => {
    for (const error of [
      transport('UND_ERR_SOCKET'),
      transport('ECONNRESET'),
      status(500),
      status(502),
      status(504),
    ]) {
      expect(isSafeToRetry(error, 'GET', notSent)).toBe(true);
    }
    expect(isSafeToRetry(status(400), 'GET', sent)).toBe(false);
    expect(isSafeToRetry(status(401), 'GET', sent)).toBe(false);
  });

  it('counts unreachable, 5xx and timeouts against the upstream; 429 and 4xx are a healthy upstream', () => {
    expect(
      [
        transport('ECONNREFUSED'),
        status(500),
        status(502),
        status(503),
        transport('UND_ERR_HEADERS_TIMEOUT'),
      ].map(isUpstreamFault),
    ).toEqual([true, true, true, true, true]);
    expect([status(429), status(400), status(404), status(401)].map(isUpstreamFault)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('backoff', () => {
  const config = { retryBaseDelayMs: 100, retryMaxDelayMs: 1000, retryAfterCapMs: 5000 };

  it('is full jitter: uniform up to min(max, base · 2^retry)', () => {
    expect(backoffMs(0, config, () => 0.999)).toBeCloseTo(99.9);
    expect(backoffMs(3, config, () => 0.5)).toBe(400);
    expect(backoffMs(10, config, () => 0.5)).toBe(500);
    expect(backoffMs(2, config, () => 0)).toBe(0);
  });

  it('honours Retry-After up to the cap, and refuses to wait longer', () => {
    expect(retryDelayMs(status(429, '2'), 0, config, () => 0.5)).toBe(2000);
    expect(retryDelayMs(status(429, '6'), 0, config, () => 0.5)).toBeNull();
    expect(retryDelayMs(status(429), 1, config, () => 0.5)).toBe(100);
  });
});

describe('RetryBudget', () => {
  it('allows a minimum of 3 retries, then a ratio of the calls in the window', () => {
    let now = 0;
    const budget = new RetryBudget({ ratio: 0.1, windowMs: 10_000, now: () => now });
    for (let i = 0; i < 100; i++) budget.recordCall();
    let granted = 0;
    for (let i = 0; i < 50; i++) if (budget.tryRetry()) granted++;
    expect(granted).toBe(10);
    // A quiet gateway can still retry a little.
    now = 60_000;
    budget.recordCall();
    granted = 0;
    for (let i = 0; i < 50; i++) if (budget.tryRetry()) granted++;
    expect(granted).toBe(3);
  });

  it('slides: calls older than the window stop counting', () => {
    let now = 0;
    const budget = new RetryBudget({ ratio: 0.5, windowMs: 1000, now: () => now });
    for (let i = 0; i < 20; i++) budget.recordCall();
    expect(budget.totals()).toEqual({ calls: 20, retries: 0 });
    now = 950;
    expect(budget.totals().calls).toBe(20);
    now = 1100;
    expect(budget.totals().calls).toBe(0);
  });
});

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, fails fast, then lets one probe through', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000, now: () => now });
    breaker.admit(null).settle('failure');
    breaker.admit(null).settle('success');
    for (let i = 0; i < 3; i++) breaker.admit(null).settle('failure');
    expect(breaker.status().state).toBe('open');
    expect(() => breaker.admit('m')).toThrow(
      /^circuit open after 3 consecutive upstream failures.*1 s$/,
    );
    now = 1000;
    expect(breaker.status().state).toBe('half-open');
    const probe = breaker.admit(null);
    expect(() => breaker.admit(null)).toThrow(/probe call is in flight/);
    probe.settle('failure');
    expect(breaker.status().state).toBe('open');
    now = 2000;
    breaker.admit(null).settle('success');
    expect(breaker.status()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('a probe that says nothing (caller gone) lets the next call probe', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 10, now: () => now });
    breaker.admit(null).settle('failure');
    now = 10;
    breaker.admit(null).settle('ignore');
    expect(() => breaker.admit(null).settle('success')).not.toThrow();
    expect(breaker.status().state).toBe('closed');
  });

  it('fails fast with an unavailable NimError', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 10_000 });
    breaker.admit(null).settle('failure');
    try {
      breaker.admit('m');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(NimError);
      expect(error).toMatchObject({ kind: 'unavailable', retryable: true, status: null });
    }
  });
});

describe('ConcurrencyLimit', () => {
  it('runs at most max calls, queues FIFO, refuses beyond the queue', async () => {
    const limit = new ConcurrencyLimit({ max: 1, queueLimit: 2, queueTimeoutMs: 10_000 });
    const first = await limit.acquire(null);
    const order: number[] = [];
    const second = limit.acquire(null).then((release) => (order.push(2), release));
    const third = limit.acquire(null).then((release) => (order.push(3), release));
    await expect(limit.acquire(null)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/gateway queue full/),
    });
    expect([limit.inFlight, limit.waiting]).toEqual([1, 2]);
    first();
    first();
    (await second)();
    (await third)();
    expect(order).toEqual([2, 3]);
    expect([limit.inFlight, limit.waiting]).toEqual([0, 0]);
  });

  it('a waiter gives up after queueTimeoutMs, and an aborted one leaves the queue', async () => {
    const limit = new ConcurrencyLimit({ max: 1, queueLimit: 5, queueTimeoutMs: 20 });
    const held = await limit.acquire(null);
    await expect(limit.acquire(null)).rejects.toThrow(/waited too long/);
    const controller = new AbortController();
    const waiting = limit.acquire(null, controller.signal);
    expect(limit.waiting).toBe(1);
    controller.abort(new Error('client gone'));
    await expect(waiting).rejects.toThrow('client gone');
    expect(limit.waiting).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    held();
    expect(limit.inFlight).toBe(0);
  });
});

describe('Resilience', () => {
  const config: ResilienceConfig = {
    maxRetries: 2,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    retryAfterCapMs: 1000,
    retryBudgetRatio: 0.1,
    breakerFailureThreshold: 100,
    breakerCooldownMs: 1000,
    maxConcurrency: 4,
    queueLimit: 4,
    queueTimeoutMs: 1000,
    readyMaxAgeMs: 1000,
  };

  it('retries a refused call and returns the later success, releasing every slot', async () => {
    const resilience = new Resilience(config);
    let attempts = 0;
    const value = await resilience.run(
      { method: 'POST', endpoint: '/v1/completions', model: 'm' },
      async (progress) => {
        attempts++;
        progress.headersArrived = true;
        if (attempts < 3) throw status(503);
        return 'ok';
      },
    );
    expect([value, attempts, resilience.limit.inFlight]).toEqual(['ok', 3, 0]);
  });

  it('does not retry a 500 for a POST, nor a client error', async () => {
    const resilience = new Resilience(config);
    for (const error of [status(500), status(400)]) {
      let attempts = 0;
      await expect(
        resilience.run({ method: 'POST', endpoint: '/v1/completions', model: 'm' }, async () => {
          attempts++;
          throw error;
        }),
      ).rejects.toBe(error);
      expect(attempts).toBe(1);
    }
  });

  it('hears a 400 as a healthy answer, and a refused key (401, 403) as neither healthy nor a fault', async () => {
    const resilience = new Resilience({ ...config, breakerFailureThreshold: 1 });
    const answered: number[] = [];
    resilience.onAnswered((at) => answered.push(at));
    for (const error of [status(401), status(403), status(400)]) {
      await resilience
        .run({ method: 'GET', endpoint: '/v1/models', model: null }, async () => {
          throw error;
        })
        .catch(() => undefined);
    }
    expect(answered).toHaveLength(1);
    expect(resilience.circuit().state).toBe('closed');
  });

  it('stops waiting to retry as soon as the caller aborts, leaving no listener behind', async () => {
    const resilience = new Resilience(
      { ...config, retryBaseDelayMs: 60_000, retryMaxDelayMs: 60_000 },
      { random: () => 1 },
    );
    const controller = new AbortController();
    const run = resilience.run(
      { method: 'GET', endpoint: '/v1/models', model: null, signal: controller.signal },
      async () => {
        throw transport('ECONNREFUSED');
      },
    );
    setTimeout(() => controller.abort(new Error('gone')), 20);
    await expect(run).rejects.toThrow('gone');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('which failures may be retried, by cause', () => {
  it('retries a POST that never left, whatever kept it from the server', () => {
    for (const code of [
      'ECONNREFUSED',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'UND_ERR_CONNECT_TIMEOUT',
    ]) {
      expect(isSafeToRetry(transport(code), 'POST', notSent), code).toBe(true);
    }
  });

  it('counts timeouts and a broken answer without a status against the upstream', () => {
    const broken = fromTransport(
      Object.assign(new Error('x'), { code: 'HPE_INVALID_CONSTANT' }),
      'm',
    );
    expect(broken.status).toBeNull();
    expect(isUpstreamFault(broken)).toBe(true);
    // An answer without a status, or one whose connection was lost after a 2xx.
    expect(isUpstreamFault(new NimError({ kind: 'upstream', model: 'm', message: 'x' }))).toBe(
      true,
    );
    const lost = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(
      isUpstreamFault(
        new NimError({ kind: 'upstream', status: 200, model: 'm', message: 'x', cause: lost }),
      ),
    ).toBe(true);
    expect(
      isUpstreamFault(new NimError({ kind: 'upstream', status: 200, model: 'm', message: 'x' })),
    ).toBe(false);
    expect(isUpstreamFault(transport('UND_ERR_BODY_TIMEOUT'))).toBe(true);
    expect(isUpstreamFault(new NimError({ kind: 'bad_request', model: 'm', message: 'x' }))).toBe(
      false,
    );
  });

  it('a Retry-After of exactly the cap is still waited for', () => {
    const config = { retryBaseDelayMs: 100, retryMaxDelayMs: 1000, retryAfterCapMs: 2000 };
    expect(retryDelayMs(status(503, '2'), 0, config, () => 0)).toBe(2000);
  });
});

describe('RetryBudget, by default', () => {
  it('counts the last 10 s', () => {
    let now = 5_000;
    const budget = new RetryBudget({ ratio: 0.5, now: () => now });
    for (let i = 0; i < 20; i++) budget.recordCall();
    now = 14_900;
    expect(budget.totals().calls).toBe(20);
    now = 15_000;
    expect(budget.totals().calls).toBe(0);
  });

  it('grants retries into the current bucket, and forgets them with it', () => {
    let now = 0;
    const budget = new RetryBudget({ ratio: 0, windowMs: 1000, now: () => now });
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(budget.totals()).toEqual({ calls: 0, retries: 3 });
    now = 1000;
    expect(budget.totals()).toEqual({ calls: 0, retries: 0 });
    expect(budget.tryRetry()).toBe(true);
  });
});

describe('CircuitBreaker, what it tells', () => {
  const breaker = (threshold = 2, cooldownMs = 1500) => {
    let now = 0;
    const changes: unknown[] = [];
    const subject = new CircuitBreaker({
      failureThreshold: threshold,
      cooldownMs,
      now: () => now,
      onChange: (change) => changes.push(change),
    });
    return { subject, changes, at: (ms: number) => (now = ms) };
  };

  it('tells the operator when it opens, opens again after a failed probe, and closes', () => {
    const { subject, changes, at } = breaker();
    subject.admit(null).settle('failure');
    expect(changes).toEqual([]);
    subject.admit(null).settle('failure');
    expect(changes).toEqual([{ to: 'open', failures: 2, cooldownMs: 1500 }]);
    expect(subject.status()).toEqual({ state: 'open', consecutiveFailures: 2, probeAt: 1500 });
    at(1500);
    subject.admit(null).settle('failure');
    expect(changes.at(-1)).toEqual({ to: 'open', failures: 3, cooldownMs: 1500 });
    expect(subject.status()).toEqual({ state: 'open', consecutiveFailures: 3, probeAt: 3000 });
    at(3000);
    subject.admit(null).settle('success');
    expect(changes.at(-1)).toEqual({ to: 'closed' });
    expect(subject.status()).toEqual({ state: 'closed', consecutiveFailures: 0, probeAt: null });
  });

  it('tells the caller when to come back: the seconds left while open, 0 while a probe is out', () => {
    const { subject, at } = breaker(1, 2500);
    subject.admit(null).settle('failure');
    at(1000);
    const open = (() => {
      try {
        subject.admit('m');
      } catch (error) {
        return error as NimError;
      }
    })();
    expect(open).toMatchObject({ retryAfterSeconds: 2, model: 'm' });
    expect(open?.message).toBe(
      'circuit open after 1 consecutive upstream failures: failing fast, the next probe goes through in 2 s',
    );
    at(2600);
    subject.admit(null);
    expect(() => subject.admit(null)).toThrow(
      expect.objectContaining({
        retryAfterSeconds: 0,
        message:
          'circuit open after 1 consecutive upstream failures: failing fast, a probe call is in flight',
      }),
    );
  });

  it('counts neither a call that says nothing nor a late answer while open', () => {
    const { subject, at } = breaker(2, 1000);
    for (let i = 0; i < 5; i++) subject.admit(null).settle('ignore');
    expect(subject.status()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    const late = subject.admit(null);
    const lateSuccess = subject.admit(null);
    subject.admit(null).settle('failure');
    subject.admit(null).settle('failure');
    at(500);
    // Admitted before it opened, settled after: the cool-down stands, and so does the count.
    late.settle('failure');
    lateSuccess.settle('success');
    expect(subject.status()).toEqual({ state: 'open', consecutiveFailures: 2, probeAt: 1000 });
  });
});

describe('ConcurrencyLimit, what a waiter leaves behind', () => {
  it('a waiter that got its slot leaves no listener on its signal', async () => {
    const limit = new ConcurrencyLimit({ max: 1, queueLimit: 1, queueTimeoutMs: 30 });
    const held = await limit.acquire(null);
    const controller = new AbortController();
    const waiting = limit.acquire(null, controller.signal);
    held();
    const release = await waiting;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect([limit.inFlight, limit.waiting]).toEqual([1, 0]);
    release();
    expect(limit.inFlight).toBe(0);
  });

  it('names the bounds in its refusals', async () => {
    const limit = new ConcurrencyLimit({ max: 1, queueLimit: 0, queueTimeoutMs: 25 });
    await limit.acquire('m');
    await expect(limit.acquire('m')).rejects.toMatchObject({
      kind: 'unavailable',
      model: 'm',
      retryable: true,
      message:
        'gateway queue full: 1 calls in flight to the upstream and 0 waiting (UPSTREAM_MAX_CONCURRENCY 1, UPSTREAM_QUEUE_LIMIT 0)',
    });
    const queued = new ConcurrencyLimit({ max: 1, queueLimit: 1, queueTimeoutMs: 25 });
    await queued.acquire('m');
    await expect(queued.acquire('m')).rejects.toMatchObject({
      kind: 'unavailable',
      model: 'm',
      retryable: true,
      message: 'waited too long: no free upstream slot within 25 ms (UPSTREAM_QUEUE_TIMEOUT_MS)',
    });
  });

  it('refuses a caller that is already gone without queueing it', async () => {
    const limit = new ConcurrencyLimit({ max: 1, queueLimit: 5, queueTimeoutMs: 1000 });
    await limit.acquire(null);
    const gone = AbortSignal.abort(new Error('gone already'));
    expect(() => limit.acquire(null, gone)).toThrow('gone already');
    expect(limit.waiting).toBe(0);
  });
});

describe('Resilience, across attempts', () => {
  const config: ResilienceConfig = {
    maxRetries: 2,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 1,
    retryAfterCapMs: 1000,
    retryBudgetRatio: 1,
    breakerFailureThreshold: 3,
    breakerCooldownMs: 60_000,
    maxConcurrency: 1,
    queueLimit: 0,
    queueTimeoutMs: 1000,
    readyMaxAgeMs: 1000,
  };
  const refused = () => {
    const error = status(503);
    return async (progress: { headersArrived: boolean }) => {
      progress.headersArrived = true;
      throw error;
    };
  };

  it('makes 1 + UPSTREAM_MAX_RETRIES attempts, telling the retry listener each time', async () => {
    const resilience = new Resilience({ ...config, breakerFailureThreshold: 100 });
    const retried: string[] = [];
    resilience.onRetry((endpoint) => retried.push(endpoint));
    let attempts = 0;
    const attempt = refused();
    await expect(
      resilience.run({ method: 'POST', endpoint: '/v1/chat/completions', model: 'm' }, (p) => {
        attempts++;
        return attempt(p);
      }),
    ).rejects.toMatchObject({ status: 503 });
    expect(attempts).toBe(3);
    expect(retried).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
  });

  it('opens the circuit on upstream faults, telling its listeners, and then fails before any attempt', async () => {
    const resilience = new Resilience({ ...config, maxRetries: 0 });
    const changes: unknown[] = [];
    resilience.onCircuitChange((change) => changes.push(change));
    let attempts = 0;
    for (let i = 0; i < 4; i++) {
      await resilience
        .run({ method: 'POST', endpoint: '/v1/completions', model: 'm' }, async () => {
          attempts++;
          throw status(500);
        })
        .catch(() => undefined);
    }
    expect(attempts).toBe(3);
    expect(changes).toEqual([{ to: 'open', failures: 3, cooldownMs: 60_000 }]);
    expect(resilience.circuit().state).toBe('open');
  });

  it('does not count a refusal by its own full queue against the upstream', async () => {
    const resilience = new Resilience({ ...config, breakerFailureThreshold: 1 });
    const { release } = await resilience.lease(
      { method: 'POST', endpoint: '/v1/completions', model: 'm' },
      async () => 'streaming',
    );
    for (let i = 0; i < 3; i++) {
      await expect(
        resilience.run(
          { method: 'POST', endpoint: '/v1/completions', model: 'm' },
          async () => 'x',
        ),
      ).rejects.toThrow(/gateway queue full/);
    }
    expect(resilience.circuit()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    release();
    expect(resilience.limit.inFlight).toBe(0);
  });

  it('does not count a caller that went away, nor a bug of its own, against the upstream', async () => {
    const resilience = new Resilience({ ...config, breakerFailureThreshold: 1 });
    const controller = new AbortController();
    await expect(
      resilience.run(
        { method: 'POST', endpoint: '/v1/completions', model: 'm', signal: controller.signal },
        async () => {
          controller.abort(new Error('client gone'));
          throw status(500);
        },
      ),
    ).rejects.toMatchObject({ status: 500 });
    await expect(
      resilience.run({ method: 'POST', endpoint: '/v1/completions', model: 'm' }, async () => {
        throw new TypeError('a bug');
      }),
    ).rejects.toThrow('a bug');
    expect(resilience.circuit()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    expect(resilience.limit.inFlight).toBe(0);
  });

  it('counts a stream broken off after its 200 as a failure, and what is not the upstream’s as nothing', () => {
    const resilience = new Resilience(config);
    const cut = new NimError({ kind: 'upstream', status: 200, model: 'm', message: 'cut short' });
    resilience.recordStreamFailure(cut);
    resilience.recordStreamFailure(cut);
    // Not from the upstream: it neither counts nor resets the count.
    resilience.recordStreamFailure(new Error('not from the upstream'));
    expect(resilience.circuit().consecutiveFailures).toBe(2);
    // An error the upstream sent in the stream with a 4xx: a healthy upstream's answer.
    resilience.recordStreamFailure(
      new NimError({ kind: 'upstream', status: 418, model: 'm', message: 'in band' }),
    );
    expect(resilience.circuit().consecutiveFailures).toBe(0);
    for (let i = 0; i < 3; i++) resilience.recordStreamFailure(cut);
    expect(resilience.circuit().state).toBe('open');
  });

  it('hears a stream that broke off after it began: upstream faults open the circuit, anything else does not', () => {
    const resilience = new Resilience(config);
    resilience.recordStreamFailure(new Error('not from the upstream'));
    resilience.recordStreamFailure(status(400));
    expect(resilience.circuit().consecutiveFailures).toBe(0);
    for (let i = 0; i < 3; i++) resilience.recordStreamFailure(transport('UND_ERR_SOCKET'));
    expect(resilience.circuit().state).toBe('open');
  });
});

describe('the rest of what a caller and readiness see', () => {
  it('a wait for a retry ends with the caller’s own reason when it goes away', async () => {
    const controller = new AbortController();
    const reason = new Error('client gone');
    const waiting = sleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(sleep(1)).resolves.toBeUndefined();
  });

  it('a 404 for the model list is a wrong base URL; a 404 for a named model is an answer', () => {
    expect(isMisconfigured(fromResponse(404, 'Not Found', undefined, null))).toBe(true);
    expect(isMisconfigured(fromResponse(404, 'Not Found', undefined, 'm'))).toBe(false);
    expect(isMisconfigured(status(400))).toBe(false);
    // Only its own key refused (401, 403) or that 404: no other status of any call.
    expect(isMisconfigured(status(401))).toBe(true);
    expect(isMisconfigured(status(403))).toBe(true);
    expect(isMisconfigured(status(500))).toBe(false);
    expect(isMisconfigured(fromResponse(500, 'x', undefined, null))).toBe(false);
    expect(isMisconfigured(new NimError({ kind: 'bad_request', status: 401, message: 'x' }))).toBe(
      false,
    );
  });

  it('a breaker permit counts once, however often it is settled', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1000 });
    const permit = breaker.admit(null);
    permit.settle('failure');
    permit.settle('failure');
    expect(breaker.status()).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
  });

  const config: ResilienceConfig = {
    maxRetries: 10,
    retryBaseDelayMs: 0,
    retryMaxDelayMs: 0,
    retryAfterCapMs: 1000,
    retryBudgetRatio: 0.5,
    breakerFailureThreshold: 1,
    breakerCooldownMs: 60_000,
    maxConcurrency: 1,
    queueLimit: 0,
    queueTimeoutMs: 1000,
    readyMaxAgeMs: 1000,
  };
  const call = { method: 'POST', endpoint: '/v1/completions', model: 'm' } as const;

  it('keeps retries within UPSTREAM_RETRY_BUDGET_RATIO of the calls', async () => {
    const resilience = new Resilience({ ...config, breakerFailureThreshold: 1000 });
    for (let i = 0; i < 10; i++) await resilience.run(call, async () => 'ok');
    let attempts = 0;
    await expect(
      resilience.run(call, async (progress) => {
        attempts++;
        progress.headersArrived = true;
        throw status(503);
      }),
    ).rejects.toMatchObject({ status: 503 });
    // 11 calls at 0.5: 5.5 retries allowed, so 6 went through.
    expect(attempts).toBe(7);
  });

  it('retries a generation whose connection was refused before anything was sent', async () => {
    const resilience = new Resilience({ ...config, breakerFailureThreshold: 1000 });
    let attempts = 0;
    expect(
      await resilience.run(call, async () => {
        if (++attempts < 3) throw transport('ECONNREFUSED');
        return 'ok';
      }),
    ).toBe('ok');
    expect(attempts).toBe(3);
  });

  it('hears every success as a healthy answer, which keeps the circuit closed; a bug is no answer', async () => {
    const resilience = new Resilience(config);
    const answered: number[] = [];
    resilience.onAnswered((at) => answered.push(at));
    for (let i = 0; i < 3; i++) await resilience.run(call, async () => 'ok');
    expect(answered).toHaveLength(3);
    expect(resilience.circuit()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    await resilience
      .run(call, async () => {
        throw new TypeError('a bug');
      })
      .catch(() => undefined);
    expect(answered).toHaveLength(3);
  });
});
