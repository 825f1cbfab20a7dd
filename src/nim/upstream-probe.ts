// The first look at the upstream: GET /v1/models through the model catalog (which it primes) right
// at start; while that fails, again after a growing pause until it succeeds. The caller hears the
// first result and each one that differs from the one before (reachable at last, the key refused…);
// nothing stops serving meanwhile.
import type { ModelCatalog } from './catalog.ts';
import { NimError, transportCode } from './errors.ts';

export type ProbeResult =
  | { outcome: 'ok'; models: number }
  | { outcome: 'unreachable'; reason: string }
  | { outcome: 'key_refused'; status: number; reason: string }
  | { outcome: 'failed'; status: number | null; reason: string };

export interface ProbeOptions {
  report(result: ProbeResult, first: boolean): void;
  /** Longest wait for one answer (the call itself may go on, and be retried, for longer). */
  timeoutMs?: number;
  firstRetryMs?: number;
  maxRetryMs?: number;
}

export interface UpstreamProbe {
  /** Settles with the first result. */
  first: Promise<ProbeResult>;
  stop(): void;
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
};

export function probeUpstream(catalog: ModelCatalog, options: ProbeOptions): UpstreamProbe {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  let retryMs = options.firstRetryMs ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let last: string | undefined;
  let settleFirst: (result: ProbeResult) => void = () => undefined;
  const first = new Promise<ProbeResult>((resolve) => (settleFirst = resolve));

  const attempt = async (): Promise<void> => {
    const result = await probeOnce(catalog, timeoutMs);
    if (stopped) return;
    // Stryker disable next-line StringLiteral: only ever compared with another result's, spelt the same way.
    const seen = `${result.outcome} ${'status' in result ? result.status : ''}`;
    if (seen !== last) options.report(result, last === undefined);
    // Stryker disable next-line ConditionalExpression: a promise settles once; later results do not change it.
    if (last === undefined) settleFirst(result);
    last = seen;
    if (result.outcome === 'ok') return;
    timer = setTimeout(() => void attempt(), retryMs).unref();
    retryMs = Math.min(retryMs * 2, maxRetryMs);
  };
  void attempt();
  return {
    first,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

async function probeOnce(catalog: ModelCatalog, timeoutMs: number): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ outcome: 'unreachable', reason: `no answer within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
  });
  const answer = catalog
    .refresh()
    .then(
      (snapshot): ProbeResult => ({ outcome: 'ok', models: snapshot.models.length }),
      probeFailure,
    );
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function probeFailure(error: unknown): ProbeResult {
  if (!(error instanceof NimError))
    return {
      outcome: 'failed',
      status: null,
      reason: error instanceof Error ? error.message : String(error),
    };
  if (error.status === 401 || error.status === 403)
    return { outcome: 'key_refused', status: error.status, reason: error.message };
  if (error.status === null && (error.kind === 'unavailable' || error.kind === 'timeout')) {
    const code = transportCode(error.cause);
    const reason =
      code === undefined ? error.message : `${SOCKET_ERRORS[code] ?? 'socket error'} (${code})`;
    return { outcome: 'unreachable', reason };
  }
  return { outcome: 'failed', status: error.status, reason: error.message };
}
