// What a fault could leak, counted: sockets and timers of this process (gateway, simulator and
// test client all live in it), upstream calls still in flight or queued, and gateway connections.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Stack } from './stack.ts';

export interface Footprint {
  /** Connected TCP sockets that keep the process alive (idle client keep-alive sockets are unref'd). */
  sockets: number;
  /** Referenced timers: a timeout left armed after its call ended shows here. */
  timers: number;
}

export function footprint(): Footprint {
  const info = process.getActiveResourcesInfo();
  return {
    sockets: info.filter((type) => type === 'TCPSocketWrap').length,
    timers: info.filter((type) => type === 'Timeout').length,
  };
}

export interface Settled extends Footprint {
  inFlight: number;
  queued: number;
  upstreamRunning: number;
  upstreamPending: number;
  gatewayRequests: number;
}

async function measure(stack: Stack): Promise<Settled> {
  const { inFlight, queued, running, pending } = stack.gateway.services.nim.stats();
  return {
    inFlight,
    queued,
    upstreamRunning: running,
    upstreamPending: pending,
    gatewayRequests: stack.server.requestsInFlight(),
    ...footprint(),
  };
}

/**
 * Waits (up to `timeoutMs`) until nothing of the test is left: no upstream call in flight or queued,
 * no gateway request unfinished, no more timers than before, and at most `socketSlack` more
 * sockets than before (keep-alive connections, which idle out on their own). Returns the
 * last measurement, for an assertion that names what stayed.
 */
export async function settle(
  stack: Stack,
  before: Footprint,
  { socketSlack = 6, timeoutMs = 10_000 } = {},
): Promise<Settled> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await measure(stack);
    const clean =
      now.inFlight === 0 &&
      now.queued === 0 &&
      now.upstreamRunning === 0 &&
      now.upstreamPending === 0 &&
      now.gatewayRequests === 0 &&
      now.timers <= before.timers &&
      now.sockets <= before.sockets + socketSlack;
    if (clean || Date.now() > deadline) return now;
    await sleep(25);
  }
}

/** The expectation `settle()` should meet, for toMatchObject. */
export function settledLike(before: Footprint, socketSlack = 6) {
  return {
    inFlight: 0,
    queued: 0,
    upstreamRunning: 0,
    upstreamPending: 0,
    gatewayRequests: 0,
    timers: expectAtMost(before.timers),
    sockets: expectAtMost(before.sockets + socketSlack),
  };
}

function expectAtMost(limit: number) {
  return {
    asymmetricMatch: (actual: number) => actual <= limit,
    toString: () => `≤ ${limit}`,
    toAsymmetricMatcher: () => `≤ ${limit}`,
  };
}
