// Starts the simulator and a gateway in front of it, both on 127.0.0.1 with free ports.
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { listen, type RunningServer } from '../../src/server.ts';
import {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/server.ts';
import { consoleLogger } from './logs.ts';
import { createGateway, type Gateway } from '../../src/yoga.ts';

export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

export interface Stack {
  sim: Simulator;
  gateway: Gateway;
  server: RunningServer;
  endpoint: string;
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    init?: RequestInit,
  ): Promise<GraphQLResult<T>>;
  close(): Promise<void>;
}

export async function startStack(
  env: Record<string, string> = {},
  simOptions: SimulatorOptions = {},
): Promise<Stack> {
  const sim = await startSimulator(simOptions);
  const config = loadConfig({
    NIM_PROXY_BASE_URL: sim.url,
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  }) as GatewayConfig;
  const gateway = createGateway(config, {
    exampleModel: 'sim/lorem-8b-instruct',
    logger: consoleLogger(),
  });
  const server = await listen(gateway, '127.0.0.1', 0);
  const endpoint = `${server.url}/graphql`;
  return {
    sim,
    gateway,
    server,
    endpoint,
    async gql(query, variables, init = {}) {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
        },
        body: JSON.stringify({ query, variables }),
        ...init,
      });
      const body = (await response.json()) as Omit<GraphQLResult, 'status' | 'headers'>;
      return { status: response.status, headers: response.headers, ...body } as GraphQLResult<any>;
    },
    async close() {
      await server.close();
      await sim.close();
    },
  };
}

export const COMPLETE = /* GraphQL */ `
  mutation Complete($model: ID!, $prompt: String!, $maxTokens: Int) {
    complete(model: $model, prompt: $prompt, maxTokens: $maxTokens) {
      __typename
      ... on Completion {
        id
        created
        text
        choices {
          index
          text
          finishReason
        }
        usage {
          promptTokens
          completionTokens
          totalTokens
        }
        model {
          id
          maxModelLength
        }
      }
      ... on GatewayError {
        code
        message
      }
      ... on ModelNotFoundError {
        requestedModel
        availableModels
      }
      ... on InvalidInputError {
        argument
      }
      ... on ContextLengthExceededError {
        maxContextLength
      }
      ... on RateLimitedError {
        retryAfterSeconds
      }
      ... on UpstreamTimeoutError {
        phase
      }
      ... on UpstreamError {
        upstreamStatus
        retryable
      }
    }
  }
`;

export const MODEL = 'sim/lorem-8b-instruct';
