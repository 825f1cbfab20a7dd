// The startup probe as the operator hears of it: the first result of GET /v1/models through the
// gateway's own model catalog, and then each result that differs from the one before, until the
// upstream answers. main.ts turns each into one log line (test/integration/startup.test.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModelCatalog } from '../../src/nim/catalog.ts';
import { fromTransport, NimError } from '../../src/nim/errors.ts';
import {
  probeUpstream,
  type ProbeResult,
  type UpstreamProbe,
} from '../../src/nim/upstream-probe.ts';
import { DEFAULT_MODELS, startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { freePort } from '../support/redis.ts';
import {
  gatewayInFront,
  sendModels,
  startUpstream,
  type GatewayInFront,
  type TestUpstream,
} from '../support/upstream.ts';

let probe: UpstreamProbe | undefined;
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  probe?.stop();
  probe = undefined;
  for (const close of closing.splice(0).reverse()) await close();
});

async function front(url: string): Promise<GatewayInFront> {
  const gateway = await gatewayInFront(url, { UPSTREAM_MAX_RETRIES: '0' });
  closing.push(() => gateway.close());
  return gateway;
}

async function upstream(answer: Parameters<typeof startUpstream>[0]): Promise<TestUpstream> {
  const started = await startUpstream(answer);
  closing.push(() => started.close());
  return started;
}

/** Starts the probe; `reports` fills as the operator would hear it. */
function start(catalog: ModelCatalog, options: { timeoutMs?: number; maxRetryMs?: number } = {}) {
  const reports: { result: ProbeResult; first: boolean }[] = [];
  let heard: () => void = () => undefined;
  probe = probeUpstream(catalog, {
    firstRetryMs: 10,
    ...options,
    report: (result, first) => {
      reports.push({ result, first });
      heard();
    },
  });
  /** Resolves once `count` results have been reported. */
  const reported = (count: number) =>
    new Promise<void>((resolve) => {
      heard = () => {
        if (reports.length >= count) resolve();
      };
      heard();
    });
  return { reports, reported, first: probe.first };
}

describe('the startup probe of the upstream', () => {
  it('reports the model count of an upstream that answers, once, and asks no more', async () => {
    const sim: Simulator = await startSimulator();
    closing.push(() => sim.close());
    const gateway = await front(sim.url);
    const { reports, first } = start(gateway.gateway.services.catalog);
    expect(await first).toEqual({ outcome: 'ok', models: DEFAULT_MODELS.length });
    expect(reports).toEqual([
      { result: { outcome: 'ok', models: DEFAULT_MODELS.length }, first: true },
    ]);
    // It primed the catalog: the first GraphQL request is answered from it.
    const before = sim.countRequests('/v1/models');
    expect((await gateway.gql('{ models { id } }')).data?.models).toHaveLength(
      DEFAULT_MODELS.length,
    );
    expect(sim.countRequests('/v1/models')).toBe(before);
  });

  it('reports an unreachable upstream once, however often it asks, and then that it answers', async () => {
    const port = await freePort();
    const gateway = await front(`http://127.0.0.1:${port}`);
    const { reports, reported, first } = start(gateway.gateway.services.catalog);
    expect(await first).toEqual({
      outcome: 'unreachable',
      reason: 'connection refused (ECONNREFUSED)',
    });
    const sim = await startSimulator({ port });
    closing.push(() => sim.close());
    await reported(2);
    expect(reports).toEqual([
      {
        result: { outcome: 'unreachable', reason: 'connection refused (ECONNREFUSED)' },
        first: true,
      },
      { result: { outcome: 'ok', models: DEFAULT_MODELS.length }, first: false },
    ]);
  });

  it('reports each failure that differs from the one before: a 500, a 500 again, a 502, then the list', async () => {
    const statuses = [500, 500, 502];
    const failing = await upstream((_req, res) => {
      const status = statuses.shift();
      if (status === undefined) return sendModels(res, 'test/model');
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `upstream says ${status}` } }));
    });
    const gateway = await front(failing.url);
    const { reports, reported } = start(gateway.gateway.services.catalog);
    await reported(3);
    expect(
      reports.map(({ result, first }) => [
        result.outcome,
        'status' in result ? result.status : null,
        first,
      ]),
    ).toEqual([
      ['failed', 500, true],
      ['failed', 502, false],
      ['ok', null, false],
    ]);
    expect(failing.asked).toHaveLength(4);
    expect(reports[0]!.result).toMatchObject({
      reason: expect.stringContaining('upstream says 500'),
    });
  });

  it.each([401, 403])('reports a refused key (%d) with the upstream’s reason', async (status) => {
    const refusing = await upstream((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { message: 'Invalid API key', type: 'authentication_error' } }),
      );
    });
    const gateway = await front(refusing.url);
    const { first } = start(gateway.gateway.services.catalog);
    expect(await first).toEqual({
      outcome: 'key_refused',
      status,
      reason: expect.stringContaining('Invalid API key'),
    });
  });

  it('reports an upstream that does not answer within the probe timeout as unreachable', async () => {
    const silent = await upstream(() => undefined);
    const gateway = await front(silent.url);
    const { first } = start(gateway.gateway.services.catalog, { timeoutMs: 200 });
    expect(await first).toEqual({ outcome: 'unreachable', reason: 'no answer within 0.2 s' });
  });

  it('reports an upstream that drops the connection as unreachable, naming the reset', async () => {
    const dropping = await upstream((req) => req.socket.destroy());
    const gateway = await front(dropping.url);
    const { first } = start(gateway.gateway.services.catalog);
    expect(await first).toEqual({
      outcome: 'unreachable',
      reason: 'socket error (UND_ERR_SOCKET)',
    });
  });
});

describe('what each failure is called', () => {
  /** The probe's first result for a model source that fails with `error`. */
  async function firstFor(error: unknown): Promise<ProbeResult> {
    const catalog = new ModelCatalog(
      {
        listModels: () => Promise.reject(error),
      },
      { ttlMs: 1000, refreshMinIntervalMs: 1000, warn: () => undefined },
    );
    return start(catalog).first;
  }
  const socket = (code: string) => fromTransport(Object.assign(new Error(code), { code }), null);

  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['ENOTFOUND', 'host not found'],
    ['EAI_AGAIN', 'DNS lookup failed'],
    ['EHOSTUNREACH', 'host unreachable'],
    ['ENETUNREACH', 'network unreachable'],
    ['ECONNRESET', 'connection reset'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect timeout'],
    ['EPIPE', 'socket error'],
  ])('%s: unreachable, %s', async (code, words) => {
    expect(await firstFor(socket(code))).toEqual({
      outcome: 'unreachable',
      reason: `${words} (${code})`,
    });
  });

  it('an open circuit or a full queue: unreachable, in the gateway’s own words', async () => {
    const error = new NimError({
      kind: 'unavailable',
      model: null,
      message: 'circuit open after 5 consecutive upstream failures',
    });
    expect(await firstFor(error)).toEqual({
      outcome: 'unreachable',
      reason: 'circuit open after 5 consecutive upstream failures',
    });
  });

  it('a broken answer with no status, or something that is no upstream error at all: failed', async () => {
    const broken = new NimError({
      kind: 'upstream',
      model: null,
      message: 'upstream request failed',
    });
    expect(await firstFor(broken)).toEqual({
      outcome: 'failed',
      status: null,
      reason: 'upstream request failed',
    });
    expect(await firstFor(new TypeError('fetch is broken'))).toEqual({
      outcome: 'failed',
      status: null,
      reason: 'fetch is broken',
    });
    expect(await firstFor('a string')).toEqual({
      outcome: 'failed',
      status: null,
      reason: 'a string',
    });
  });
});

describe('when it asks again', () => {
  afterEach(() => vi.useRealTimers());
  const unreachable = fromTransport(
    Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    null,
  );

  /** A catalog over a model source that answers with `answer()`, noting when it was asked. */
  function source(answer: () => Promise<never[]>) {
    const asked: number[] = [];
    const started = Date.now();
    const catalog = new ModelCatalog(
      {
        listModels: () => {
          asked.push(Date.now() - started);
          return answer();
        },
      },
      { ttlMs: 1000, refreshMinIntervalMs: 1000, warn: () => undefined },
    );
    return { catalog, asked };
  }

  it('asks again after 1 s, doubling the pause up to 30 s, while the upstream stays away', async () => {
    vi.useFakeTimers();
    const { catalog, asked } = source(() => Promise.reject(unreachable));
    const reports: ProbeResult[] = [];
    probe = probeUpstream(catalog, { report: (result) => reports.push(result) });
    await vi.advanceTimersByTimeAsync(100_000);
    expect(asked).toEqual([0, 1000, 3000, 7000, 15_000, 31_000, 61_000, 91_000]);
    // The same failure each time: the operator hears it once.
    expect(reports).toHaveLength(1);
  });

  it('waits 10 s for an answer by default', async () => {
    vi.useFakeTimers();
    const { catalog } = source(() => new Promise(() => undefined));
    const reports: ProbeResult[] = [];
    probe = probeUpstream(catalog, { report: (result) => reports.push(result) });
    await vi.advanceTimersByTimeAsync(9_999);
    expect(reports).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(reports).toEqual([{ outcome: 'unreachable', reason: 'no answer within 10 s' }]);
  });

  it('asks no more once the upstream answered, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const { catalog, asked } = source(() => Promise.resolve([]));
    probe = probeUpstream(catalog, { report: () => undefined });
    expect(await probe.first).toEqual({ outcome: 'ok', models: 0 });
    // A timeout left running would hold the process open for its 10 s.
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(asked).toEqual([0]);
  });

  it('asks no more once stopped, and reports nothing of an answer that comes after', async () => {
    vi.useFakeTimers();
    const failing = source(() => Promise.reject(unreachable));
    probe = probeUpstream(failing.catalog, { report: () => undefined });
    await probe.first;
    probe.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(failing.asked).toEqual([0]);

    let answer: (models: never[]) => void = () => undefined;
    const pending = source(() => new Promise((resolve) => (answer = resolve)));
    const reports: ProbeResult[] = [];
    probe = probeUpstream(pending.catalog, { report: (result) => reports.push(result) });
    await vi.advanceTimersByTimeAsync(0);
    probe.stop();
    answer([]);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(reports).toEqual([]);
    expect(pending.asked).toEqual([0]);
  });
});
