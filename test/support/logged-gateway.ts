// A simulator and a gateway on loopback whose JSON log lines are kept, plus a raw HTTP client that
// sends the exact method, target and header bytes given (fetch normalises some of them).
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { listen, type RunningServer } from '../../src/server.ts';
import {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/server.ts';
import { createGateway, type Gateway } from '../../src/yoga.ts';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body as JSON, or null when it is not JSON (or empty). */
  json: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  } | null;
}

export interface LoggedGateway {
  sim: Simulator;
  gateway: Gateway;
  server: RunningServer;
  origin: string;
  endpoint: string;
  /** Every log line so far, parsed. */
  lines: Record<string, unknown>[];
  /** The log lines of one request id (set with x-request-id). */
  linesOf(requestId: string): Record<string, unknown>[];
  /** One HTTP/1.1 request with these exact header values (latin1 bytes), on its own connection. */
  raw(
    method: string,
    target: string,
    headers?: Record<string, string>,
    body?: string,
  ): Promise<RawAnswer>;
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

export async function startLoggedGateway(
  env: Record<string, string> = {},
  simOptions: SimulatorOptions = { tokenDelayMs: 0 },
): Promise<LoggedGateway> {
  const sim = await startSimulator(simOptions);
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = loadConfig({
    NIM_PROXY_BASE_URL: sim.url,
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  }) as GatewayConfig;
  const gateway = createGateway(config, { logger: createLogger('info', sink) });
  const server = await listen(gateway, '127.0.0.1', 0);
  const origin = server.url;
  return {
    sim,
    gateway,
    server,
    origin,
    endpoint: `${origin}/graphql`,
    lines,
    linesOf: (requestId) => lines.filter((line) => line.requestId === requestId),
    raw: (method, target, headers = {}, body) =>
      new Promise<RawAnswer>((resolve, reject) => {
        const url = new URL(origin);
        const outgoing = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            method,
            path: target,
            agent: false,
            headers:
              body === undefined
                ? headers
                : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let json: RawAnswer['json'] = null;
              try {
                json = text === '' ? null : (JSON.parse(text) as RawAnswer['json']);
              } catch {
                json = null;
              }
              resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
            });
            response.on('error', reject);
          },
        );
        outgoing.on('error', reject);
        outgoing.end(body);
      }),
    metrics: async () => (await fetch(`${origin}/metrics`)).text(),
    async close() {
      await server.close();
      await sim.close();
    },
  };
}

/** The sum of the Prometheus samples of `name` that carry the labels given (0 when none does). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const open = line.indexOf('{');
    const close = line.lastIndexOf('}');
    const own = open === -1 || open > line.indexOf(' ') ? '' : line.slice(open + 1, close);
    const has = Object.entries(labels).every(([key, value]) =>
      own.split(/,(?=\w+=")/).includes(`${key}="${value}"`),
    );
    if (has) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
