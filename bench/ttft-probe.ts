// node bench/ttft-probe.ts [node flags for the gateway, e.g. --cpu-prof --cpu-prof-dir=DIR]
// What opening a stream costs: 200 streams one after another at one client, against the simulator
// (a token every 1 ms) directly and through the gateway; time to first token and the gateway's CPU
// per stream, for streams of 1 token (setup alone) and of 16.
import { buildGateway, cpuMs, startGatewayProcess, startSimulatorProcess } from './processes.ts';
import { runStreams } from './streams.ts';
import { directStream, gatewayStream } from './workloads.ts';

const STREAMS = 200;
buildGateway();
const simulator = await startSimulatorProcess({ tokenDelayMs: 1 });
const gateway = await startGatewayProcess({
  upstream: simulator.url,
  env: { NODE_ENV: 'production' },
  nodeArgs: process.argv.slice(2),
});
try {
  for (const tokens of [1, 16]) {
    const options = { concurrency: 1, count: STREAMS, expectedTokens: tokens };
    await runStreams(gateway.url, gatewayStream(tokens), { ...options, count: 500 });
    const before = cpuMs(gateway.pid);
    const through = await runStreams(gateway.url, gatewayStream(tokens), options);
    const cpu = (cpuMs(gateway.pid) - before) / STREAMS;
    const direct = await runStreams(simulator.url, directStream(tokens), options);
    const ms = (value: number) => value.toFixed(3);
    process.stdout.write(
      `${tokens}-token streams: TTFT p50 direct ${ms(direct.ttft.p50)} ms, gateway ${ms(through.ttft.p50)} ms ` +
        `(+${ms(through.ttft.p50 - direct.ttft.p50)}); gateway CPU ${ms(cpu)} ms per stream; errors ${direct.errors}/${through.errors}\n`,
    );
  }
} finally {
  await gateway.stop();
  await simulator.stop();
}
