// The floor under any Node gateway on this machine: a bare node:http server that relays
// POST /v1/completions to the simulator through an undici Pool (parse and re-serialise the JSON,
// nothing else), measured like the gateway. No GraphQL, no Fetch API layer, no plugins.
//   node bench/floor.ts            measure (the relay runs in its own child process)
//   node bench/floor.ts --serve <upstream>   the relay itself
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { runLoad } from './load.ts';
import { cpuMs, memory, startSimulatorProcess } from './processes.ts';
import { WORKLOADS } from './workloads.ts';

async function serve(upstream: string): Promise<void> {
  const pool = new Pool(upstream, { connections: 64 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      pool
        .request({
          method: 'POST',
          path: req.url ?? '/',
          headers: { 'content-type': 'application/json' },
          body,
        })
        .then(async (response) => {
          const text = JSON.stringify(JSON.parse(await response.body.text()));
          res.writeHead(response.statusCode, { 'content-type': 'application/json' }).end(text);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  server.listen(0, '127.0.0.1', () =>
    console.log(`floor relay at http://127.0.0.1:${(server.address() as AddressInfo).port}`),
  );
}

async function measure(): Promise<void> {
  const simulator = await startSimulatorProcess({ tokenDelayMs: 0 });
  const relay = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), '--serve', simulator.url],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve) =>
    relay.stdout.on('data', (chunk: Buffer) => {
      const match = /relay at (\S+)/.exec(chunk.toString('utf8'));
      if (match?.[1]) resolve(match[1]);
    }),
  );
  const pid = relay.pid ?? 0;
  const spec = WORKLOADS.complete.direct;
  try {
    for (const connections of [1, 10]) {
      await runLoad(url, spec, { connections, seconds: 1 });
      const direct = await runLoad(simulator.url, spec, { connections, seconds: 5 });
      const before = cpuMs(pid);
      const relayed = await runLoad(url, spec, { connections, seconds: 5 });
      const cpu = (cpuMs(pid) - before) / relayed.requests;
      console.log(
        `complete, ${connections} client(s): direct ${direct.rps.toFixed(0)} req/s p50 ${direct.latency.p50.toFixed(3)} ms; ` +
          `relay ${relayed.rps.toFixed(0)} req/s p50 ${relayed.latency.p50.toFixed(3)} ms p99 ${relayed.latency.p99.toFixed(3)} ms, ` +
          `added p50 ${(relayed.latency.p50 - direct.latency.p50).toFixed(3)} ms, relay CPU ${cpu.toFixed(3)} ms/req, ` +
          `RSS ${memory(pid).rssMb.toFixed(0)} MB`,
      );
    }
  } finally {
    relay.kill('SIGTERM');
    await simulator.stop();
  }
}

const [flag, upstream] = process.argv.slice(2);
if (flag === '--serve' && upstream !== undefined) await serve(upstream);
else await measure();
