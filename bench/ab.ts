// node bench/ab.ts [--workload complete|models|chat] [--warmup s] [--seconds s] [--rounds n]
// One setting against another at steady state: gateways with FAST_PATH=true and FAST_PATH=false take
// turns in front of one simulator (10 clients, a long warm-up each), and for each the gateway's user
// and system CPU per request are printed. Alternating rounds spread the machine's drift over both.
import { parseArgs } from 'node:util';
import { runLoad } from './load.ts';
import {
  buildGateway,
  cpuSplitMs,
  startGatewayProcess,
  startSimulatorProcess,
} from './processes.ts';
import { WORKLOADS, type Workload } from './workloads.ts';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'complete' },
    warmup: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
  },
});
const workload = values.workload as Workload;
if (!(workload in WORKLOADS))
  throw new Error(`--workload takes ${Object.keys(WORKLOADS).join(', ')}`);

buildGateway();
const simulator = await startSimulatorProcess({ tokenDelayMs: 0 });
try {
  for (let round = 1; round <= Number(values.rounds); round += 1) {
    for (const fastPath of ['true', 'false']) {
      const gateway = await startGatewayProcess({
        upstream: simulator.url,
        env: { NODE_ENV: 'production', FAST_PATH: fastPath },
      });
      try {
        await runLoad(gateway.url, WORKLOADS[workload].gateway, {
          connections: 10,
          seconds: Number(values.warmup),
        });
        const before = { gateway: cpuSplitMs(gateway.pid), simulator: cpuSplitMs(simulator.pid) };
        const load = await runLoad(gateway.url, WORKLOADS[workload].gateway, {
          connections: 10,
          seconds: Number(values.seconds),
        });
        const after = { gateway: cpuSplitMs(gateway.pid), simulator: cpuSplitMs(simulator.pid) };
        const perRequest = (ms: number) => (ms / load.requests).toFixed(3);
        const user = after.gateway.user - before.gateway.user;
        const system = after.gateway.system - before.gateway.system;
        const simulatorMs =
          after.simulator.user +
          after.simulator.system -
          before.simulator.user -
          before.simulator.system;
        process.stdout.write(
          `round ${round} ${workload} FAST_PATH=${fastPath.padEnd(5)} ${Math.round(load.rps)} req/s, ${load.errors} errors; ` +
            `gateway CPU ms/req: user ${perRequest(user)} + system ${perRequest(system)} = ${perRequest(user + system)}; ` +
            `simulator ${perRequest(simulatorMs)}\n`,
        );
      } finally {
        await gateway.stop();
      }
    }
  }
} finally {
  await simulator.stop();
}
