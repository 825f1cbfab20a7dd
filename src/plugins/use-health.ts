// Health endpoints for orchestrators and load balancers, answered before auth and GraphQL, on
// Yoga's own plugins: /health/live is Yoga's health check (`healthCheckEndpoint`, 200 while the
// process serves), /health/ready its readiness check, ready while the upstream answers and the
// gateway is not draining (a flag the gateway owns: `Gateway.drain()`).
import { useReadinessCheck, type Plugin } from 'graphql-yoga';
import type { GatewayServices } from '../context.ts';
import { READY_PATH } from '../gate/ways.ts';

export interface ReadinessOptions {
  /** Ready when the upstream answered within this long; otherwise GET /v1/models is probed. */
  readyMaxAgeMs: number;
  /** How long a readiness probe of the upstream may take. */
  probeTimeoutMs?: number;
  /** True once the gateway drains before it stops: from then on not ready. */
  draining(): boolean;
  /** Upstreams from UPSTREAMS_FILE: ready while every model has a healthy upstream. */
  fleet?: boolean;
}

type HealthServices = Pick<GatewayServices, 'nim' | 'catalog'>;

const json = (status: number, body: Record<string, unknown>) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });

export function useReadiness(services: HealthServices, options: ReadinessOptions): Plugin {
  return useReadinessCheck({
    endpoint: READY_PATH,
    async check({ request }) {
      if (request.method !== 'GET' && request.method !== 'HEAD')
        return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
      if (options.fleet) return fleetReadiness(services, options);
      const reason = await unreadyReason(services, options);
      const circuit = services.nim.circuit().state;
      const upstreamAnsweredMsAgo = services.catalog.upstreamAnsweredAgeMs();
      return reason === null
        ? json(200, { status: 'ready', circuit, upstreamAnsweredMsAgo })
        : json(503, { status: 'unready', reason, circuit, upstreamAnsweredMsAgo });
    },
  });
}

/**
 * A fleet is ready while every model it lists has an upstream whose circuit is closed and whose
 * last model list was read; the lists are read again when older than readyMaxAgeMs.
 */
async function fleetReadiness(
  services: HealthServices,
  options: ReadinessOptions,
): Promise<Response> {
  let reason: string | null = options.draining() ? 'shutting down' : null;
  let models: readonly string[] = [];
  if (reason === null) {
    const timeoutMs = options.probeTimeoutMs ?? 2000;
    const listed = await within(
      timeoutMs,
      services.catalog.current().then(async (snapshot) => {
        const stale = Date.now() - snapshot.fetchedAt >= options.readyMaxAgeMs;
        return stale ? await services.catalog.refresh() : snapshot;
      }),
      {
        late: `no upstream answered GET /v1/models within ${timeoutMs} ms`,
        failed: 'no upstream could list its models',
      },
    );
    if (typeof listed === 'string') reason = listed;
    else models = listed.models.map((m) => m.id);
  }
  const upstreams = services.nim.upstreams();
  const unserved = models.filter((id) => !services.nim.upstreamsOf(id).some((u) => u.healthy));
  if (reason === null && unserved.length > 0)
    reason = `no healthy upstream for ${unserved.length} model${unserved.length === 1 ? '' : 's'}: ${unserved.join(', ')}`;
  const body = { upstreams, unservedModels: unserved };
  return reason === null
    ? json(200, { status: 'ready', ...body })
    : json(503, { status: 'unready', reason, ...body });
}

/** The work's value, or why it gave none within `timeoutMs`, in a sentence. */
async function within<T extends object>(
  timeoutMs: number,
  work: Promise<T>,
  say: { late: string; failed: string },
): Promise<T | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(say.late), timeoutMs);
  });
  // Neither promise rejects (a failure is a reason too).
  const settled = work.catch(
    (error: unknown) => `${say.failed}: ${error instanceof Error ? error.message : String(error)}`,
  );
  const result = await Promise.race([settled, timeout]);
  // Stryker disable next-line CallExpression: a timer left running only settles a race already decided; clearing it frees it early.
  clearTimeout(timer);
  return result;
}

/** Null when ready; otherwise why not, in a sentence. */
async function unreadyReason(
  services: HealthServices,
  options: ReadinessOptions,
): Promise<string | null> {
  if (options.draining()) return 'shutting down';
  const circuit = services.nim.circuit();
  if (circuit.state === 'open') {
    const at = new Date(circuit.probeAt ?? Date.now()).toISOString();
    return `circuit open after ${circuit.consecutiveFailures} consecutive upstream failures; next probe at ${at}`;
  }
  const age = services.catalog.upstreamAnsweredAgeMs();
  // Strictly younger: with 0, every check asks the upstream (an answer in the same millisecond included).
  if (age !== null && age < options.readyMaxAgeMs) return null;
  // Nothing recent: ask the upstream once (concurrent probes share the catalog's single refresh).
  const timeoutMs = options.probeTimeoutMs ?? 2000;
  const probed = await within(timeoutMs, services.catalog.refresh(), {
    late: `upstream did not answer GET /v1/models within ${timeoutMs} ms`,
    failed: 'upstream probe failed',
  });
  return typeof probed === 'string' ? probed : null;
}
