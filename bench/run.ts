// npm run bench [-- --smoke | --soak | --profile] [--only rest,streams,scale (--profile: rest,streams)] [--scale-delay ms] [--rows 0x10,20x200] [--out dir]
// The gateway against the NIM simulator called directly, in one run: tables on stdout, the full
// result in bench/results/<timestamp>.json. Progress goes to stderr.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.ts';
import { profileGateway } from './profiling.ts';
import {
  checkTargets,
  restTable,
  scaleTable,
  soakTable,
  streamTable,
  targetList,
  writeReport,
  type BenchReport,
  type StreamComparison,
} from './report.ts';
import {
  buildGateway,
  startGatewayProcess,
  startSimulatorProcess,
  type Child,
} from './processes.ts';
import {
  compareRest,
  compareStreams,
  scaleStreams,
  soak,
  withGateway,
  withStack,
  SCALE_ENV,
  type Plan,
  type Stack,
} from './suite.ts';
import type { Workload } from './workloads.ts';

const FULL: Plan = {
  // Each side warms up at the row's concurrency before it is measured: after 1 s, V8 is still
  // compiling and the heap still growing, and CPU per request read 1.5–2× the steady state.
  warmupSeconds: 10,
  restSeconds: 5,
  growth: { workloads: ['models', 'complete'], clients: [1, 10, 100] },
  freshGateways: true,
  chatClients: 10,
  streams: [
    // Paced, so the first token arrives alone and TTFT is not the time to relay a burst.
    { tokenDelayMs: 1, clients: 1, seconds: 10, warmupStreams: 500 },
    { tokenDelayMs: 0, clients: 10, seconds: 5, warmupStreams: 500 },
    // Many clients at a realistic pace: TTFT at 50 clients, and CPU per relayed token when every
    // upstream read carries one token (200 streams at 50 tokens/s, against the burst row's batches).
    { tokenDelayMs: 20, clients: 50, seconds: 15, warmupStreams: 500 },
    // 200 streams need more than the 64 upstream connections of the default pool.
    { tokenDelayMs: 20, clients: 200, seconds: 10, warmupStreams: 500, gatewayEnv: SCALE_ENV },
  ],
  // 5,000 streams at a token every 5 s are 1,000 tokens/s: a relay load the gateway can carry, so
  // the run measures holding streams, not relay throughput (the rows above measure that).
  scale: {
    streams: [1000, 5000],
    tokenDelayMs: 5000,
    holdMs: 15_000,
    stallMs: 10_000,
    openConcurrency: 250,
    openTimeoutMs: 60_000,
  },
};

/** Every workload once, briefly, at low concurrency: checks the bench works, not speed. */
const SMOKE: Plan = {
  warmupSeconds: 0,
  restSeconds: 1,
  restAmount: 200,
  growth: { workloads: ['models', 'complete'], clients: [2] },
  freshGateways: false,
  chatClients: 2,
  streams: [{ tokenDelayMs: 0, clients: 2, seconds: 1, count: 6 }],
  scale: {
    streams: [20],
    tokenDelayMs: 100,
    holdMs: 600,
    stallMs: 500,
    openConcurrency: 20,
    openTimeoutMs: 10_000,
  },
};

const SOAK_SECONDS = 300;
const SOAK_WARMUP_SECONDS = 30;
const PROFILE_SECONDS = 10;

/** The gateway as deployed in production; everything else is its default configuration. */
const GATEWAY_ENV: Record<string, string> = { NODE_ENV: 'production' };

// Children inherit the environment (`LOG_LEVEL=warn npm run bench` measures that setting), so
// whatever of it configures the gateway or Node is recorded with the results.
const CONFIGURING =
  /^(NIM_|UPSTREAM_|STREAM_|MAX_|DEFAULT_MAX|MODELS_|LOG_|OTEL_|RATE_LIMIT_|REDIS_|GATEWAY_|TRUSTED_|CORS_|BATCHING_|INTROSPECTION|GRAPHIQL|NODE_OPTIONS|UV_THREADPOOL_SIZE)/;
const inheritedEnv = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => CONFIGURING.test(e[0]) && e[1] !== undefined,
    ),
  );

const LOAD_GENERATOR =
  'autocannon 9 (closed loop, pipelining 1) in the parent process for models/complete/chat, each latency clocked with ' +
  "process.hrtime.bigint() from autocannon's per-request 'request'/'response' client events (first response of each " +
  'connection dropped); a node:http SSE client in the same process for streams. Simulator and gateway each run in their ' +
  'own child process; gateway CPU = utime+stime from /proc/<pid>/stat over the measured window, peak RSS = VmHWM (reset ' +
  'through /proc/<pid>/clear_refs before each window).';

const began = Date.now();
const log = (line: string) =>
  process.stderr.write(`bench +${((Date.now() - began) / 1000).toFixed(1)}s: ${line}\n`);

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      soak: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      only: { type: 'string' },
      'scale-delay': { type: 'string' },
      // Stream rows to run, as delay×clients (0x10 is the burst row, 20x200 the paced one).
      rows: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const mode = values.smoke ? 'smoke' : values.soak ? 'soak' : values.profile ? 'profile' : 'full';
  const base = values.smoke ? SMOKE : FULL;
  const scaleDelay =
    values['scale-delay'] === undefined ? undefined : Number(values['scale-delay']);
  if (scaleDelay !== undefined && !(Number.isInteger(scaleDelay) && scaleDelay > 0))
    throw new Error('--scale-delay takes a whole number of ms');
  const rows = values.rows?.split(',');
  const chosen: Plan = rows
    ? {
        ...base,
        streams: base.streams.filter((r) => rows.includes(`${r.tokenDelayMs}x${r.clients}`)),
      }
    : base;
  const plan: Plan =
    scaleDelay === undefined
      ? chosen
      : {
          ...chosen,
          scale: {
            ...chosen.scale,
            tokenDelayMs: scaleDelay,
            stallMs: 2 * scaleDelay,
            holdMs: Math.max(base.scale.holdMs, 3 * scaleDelay),
          },
        };
  const sections = new Set(
    (values.only ?? (mode === 'full' || mode === 'smoke' ? 'rest,streams,scale' : '')).split(','),
  );
  const outDir =
    values.out ??
    (mode === 'smoke'
      ? join(tmpdir(), 'nim-graphql-bench')
      : fileURLToPath(new URL('results', import.meta.url)));
  const startedAt = new Date().toISOString();
  const machine = describeMachine(argv);
  log(`${mode} run on ${machine.cpuModel} × ${machine.cores}, Node ${machine.node}`);
  log('building the gateway (tsc -p tsconfig.build.json → dist/)');
  buildGateway();

  const report: Omit<BenchReport, 'targets' | 'finishedAt'> = {
    mode,
    startedAt,
    machine,
    loadGenerator: LOAD_GENERATOR,
    gatewayEnv: { ...inheritedEnv(), ...GATEWAY_ENV },
    scaleEnv: SCALE_ENV,
    rest: [],
    streams: [],
    scale: [],
    soak: null,
    profiles: [],
  };

  const burst = plan.streams.filter((row) => row.tokenDelayMs === 0);
  if (mode === 'profile') {
    report.profiles = await profileGateway(
      GATEWAY_ENV,
      PROFILE_SECONDS,
      log,
      values.only === undefined ? undefined : sections,
    );
  } else if (mode === 'soak') {
    report.soak = await withStack(0, GATEWAY_ENV, (stack) =>
      soak(SOAK_SECONDS, SOAK_WARMUP_SECONDS, stack, log),
    );
  } else if (sections.has('rest') || (sections.has('streams') && burst.length > 0)) {
    const simulator = await startSimulatorProcess({ tokenDelayMs: 0 });
    let shared: Child | undefined;
    try {
      if (!plan.freshGateways)
        shared = await startGatewayProcess({ upstream: simulator.url, env: GATEWAY_ENV });
      const using = <T>(work: (stack: Stack) => Promise<T>): Promise<T> =>
        shared ? work({ simulator, gateway: shared }) : withGateway(simulator, GATEWAY_ENV, work);
      const rows: [Workload, number][] = sections.has('rest')
        ? [
            ...plan.growth.workloads.flatMap((w) =>
              plan.growth.clients.map((c): [Workload, number] => [w, c]),
            ),
            ['chat', plan.chatClients],
          ]
        : [];
      for (const [workload, clients] of rows)
        report.rest.push(await using((stack) => compareRest(workload, clients, plan, stack, log)));
      if (sections.has('streams'))
        for (const row of burst)
          report.streams.push(await using((stack) => compareStreams(row, stack, log)));
    } finally {
      await shared?.stop();
      await simulator.stop();
    }
  }
  if (sections.has('streams') && mode !== 'soak' && mode !== 'profile') {
    const paced: StreamComparison[] = [];
    for (const row of plan.streams.filter((r) => r.tokenDelayMs > 0)) {
      paced.push(
        await withStack(row.tokenDelayMs, { ...GATEWAY_ENV, ...row.gatewayEnv }, (stack) =>
          compareStreams(row, stack, log),
        ),
      );
    }
    report.streams.unshift(...paced);
  }
  if (sections.has('scale')) report.scale = await scaleStreams(plan, GATEWAY_ENV, log);

  const targets = checkTargets(report);
  const full: BenchReport = { ...report, finishedAt: new Date().toISOString(), targets };
  const path = writeReport(full, outDir);
  print(full, path);
  return mode === 'smoke' ? smokeFailures(full) : 0;
}

function print(report: BenchReport, path: string): void {
  const { machine } = report;
  const parts = [
    `nim-graphql bench (${report.mode}): ${machine.cpuModel}, ${machine.cores} cores shared by load generator, simulator and gateway; ` +
      `Node ${machine.node}; commit ${machine.gitCommit?.slice(0, 12) ?? 'unknown'} (src ${machine.srcDigest}); ${machine.command}`,
  ];
  if (report.rest.length > 0) parts.push(restTable(report.rest));
  if (report.streams.length > 0) parts.push(streamTable(report.streams));
  if (report.scale.length > 0) parts.push(scaleTable(report.scale));
  if (report.soak) parts.push(soakTable(report.soak));
  if (report.mode !== 'smoke' && report.targets.length > 0)
    parts.push(`Targets (issue 6):\n${targetList(report.targets)}`);
  parts.push(`Results: ${path}`);
  process.stdout.write(`${parts.join('\n\n')}\n`);
}

/** A smoke run fails when anything did not work, never because it was slow. */
function smokeFailures(report: BenchReport): number {
  const problems: string[] = [];
  for (const r of report.rest) {
    for (const [side, load] of [
      ['direct', r.direct],
      ['gateway', r.gateway],
    ] as const) {
      if (load.errors > 0 || load.requests === 0)
        problems.push(`${r.workload} ${side}: ${load.requests} responses, ${load.errors} errors`);
    }
  }
  for (const s of report.streams) {
    for (const [side, run] of [
      ['direct', s.direct],
      ['gateway', s.gateway],
    ] as const) {
      if (run.errors > 0 || run.streams === 0)
        problems.push(
          `stream ${side}: ${run.streams} streams, ${run.errors} errors (${run.firstError})`,
        );
    }
  }
  for (const h of report.scale) {
    if (h.opened !== h.streams || h.stalled > 0 || h.errored > 0) {
      problems.push(
        `${h.streams} open streams: ${h.opened} opened, ${h.stalled} stalled, ${h.errored} errored (${h.firstError})`,
      );
    }
  }
  for (const problem of problems) log(`smoke: ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(2);
  },
);
