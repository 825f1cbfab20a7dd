// Health endpoints for orchestrators and load balancers, answered before auth and GraphQL:
// /health/live while the process serves, /health/ready while the upstream answers and the
// gateway is not shutting down.
import type { Plugin } from 'graphql-yoga';
import type { GatewayServices } from '../context.ts';

export interface HealthOptions {
  /** Ready when the upstream answered within this long; otherwise GET /v1/models is probed. */
  readyMaxAgeMs: number;
  /** How long a readiness probe of the upstream may take. */
  probeTimeoutMs?: number;
}

type HealthServices = Pick<GatewayServices, 'nim' | 'catalog'>;

/** Services of gateways that are shutting down (keyed, so several gateways can share a process). */
const draining = new WeakSet<HealthServices>();

/** From now on /health/ready answers 503: the gateway is draining before it stops. */
export function markDraining(services: HealthServices): void {
  draining.add(services);
}

const json = (status: number, body: Record<string, unknown>) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });

export function useHealth(services: HealthServices, options: HealthOptions): Plugin {
  const answer = async (
    request: Request,
    pathname: string,
    endResponse: (response: Response) => void,
  ): Promise<void> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      endResponse(new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
      return;
    }
    if (pathname === '/health/live') {
      endResponse(json(200, { status: 'live' }));
      return;
    }
    const reason = await unreadyReason(services, options);
    const circuit = services.nim.circuit().state;
    const upstreamAnsweredMsAgo = services.catalog.upstreamAnsweredAgeMs();
    endResponse(
      reason === null
        ? json(200, { status: 'ready', circuit, upstreamAnsweredMsAgo })
        : json(503, { status: 'unready', reason, circuit, upstreamAnsweredMsAgo }),
    );
  };
  return {
    // Synchronous for every other request: a promise per request is one more step Yoga waits for.
    onRequest({ request, url, endResponse }) {
      if (url.pathname !== '/health/live' && url.pathname !== '/health/ready') return undefined;
      return answer(request, url.pathname, endResponse);
    },
  };
}

/** Null when ready; otherwise why not, in a sentence. */
async function unreadyReason(
  services: HealthServices,
  options: HealthOptions,
): Promise<string | null> {
  if (draining.has(services)) return 'shutting down';
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
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`upstream did not answer GET /v1/models within ${timeoutMs} ms`),
      timeoutMs,
    );
  });
  const probe = services.catalog.refresh().then(
    () => null,
    (error: unknown) =>
      `upstream probe failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  // Neither promise rejects (a failed probe is a reason too).
  const reason = await Promise.race([probe, timeout]);
  // Stryker disable next-line CallExpression: a timer left running only settles a race already decided; clearing it frees it early.
  clearTimeout(timer);
  return reason;
}
