// node bench/ab.ts [--against <git revision>] [--b-node-args "…"] [--b-env K=V,…]
//                  [--workload complete|models|chat] [--warmup s] [--seconds s] [--rounds n]
// One gateway against another at steady state, taking turns in front of one simulator (10 clients,
// a long warm-up each): A is this tree as deployed; B is the tree of another commit (--against,
// built in a temporary folder) and/or this one with other node flags or environment. For each, the
// gateway's user and system CPU per request and the simulator's, and the peak RSS of the window.
// Alternating rounds spread the machine's drift over both; the other CPU % says how busy it was.
import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad } from './load.ts';
import {
  buildGateway,
  cpuSplitMs,
  machineBusyMs,
  PeakMemory,
  startGatewayProcess,
  startSimulatorProcess,
} from './processes.ts';
import { WORKLOADS, type Workload } from './workloads.ts';

const { values } = parseArgs({
  options: {
    against: { type: 'string' },
    'b-node-args': { type: 'string', default: '' },
    'b-env': { type: 'string', default: '' },
    workload: { type: 'string', default: 'complete' },
    warmup: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
  },
});
const workload = values.workload as Workload;
if (!(workload in WORKLOADS))
  throw new Error(`--workload takes ${Object.keys(WORKLOADS).join(', ')}`);
if (values.against === undefined && values['b-node-args'] === '' && values['b-env'] === '')
  throw new Error('B is A: give --against, --b-node-args or --b-env');

interface Variant {
  label: string;
  root?: string;
  nodeArgs: string[];
  env: Record<string, string>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let other: string | undefined;
/** The tree of a commit, compiled, in a temporary folder that uses this tree's node_modules. */
function checkout(revision: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nim-graphql-ab-'));
  execSync(`git archive ${JSON.stringify(revision)} | tar -x -C ${JSON.stringify(dir)}`, {
    cwd: ROOT,
  });
  rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  buildGateway(dir);
  return dir;
}

const commit = (revision: string) =>
  execFileSync('git', ['rev-parse', '--short', revision], { cwd: ROOT, encoding: 'utf8' }).trim();
const env = Object.fromEntries(
  values['b-env']
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=', 2) as [string, string]),
);
const bArgs = values['b-node-args'].split(' ').filter(Boolean);
buildGateway();
if (values.against !== undefined) other = checkout(values.against);
const variants: [Variant, Variant] = [
  { label: 'A (this tree)', nodeArgs: [], env: {} },
  {
    label: [
      values.against === undefined ? 'B' : `B (${commit(values.against)})`,
      ...bArgs,
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ].join(' '),
    ...(other === undefined ? {} : { root: other }),
    nodeArgs: bArgs,
    env,
  },
];

const simulator = await startSimulatorProcess({ tokenDelayMs: 0 });
try {
  for (let round = 1; round <= Number(values.rounds); round += 1) {
    for (const variant of variants) {
      const gateway = await startGatewayProcess({
        upstream: simulator.url,
        env: { NODE_ENV: 'production', ...variant.env },
        nodeArgs: variant.nodeArgs,
        ...(variant.root === undefined ? {} : { root: variant.root }),
      });
      try {
        await runLoad(gateway.url, WORKLOADS[workload].gateway, {
          connections: 10,
          seconds: Number(values.warmup),
        });
        const before = {
          gateway: cpuSplitMs(gateway.pid),
          simulator: cpuSplitMs(simulator.pid),
          self: process.cpuUsage(),
          machine: machineBusyMs(),
        };
        const peak = new PeakMemory(gateway.pid);
        const load = await runLoad(gateway.url, WORKLOADS[workload].gateway, {
          connections: 10,
          seconds: Number(values.seconds),
        });
        const peakMb = peak.stop();
        const after = {
          gateway: cpuSplitMs(gateway.pid),
          simulator: cpuSplitMs(simulator.pid),
          self: process.cpuUsage(before.self),
          machine: machineBusyMs(),
        };
        const perRequest = (ms: number) => (ms / load.requests).toFixed(3);
        const user = after.gateway.user - before.gateway.user;
        const system = after.gateway.system - before.gateway.system;
        const simulatorMs =
          after.simulator.user +
          after.simulator.system -
          before.simulator.user -
          before.simulator.system;
        const selfMs = (after.self.user + after.self.system) / 1000;
        const otherMs = after.machine - before.machine - user - system - simulatorMs - selfMs;
        const otherPercent =
          (100 * Math.max(0, otherMs)) / (load.seconds * 1000 * availableParallelism());
        process.stdout.write(
          `round ${round} ${workload} ${variant.label}: ${Math.round(load.rps)} req/s, ${load.errors} errors; ` +
            `gateway CPU ms/req: user ${perRequest(user)} + system ${perRequest(system)} = ${perRequest(user + system)}; ` +
            `simulator ${perRequest(simulatorMs)}; peak RSS ${peakMb.toFixed(1)} MB; other CPU ${otherPercent.toFixed(0)}%\n`,
        );
      } finally {
        await gateway.stop();
      }
    }
  }
} finally {
  await simulator.stop();
  if (other !== undefined) rmSync(other, { recursive: true, force: true });
}
