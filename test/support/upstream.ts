// A hand-written upstream on 127.0.0.1 for answers the simulator cannot give (an auth proxy's page,
// a body that never ends, broken HTTP), and a gateway in front of it.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { listen, type RunningServer } from '../../src/server.ts';
import { createGateway, type Gateway } from '../../src/yoga.ts';
import { postGraphQL } from './gateways.ts';
import { consoleLogger } from './logs.ts';
import type { GraphQLResult } from './stack.ts';

/** What the test upstream was asked: the path, and whether the body asked for a stream. */
export interface Asked {
  path: string;
  stream: boolean;
  body: unknown;
}

export type Answer = (req: IncomingMessage, res: ServerResponse, asked: Asked) => void;

export interface TestUpstream {
  url: string;
  /** Every request, in order. */
  asked: Asked[];
  close(): Promise<void>;
}

export async function startUpstream(answer: Answer): Promise<TestUpstream> {
  const asked: Asked[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: unknown = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = null;
      }
      const entry = {
        path: new URL(req.url ?? '/', 'http://upstream').pathname,
        stream:
          typeof body === 'object' &&
          body !== null &&
          (body as { stream?: unknown }).stream === true,
        body,
      };
      asked.push(entry);
      res.on('error', () => undefined);
      answer(req, res, entry);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    asked,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface GatewayInFront {
  gateway: Gateway;
  server: RunningServer;
  endpoint: string;
  base: string;
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResult<T>>;
  close(): Promise<void>;
}

export async function gatewayInFront(
  upstreamUrl: string,
  env: Record<string, string> = {},
): Promise<GatewayInFront> {
  const config = loadConfig({
    NIM_PROXY_BASE_URL: upstreamUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  }) as GatewayConfig;
  const gateway = createGateway(config, {
    exampleModel: 'test/model',
    logger: consoleLogger('fatal'),
  });
  const server = await listen(gateway, '127.0.0.1', 0);
  const endpoint = `${server.url}/graphql`;
  return {
    gateway,
    server,
    endpoint,
    base: server.url,
    gql: (query, variables) => postGraphQL(endpoint, query, variables),
    close: () => server.close(),
  };
}

/** A model list of one, as NIM answers GET /v1/models. */
export function sendModels(res: ServerResponse, id: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      object: 'list',
      data: [{ id, object: 'model', created: 1, owned_by: 'system', max_model_len: 4096 }],
    }),
  );
}
