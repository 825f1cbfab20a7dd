// Process entry: config → (the simulator when asked for, or outside production when no upstream is
// set) → listen → probe the upstream → graceful shutdown. Every line goes through the logger.
import { ConfigError, loadConfig, SIMULATOR, type Config, type GatewayConfig } from './config.ts';
import type { UpstreamHealth } from './nim/client.ts';
import { probeUpstream, type ProbeResult } from './nim/upstream-probe.ts';
import { installLastResort } from './observability/last-resort.ts';
import { createProcessLogger, type Logger } from './observability/logger.ts';
import { listen } from './server.ts';
import { startSimulator, type Simulator } from './simulator/server.ts';
import { createGateway } from './yoga.ts';

async function main(config: Config, logger: Logger): Promise<void> {
  for (const warning of config.warnings) logger.warn(warning);
  const fleet = config.upstreams;
  const simulator: Simulator | undefined =
    config.upstream.baseUrl === undefined && fleet === null
      ? await startSimulator({
          host: '127.0.0.1',
          port: 0,
          tokenDelayMs: config.simulatorTokenDelayMs,
        })
      : undefined;
  if (simulator) {
    const why = config.simulatorByName
      ? `NIM_PROXY_BASE_URL=${SIMULATOR}:`
      : 'NIM_PROXY_BASE_URL is not set, so';
    // In production only by name, and still worth a warning: its models are fake.
    logger[config.production ? 'warn' : 'info'](
      { simulator: simulator.url },
      `${why} the built-in NIM simulator serves at ${simulator.url} (fake models, deterministic text)`,
    );
  } else if (fleet !== null) {
    const named = fleet.map((u) => `${u.name} (${u.upstream.baseUrl})`);
    logger.info(
      { upstreams: Object.fromEntries(fleet.map((u) => [u.name, u.upstream.baseUrl])) },
      `using ${fleet.length} upstream${fleet.length === 1 ? '' : 's'} from UPSTREAMS_FILE: ${named.join(', ')}`,
    );
  } else {
    logger.info(
      { upstream: config.upstream.baseUrl },
      `using NIM Proxy at ${config.upstream.baseUrl}`,
    );
  }
  const upstream = simulator?.url ?? config.upstream.baseUrl ?? fleet?.[0]?.upstream.baseUrl ?? '';
  const gatewayConfig: GatewayConfig = {
    ...config,
    upstream: { ...config.upstream, baseUrl: upstream },
  };
  const exampleModel = simulator ? 'sim/lorem-8b-instruct' : undefined;
  const gateway = createGateway(gatewayConfig, {
    logger,
    ...(exampleModel ? { exampleModel } : {}),
  });
  installLastResort(gateway.logger, gateway.metrics);
  const server = await listen(gateway, config.host, config.port);
  const shownHost = ['127.0.0.1', '0.0.0.0', '::', '::1'].includes(config.host)
    ? 'localhost'
    : config.host;
  const url = `http://${shownHost}:${new URL(server.url).port}/graphql`;
  logger.info(
    { url, node: process.version, pid: process.pid },
    `GraphQL${config.security.graphiql ? ' and GraphiQL' : ''} at ${url}`,
  );

  const name = simulator
    ? 'the built-in simulator'
    : fleet !== null
      ? 'the upstreams of UPSTREAMS_FILE'
      : `NIM Proxy at ${upstream}`;
  const probe = probeUpstream(gateway.services.catalog, {
    report: (result, first) => {
      reportProbe(logger, result, first, name, config.upstream.apiKey !== undefined);
      // A fleet answers when any upstream does: say which did not.
      if (fleet !== null && first) reportUpstreams(logger, gateway.services.nim.upstreams());
    },
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    probe.stop();
    logger.info(
      `${signal} received: not ready any more, draining requests and streams for up to ${config.shutdownGraceMs} ms`,
    );
    // Should closing itself hang, the orchestrator's kill must not be the only way out.
    setTimeout(() => {
      logger.error('shutdown did not finish in time, exiting');
      exit(logger, 1);
    }, config.shutdownGraceMs + 10_000).unref();
    await server.close(config.shutdownGraceMs);
    await simulator?.close();
    logger.info('stopped');
    exit(logger, 0);
  };
  // Ctrl+C signals the terminal's whole process group, and npm passes it on too: one press can arrive
  // twice, so a repeat while draining is no order to quit at once (the timer above still bounds it).
  const onSignal = (signal: NodeJS.Signals) => void stop(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** One line per probe result that differs from the one before; the gateway serves either way. */
function reportUpstreams(logger: Logger, upstreams: readonly UpstreamHealth[]): void {
  for (const { name, circuit, healthy, listError, unlistedAliases } of upstreams) {
    if (healthy) logger.info({ upstream: name, circuit }, `upstream ${name} listed its models`);
    else
      logger.warn(
        { upstream: name, circuit, listError },
        `upstream ${name} is not healthy (${listError ?? `circuit ${circuit}`}); its models go to the other upstreams meanwhile`,
      );
    // An alias of an id the upstream does not list serves nothing: most likely the two ids swapped.
    if (unlistedAliases.length > 0)
      logger.warn(
        { upstream: name, unlistedAliases },
        `upstream ${name} lists no model for the aliases ${unlistedAliases.join(', ')}: models.aliases maps the id clients use to the id the upstream lists`,
      );
  }
}

function reportProbe(
  logger: Logger,
  result: ProbeResult,
  first: boolean,
  name: string,
  hasKey: boolean,
): void {
  const { outcome, ...details } = result;
  const fields = { probe: outcome, ...details };
  const meanwhile = 'serving anyway and asking again';
  switch (result.outcome) {
    case 'ok':
      logger.info(
        fields,
        `${name} ${first ? 'answered' : 'answers'} GET /v1/models${first ? '' : ' now'}: ${result.models} models`,
      );
      return;
    case 'unreachable':
      logger.warn(fields, `${name} is unreachable (${result.reason}); ${meanwhile}`);
      return;
    case 'key_refused':
      logger.error(
        fields,
        `${name} refused the key (${result.status}): ${hasKey ? 'check NIM_PROXY_API_KEY' : 'NIM_PROXY_API_KEY is not set'}; ${meanwhile}`,
      );
      return;
    case 'failed':
      logger.warn(
        fields,
        `${name} failed GET /v1/models: ${result.reason}${result.status === 404 ? ' (is NIM_PROXY_BASE_URL the base URL, without /v1?)' : ''}; ${meanwhile}`,
      );
  }
}

/** Exits once the log lines written so far are out (pino writes stdout asynchronously, in order). */
function exit(logger: Logger, code: number): void {
  process.exitCode = code;
  logger.flush(() => process.exit(code));
}

/** A refusal to start as one fatal line (LOG_LEVEL and LOG_FORMAT as far as they could be read). */
function refuse(error: unknown, logger: Logger): void {
  if (error instanceof ConfigError) {
    const [only] = error.problems;
    const message =
      error.problems.length === 1 ? only : `${error.problems.length} configuration problems`;
    logger.fatal({ problems: error.problems }, `cannot start: ${message}`);
  } else if ((error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE') {
    logger.fatal(
      { err: error },
      `cannot listen: ${(error as Error).message} (another process holds the port: stop it, or set PORT)`,
    );
  } else {
    logger.fatal(
      { err: error },
      `failed to start: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  exit(logger, 1);
}

let config: Config | undefined;
try {
  config = loadConfig();
} catch (error) {
  const logging =
    error instanceof ConfigError
      ? error.logging
      : { level: 'info' as const, format: 'auto' as const, production: false };
  refuse(error, createProcessLogger(logging.level, logging.format, logging.production));
}
if (config) {
  const logger = createProcessLogger(config.logLevel, config.logFormat, config.production);
  main(config, logger).catch((error: unknown) => refuse(error, logger));
}
