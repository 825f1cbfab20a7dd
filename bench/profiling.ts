// --profile: the gateway under `node --cpu-prof`, one process per workload so each profile holds
// one kind of work, then a summary of where its CPU time went.
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad } from './load.ts';
import { startGatewayProcess, startSimulatorProcess, type Child } from './processes.ts';
import { formatSummary, summarizeProfile, type ProfileSummary, type Window } from './profile.ts';
import { runStreams } from './streams.ts';
import { gatewayStream, STREAM_TOKENS, WORKLOADS } from './workloads.ts';
import type { Log } from './suite.ts';

export interface ProfiledWorkload {
  workload: string;
  rps: number;
  summary: ProfileSummary;
}

interface Job {
  /** The --only section it belongs to. */
  section: 'rest' | 'streams';
  name: string;
  /** The simulator's pacing for this job. */
  tokenDelayMs: number;
  /** Runs the load once unmeasured (startup and warm-up stay out of the summary), … */
  warm(gateway: Child): Promise<unknown>;
  /** … then measured; returns requests (or tokens) per second. */
  run(gateway: Child): Promise<number>;
}

function jobs(seconds: number): Job[] {
  const rest = (name: 'complete' | 'models' | 'chat'): Job => ({
    section: 'rest',
    name: `${name}, 10 clients`,
    tokenDelayMs: 0,
    warm: (gateway) =>
      runLoad(gateway.url, WORKLOADS[name].gateway, { connections: 10, seconds: 1 }),
    run: async (gateway) =>
      (await runLoad(gateway.url, WORKLOADS[name].gateway, { connections: 10, seconds })).rps,
  });
  const spec = gatewayStream(STREAM_TOKENS);
  return [
    rest('complete'),
    rest('models'),
    {
      section: 'streams',
      name: `stream of ${STREAM_TOKENS} tokens, burst, 10 clients (tokens/s)`,
      tokenDelayMs: 0,
      warm: (gateway) =>
        runStreams(gateway.url, spec, {
          concurrency: 10,
          count: 20,
          expectedTokens: STREAM_TOKENS,
        }),
      run: async (gateway) =>
        (
          await runStreams(gateway.url, spec, {
            concurrency: 10,
            seconds,
            expectedTokens: STREAM_TOKENS,
          })
        ).tokensPerSecond,
    },
    {
      // Tokens one at a time, as a real model sends them: nothing to amortise a token's cost over.
      section: 'streams',
      name: `stream of ${STREAM_TOKENS} tokens, a token every 1 ms, 1 client (tokens/s)`,
      tokenDelayMs: 1,
      warm: (gateway) =>
        runStreams(gateway.url, spec, { concurrency: 1, count: 3, expectedTokens: STREAM_TOKENS }),
      run: async (gateway) =>
        (
          await runStreams(gateway.url, spec, {
            concurrency: 1,
            seconds,
            expectedTokens: STREAM_TOKENS,
          })
        ).tokensPerSecond,
    },
  ];
}

export async function profileGateway(
  gatewayEnv: Record<string, string>,
  seconds: number,
  log: Log,
  sections: ReadonlySet<string> = new Set(['rest', 'streams']),
): Promise<ProfiledWorkload[]> {
  const root = mkdtempSync(join(tmpdir(), 'nim-graphql-profile-'));
  const results: ProfiledWorkload[] = [];
  for (const [index, job] of jobs(seconds)
    .filter((j) => sections.has(j.section))
    .entries()) {
    const dir = join(root, String(index));
    mkdirSync(dir);
    const simulator = await startSimulatorProcess({ tokenDelayMs: job.tokenDelayMs });
    const gateway = await startGatewayProcess({
      upstream: simulator.url,
      env: gatewayEnv,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    });
    log(
      `profiling the gateway: ${job.name} (${seconds} s after a warm-up; only that window is summarised)`,
    );
    let rps: number;
    let window: Window;
    try {
      await job.warm(gateway);
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      rps = await job.run(gateway);
      window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
    } finally {
      await gateway.stop();
      await simulator.stop();
    }
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined)
      throw new Error(`the gateway wrote no profile into ${dir}:\n${gateway.output()}`);
    const summary = summarizeProfile(join(dir, file), 25, window);
    const perUnitMs = summary.busyMs / (rps * seconds);
    log(
      `${job.name}: ${rps.toFixed(0)}/s under the profiler, ${perUnitMs.toFixed(3)} ms busy each\n${formatSummary(summary)}\n`,
    );
    results.push({ workload: job.name, rps, summary });
  }
  return results;
}
