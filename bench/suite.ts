// The measurements: each runs the same load against the simulator directly and through the gateway,
// and reads the gateway's CPU time and peak RSS from /proc around the measured window only.
import { availableParallelism } from 'node:os';
import { runLoad, type LoadOptions, type LoadResult, type RequestSpec } from './load.ts';
import {
  cpuMs,
  liveMemory,
  machineBusyMs,
  memory,
  PeakMemory,
  PROBE_NODE_ARGS,
  startGatewayProcess,
  startSimulatorProcess,
  type Child,
} from './processes.ts';
import type { RestComparison, SoakResult, StreamComparison } from './report.ts';
import { holdStreams, runStreams, type HoldResult, type StreamRunResult } from './streams.ts';
import {
  directStream,
  gatewayStream,
  STREAM_TOKENS,
  WORKLOADS,
  type Workload,
} from './workloads.ts';

export interface Plan {
  /** Same load, unmeasured, before each measured run (0: none). */
  warmupSeconds: number;
  restSeconds: number;
  /** When set, each measured run stops after this many responses instead (the smoke run). */
  restAmount?: number;
  growth: { workloads: Workload[]; clients: number[] };
  /** A fresh gateway per row, so that one row's memory peak is not carried into the next. */
  freshGateways: boolean;
  chatClients: number;
  /** 256-token streams; tokenDelayMs is the simulator's pacing (0: the whole answer at once). */
  streams: StreamRow[];
  scale: {
    streams: number[];
    tokenDelayMs: number;
    holdMs: number;
    stallMs: number;
    openConcurrency: number;
    openTimeoutMs: number;
  };
}

export interface StreamRow {
  tokenDelayMs: number;
  clients: number;
  seconds: number;
  /** When set, stop after this many streams instead (the smoke run). */
  count?: number;
  /** Gateway settings of this row on top of the run's (room in the upstream pool for many clients). */
  gatewayEnv?: Record<string, string>;
  /**
   * Short (2-token) streams each side runs first: opening a stream is its own code path, which a
   * couple of long streams leave cold (TTFT read 2–3× the steady state after two).
   */
  warmupStreams?: number;
}

export type Log = (line: string) => void;

export interface Stack {
  simulator: Child;
  gateway: Child;
}

/** A fresh gateway in front of `simulator` for the time `work` runs. */
export async function withGateway<T>(
  simulator: Child,
  gatewayEnv: Record<string, string>,
  work: (stack: Stack) => Promise<T>,
): Promise<T> {
  const gateway = await startGatewayProcess({ upstream: simulator.url, env: gatewayEnv });
  try {
    return await work({ simulator, gateway });
  } finally {
    await gateway.stop();
  }
}

/** A simulator with the given pacing and a gateway in front of it, for the time `work` runs. */
export async function withStack<T>(
  tokenDelayMs: number,
  gatewayEnv: Record<string, string>,
  work: (stack: Stack) => Promise<T>,
): Promise<T> {
  const simulator = await startSimulatorProcess({ tokenDelayMs });
  try {
    return await withGateway(simulator, gatewayEnv, work);
  } finally {
    await simulator.stop();
  }
}

interface Measured<T> {
  result: T;
  cpuMs: { gateway: number; simulator: number; loadGenerator: number };
  gatewayPeakRssMb: number;
  /** RSS when the measured window began (after the warm-up). */
  gatewayStartRssMb: number;
  /** Share of the machine's cores busy with anything but the three bench processes (other tenants, softirq). */
  otherCpuPercent: number;
}

/** Runs `work` and returns what each process spent meanwhile. */
async function measure<T>(
  gateway: Child,
  simulator: Child,
  work: () => Promise<T>,
): Promise<Measured<T>> {
  const startRss = memory(gateway.pid).rssMb;
  const peak = new PeakMemory(gateway.pid);
  const before = {
    gateway: cpuMs(gateway.pid),
    simulator: cpuMs(simulator.pid),
    self: process.cpuUsage(),
    machine: machineBusyMs(),
    at: process.hrtime.bigint(),
  };
  const result = await work();
  const self = process.cpuUsage(before.self);
  const wallMs = Number(process.hrtime.bigint() - before.at) / 1e6;
  const spent = {
    gateway: cpuMs(gateway.pid) - before.gateway,
    simulator: cpuMs(simulator.pid) - before.simulator,
    loadGenerator: (self.user + self.system) / 1000,
  };
  const other =
    machineBusyMs() - before.machine - spent.gateway - spent.simulator - spent.loadGenerator;
  return {
    result,
    cpuMs: spent,
    gatewayPeakRssMb: peak.stop(),
    gatewayStartRssMb: startRss,
    otherCpuPercent: Math.max(0, (other / (wallMs * availableParallelism())) * 100),
  };
}

async function loadWithWarmup(
  origin: string,
  spec: RequestSpec,
  connections: number,
  plan: Plan,
  gateway: Child,
  simulator: Child,
) {
  // autocannon stops on a 1 s tick, so even a tiny warm-up costs a second: the smoke run skips it.
  if (plan.warmupSeconds > 0)
    await runLoad(origin, spec, { connections, seconds: plan.warmupSeconds });
  const run: LoadOptions =
    plan.restAmount === undefined
      ? { connections, seconds: plan.restSeconds }
      : { connections, amount: plan.restAmount };
  return measure(gateway, simulator, () => runLoad(origin, spec, run));
}

export async function compareRest(
  workload: Workload,
  connections: number,
  plan: Plan,
  processes: { simulator: Child; gateway: Child },
  log: Log,
): Promise<RestComparison> {
  const { simulator, gateway } = processes;
  const pair = WORKLOADS[workload];
  log(`${workload}, ${connections} client(s): direct`);
  const direct = await loadWithWarmup(
    simulator.url,
    pair.direct,
    connections,
    plan,
    gateway,
    simulator,
  );
  log(`${workload}, ${connections} client(s): gateway`);
  const through = await loadWithWarmup(
    gateway.url,
    pair.gateway,
    connections,
    plan,
    gateway,
    simulator,
  );
  const perRequest = (cpu: number, load: LoadResult) => cpu / load.requests;
  return {
    workload,
    connections,
    direct: direct.result,
    gateway: through.result,
    gatewayCpuMsPerRequest: perRequest(through.cpuMs.gateway, through.result),
    gatewayPeakRssMb: through.gatewayPeakRssMb,
    gatewayStartRssMb: through.gatewayStartRssMb,
    simulatorCpuMsPerRequest: {
      direct: perRequest(direct.cpuMs.simulator, direct.result),
      gateway: perRequest(through.cpuMs.simulator, through.result),
    },
    loadGeneratorCpuMsPerRequest: {
      direct: perRequest(direct.cpuMs.loadGenerator, direct.result),
      gateway: perRequest(through.cpuMs.loadGenerator, through.result),
    },
    otherCpuPercent: { direct: direct.otherCpuPercent, gateway: through.otherCpuPercent },
  };
}

export async function compareStreams(
  row: StreamRow,
  stack: Stack,
  log: Log,
): Promise<StreamComparison> {
  const { simulator, gateway } = stack;
  const concurrency = row.clients;
  const run = async (origin: string, tokens: number): Promise<Measured<StreamRunResult>> => {
    const direct = origin === simulator.url;
    const spec = direct ? directStream(tokens) : gatewayStream(tokens);
    if (row.warmupStreams) {
      await runStreams(origin, direct ? directStream(2) : gatewayStream(2), {
        concurrency,
        count: row.warmupStreams,
        expectedTokens: 2,
      });
    }
    await runStreams(origin, spec, { concurrency, count: concurrency * 2, expectedTokens: tokens });
    return measure(gateway, simulator, () =>
      runStreams(origin, spec, {
        concurrency,
        expectedTokens: tokens,
        ...(row.count === undefined ? { seconds: row.seconds } : { count: row.count }),
      }),
    );
  };
  const label = `stream of ${STREAM_TOKENS} tokens, a token every ${row.tokenDelayMs} ms, ${concurrency} client(s)`;
  log(`${label}: direct`);
  const direct = await run(simulator.url, STREAM_TOKENS);
  log(`${label}: gateway`);
  const through = await run(gateway.url, STREAM_TOKENS);
  return {
    tokenDelayMs: row.tokenDelayMs,
    concurrency,
    direct: direct.result,
    gateway: through.result,
    gatewayCpuMsPer1kTokens: (through.cpuMs.gateway / through.result.tokens) * 1000,
    gatewayPeakRssMb: through.gatewayPeakRssMb,
    otherCpuPercent: { direct: direct.otherCpuPercent, gateway: through.otherCpuPercent },
  };
}

/** Environment of the scale run's gateway: room for every stream in the upstream pool and limiter. */
export const SCALE_ENV: Record<string, string> = {
  UPSTREAM_CONNECTIONS: '10000',
  UPSTREAM_MAX_CONCURRENCY: '10000',
  UPSTREAM_QUEUE_LIMIT: '10000',
};

/** Holds N streams against a slow upstream, each N on a fresh gateway so that "idle" means idle. */
export async function scaleStreams(
  plan: Plan,
  gatewayEnv: Record<string, string>,
  log: Log,
): Promise<HoldResult[]> {
  const { scale } = plan;
  const simulator = await startSimulatorProcess({ tokenDelayMs: scale.tokenDelayMs });
  const results: HoldResult[] = [];
  try {
    for (const streams of scale.streams) {
      const gateway = await startGatewayProcess({
        upstream: simulator.url,
        env: { ...gatewayEnv, ...SCALE_ENV },
        nodeArgs: PROBE_NODE_ARGS,
      });
      try {
        // Short streams load every code path once, so the idle RSS is a warm process's.
        await runStreams(gateway.url, gatewayStream(2), {
          concurrency: 20,
          count: 40,
          expectedTokens: 2,
        });
        log(
          `${streams} open streams (token every ${scale.tokenDelayMs} ms), idle RSS ${memory(gateway.pid).rssMb.toFixed(1)} MB`,
        );
        const result = await holdStreams(gateway.url, gatewayStream(STREAM_TOKENS), {
          ...scale,
          streams,
          gatewayPid: gateway.pid,
          probe: () => liveMemory(gateway),
        });
        results.push(result);
      } finally {
        await gateway.stop();
      }
    }
  } finally {
    await simulator.stop();
  }
  return results;
}

export async function soak(
  seconds: number,
  warmupSeconds: number,
  processes: { simulator: Child; gateway: Child },
  log: Log,
): Promise<SoakResult> {
  const { simulator, gateway } = processes;
  const samples: { atSeconds: number; rssMb: number }[] = [];
  const started = Date.now();
  const timer = setInterval(() => {
    const atSeconds = (Date.now() - started) / 1000;
    samples.push({ atSeconds, rssMb: memory(gateway.pid).rssMb });
    if (samples.length % 12 === 0)
      log(`soak: ${atSeconds.toFixed(0)} s, RSS ${samples.at(-1)?.rssMb.toFixed(1)} MB`);
  }, 5000);
  const run = await measure(gateway, simulator, () =>
    runLoad(gateway.url, WORKLOADS.complete.gateway, { connections: 10, seconds }),
  );
  clearInterval(timer);
  const afterWarmup = samples.find((s) => s.atSeconds >= warmupSeconds) ?? samples[0];
  const end = samples.at(-1);
  const rssAfterWarmupMb = afterWarmup?.rssMb ?? NaN;
  const rssEndMb = end?.rssMb ?? NaN;
  return {
    seconds,
    warmupSeconds,
    requests: run.result.requests,
    errors: run.result.errors,
    rps: run.result.rps,
    rssAfterWarmupMb,
    rssEndMb,
    peakRssMb: run.gatewayPeakRssMb,
    ratio: rssEndMb / rssAfterWarmupMb,
    gatewayCpuMsPerRequest: run.cpuMs.gateway / run.result.requests,
    rssSamples: samples,
  };
}
