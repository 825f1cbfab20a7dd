// Process entry: config → (simulator when no upstream is set) → listen → graceful shutdown.
import { ConfigError, loadConfig, type GatewayConfig } from './config.ts';
import { installLastResort } from './observability/last-resort.ts';
import { listen } from './server.ts';
import { startSimulator, type Simulator } from './simulator/server.ts';
import { createGateway } from './yoga.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const simulator: Simulator | undefined =
    config.upstream.baseUrl === undefined
      ? await startSimulator({ host: '127.0.0.1', port: 0, tokenDelayMs: config.simulatorTokenDelayMs })
      : undefined;
  if (simulator) {
    console.log(`nim-graphql: NIM_PROXY_BASE_URL is not set, so the built-in NIM simulator serves at ${simulator.url} (fake models, deterministic text)`);
  } else {
    console.log(`nim-graphql: using NIM Proxy at ${config.upstream.baseUrl}`);
  }
  const upstream = simulator?.url ?? config.upstream.baseUrl ?? '';
  const gatewayConfig: GatewayConfig = { ...config, upstream: { ...config.upstream, baseUrl: upstream } };
  const exampleModel = simulator ? 'sim/lorem-8b-instruct' : undefined;
  const gateway = createGateway(gatewayConfig, exampleModel ? { exampleModel } : {});
  installLastResort(gateway.logger, gateway.metrics);
  const server = await listen(gateway, config.host, config.port);
  const shownHost = ['127.0.0.1', '0.0.0.0', '::', '::1'].includes(config.host) ? 'localhost' : config.host;
  console.log(`nim-graphql: GraphQL and GraphiQL at http://${shownHost}:${new URL(server.url).port}/graphql`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`nim-graphql: ${signal} received: not ready any more, draining requests and streams for up to ${config.shutdownGraceMs} ms`);
    // Should closing itself hang, the orchestrator's kill must not be the only way out.
    setTimeout(() => {
      console.error('nim-graphql: shutdown did not finish in time, exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 10_000).unref();
    await server.close(config.shutdownGraceMs);
    await simulator?.close();
    console.log('nim-graphql: stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`nim-graphql: ${error.message}`);
  } else {
    console.error('nim-graphql: failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
