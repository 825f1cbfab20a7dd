// Several gateway instances in front of one simulator, each on its own free loopback port: what a
// deployment with a shared Redis budget looks like.
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { listen, type RunningServer } from '../../src/server.ts';
import {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/server.ts';
import { consoleLogger } from './logs.ts';
import { createGateway, type Gateway } from '../../src/yoga.ts';
import type { GraphQLResult } from './stack.ts';

export interface Instance {
  gateway: Gateway;
  server: RunningServer;
  endpoint: string;
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    init?: RequestInit,
  ): Promise<GraphQLResult<T>>;
}

export interface Gateways {
  sim: Simulator;
  instances: Instance[];
  close(): Promise<void>;
}

/** POSTs one GraphQL operation and reads the JSON answer (headers from `init` replace the defaults). */
export async function postGraphQL(
  endpoint: string,
  query: string,
  variables?: Record<string, unknown>,
  init: RequestInit = {},
): Promise<GraphQLResult<any>> {
  const response = await fetch(endpoint, {
    method: 'POST',
    body: JSON.stringify({ query, variables }),
    ...init,
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(init.headers as Record<string, string> | undefined),
    },
  });
  const body = (await response.json()) as Omit<GraphQLResult, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...body };
}

/** `env` configures every instance, or (a function) each instance by its index. */
export async function startGateways(
  count: number,
  env: Record<string, string> | ((index: number) => Record<string, string>) = {},
  simOptions: SimulatorOptions = {},
): Promise<Gateways> {
  const sim = await startSimulator(simOptions);
  const instances: Instance[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const own = typeof env === 'function' ? env(i) : env;
      const config = loadConfig({
        NIM_PROXY_BASE_URL: sim.url,
        HOST: '127.0.0.1',
        PORT: '0',
        ...own,
      }) as GatewayConfig;
      const gateway = createGateway(config, {
        exampleModel: 'sim/lorem-8b-instruct',
        logger: consoleLogger(),
      });
      const server = await listen(gateway, '127.0.0.1', 0);
      const endpoint = `${server.url}/graphql`;
      instances.push({
        gateway,
        server,
        endpoint,
        gql: (query, variables, init) => postGraphQL(endpoint, query, variables, init),
      });
    }
  } catch (error) {
    await Promise.all(instances.map((i) => i.server.close()));
    await sim.close();
    throw error;
  }
  return {
    sim,
    instances,
    async close() {
      await Promise.all(instances.map((i) => i.server.close()));
      await sim.close();
    },
  };
}
