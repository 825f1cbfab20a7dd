// node bench/memory.ts [--workload complete] [--clients 10] [--seconds 15] [--node-args "…"] [--env K=V,…]
// Where a gateway's memory goes under load: peak RSS over the window, then (without a GC) RSS split
// into anonymous and file-backed pages, the V8 heap by space (size and used), and external memory
// (buffers); then the same right after a full GC, which is what the load keeps alive.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { runLoad } from './load.ts';
import {
  buildGateway,
  PeakMemory,
  startGatewayProcess,
  startSimulatorProcess,
  type Child,
} from './processes.ts';
import { WORKLOADS, type Workload } from './workloads.ts';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'complete' },
    clients: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '15' },
    'node-args': { type: 'string', default: '' },
    env: { type: 'string', default: '' },
  },
});
const workload = values.workload as Workload;
if (!(workload in WORKLOADS))
  throw new Error(`--workload takes ${Object.keys(WORKLOADS).join(', ')}`);
const env = Object.fromEntries(
  values.env
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=', 2) as [string, string]),
);

const mb = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);

function rollup(pid: number): string {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
  return `RSS ${(kb('VmRSS') / 1024).toFixed(1)} MB (anonymous ${(kb('RssAnon') / 1024).toFixed(1)}, file ${(kb('RssFile') / 1024).toFixed(1)})`;
}

async function report(gateway: Child, gc: boolean): Promise<string> {
  const line = gateway.nextLine(/^bench-heap /, 10_000);
  process.kill(gateway.pid, gc ? 'SIGUSR2' : 'SIGUSR1');
  const heap = JSON.parse((await line).slice('bench-heap '.length)) as {
    spaces: { name: string; size: number; used: number }[];
    external: number;
    arrayBuffers: number;
  };
  const spaces = heap.spaces
    .filter((s) => s.size > 512 * 1024)
    .map((s) => `${s.name} ${mb(s.size)}/${mb(s.used)}`)
    .join(', ');
  return `${rollup(gateway.pid)}; V8 size/used MB: ${spaces}; external ${mb(heap.external)} (array buffers ${mb(heap.arrayBuffers)})`;
}

buildGateway();
const simulator = await startSimulatorProcess({ tokenDelayMs: 0 });
try {
  const gateway = await startGatewayProcess({
    upstream: simulator.url,
    env: { NODE_ENV: 'production', ...env },
    nodeArgs: [
      ...values['node-args'].split(' ').filter(Boolean),
      '--expose-gc',
      '--import',
      './bench/heap-probe.ts',
    ],
  });
  try {
    await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: WORKLOADS.models.gateway.body!,
    });
    process.stdout.write(`idle after one request: ${rollup(gateway.pid)}\n`);
    const peak = new PeakMemory(gateway.pid);
    const load = await runLoad(gateway.url, WORKLOADS[workload].gateway, {
      connections: Number(values.clients),
      seconds: Number(values.seconds),
    });
    const peakMb = peak.stop();
    process.stdout.write(
      `${workload} at ${values.clients} clients: ${Math.round(load.rps)} req/s, ${load.errors} errors, peak RSS ${peakMb.toFixed(1)} MB\n`,
    );
    process.stdout.write(`after the load: ${await report(gateway, false)}\n`);
    process.stdout.write(`after a full GC: ${await report(gateway, true)}\n`);
  } finally {
    await gateway.stop();
  }
} finally {
  await simulator.stop();
}
