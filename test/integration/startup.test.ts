// What an operator sees when starting the gateway: a refusal without an upstream in production, the
// log as JSON lines (or nothing at LOG_LEVEL=silent), and one line saying how the upstream answered.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODELS, startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { freePort } from '../support/redis.ts';
import { startGateway, type GatewayProcess, type LogLine } from '../support/processes.ts';
import { MODEL } from '../support/stack.ts';

const FATAL = 60;

let gateway: GatewayProcess | undefined;
let upstream: Simulator | undefined;
let refusing: Server | undefined;
afterEach(async () => {
  gateway?.kill();
  gateway = undefined;
  await upstream?.close();
  upstream = undefined;
  await new Promise((resolve) => (refusing ? refusing.close(resolve) : resolve(undefined)));
  refusing = undefined;
});

async function complete(endpoint: string): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `mutation { complete(model: "${MODEL}", prompt: "Once", maxTokens: 4) { __typename } }`,
    }),
  });
  const body = (await response.json()) as { data: { complete: { __typename: string } } };
  return body.data.complete.__typename;
}

const asJson = (line: string) => {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    throw new Error(`not a JSON log line: ${line}`);
  }
};

describe('NODE_ENV=production', () => {
  it.each([
    [
      {},
      /^cannot start: NIM_PROXY_BASE_URL is not set, and with NODE_ENV=production .*NIM_PROXY_BASE_URL=simulator/,
    ],
    [
      { NIM_PROXY_BASEURL: 'http://nim:8000' },
      /NIM_PROXY_BASE_URL is not set.*\(NIM_PROXY_BASEURL is set: a typo\?\)$/,
    ],
  ])(
    'without NIM_PROXY_BASE_URL (%j) refuses to start: one fatal JSON line, exit 1',
    async (env, message) => {
      gateway = startGateway({ NODE_ENV: 'production', PORT: '0', ...env });
      expect(await gateway.exited).toEqual({ code: 1, signal: null });
      expect(gateway.stderr).toEqual([]);
      expect(gateway.stdout).toHaveLength(1);
      const line = asJson(gateway.stdout[0]!);
      expect(line.level).toBe(FATAL);
      expect(line.msg).toMatch(message);
    },
  );

  it('serves the simulator when asked for by name, and warns that its models are fake', async () => {
    gateway = startGateway({
      NODE_ENV: 'production',
      NIM_PROXY_BASE_URL: 'simulator',
      PORT: '0',
      SIMULATOR_TOKEN_DELAY_MS: '0',
    });
    const { endpoint } = await gateway.listening();
    const banner = await gateway.waitForLog((line) => /simulator/.test(line.msg));
    expect(banner).toMatchObject({
      level: 40,
      msg: expect.stringMatching(
        /^NIM_PROXY_BASE_URL=simulator: the built-in NIM simulator serves at/,
      ),
    });
    expect(await complete(endpoint)).toBe('Completion');
  });
});

describe('the log of a start, a request and a SIGTERM', () => {
  it('is JSON lines on stdout, nothing else on stdout or stderr, when not on a terminal', async () => {
    gateway = startGateway({ PORT: '0', SIMULATOR_TOKEN_DELAY_MS: '0', UPSTREAM_TYPO_MS: '1' });
    const { endpoint } = await gateway.listening();
    await gateway.waitForLog((line) => line.probe === 'ok');
    expect(await complete(endpoint)).toBe('Completion');
    await gateway.waitForLog((line) => line.msg === 'operation');
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    expect(gateway.stderr).toEqual([]);
    const lines = gateway.stdout.map(asJson);
    const messages = lines.map((line) => line.msg);
    expect(messages).toEqual([
      expect.stringMatching(
        /^UPSTREAM_TYPO_MS is set, but nim-graphql reads no variable of that name/,
      ),
      expect.stringMatching(
        /^NIM_PROXY_BASE_URL is not set, so the built-in NIM simulator serves at/,
      ),
      expect.stringMatching(/^GraphQL and GraphiQL at http:\/\/localhost:\d+\/graphql$/),
      `the built-in simulator answered GET /v1/models: ${DEFAULT_MODELS.length} models`,
      'operation',
      expect.stringMatching(/^SIGTERM received/),
      'stopped',
    ]);
  });

  it('is nothing at all at LOG_LEVEL=silent', async () => {
    const port = await freePort();
    gateway = startGateway({
      PORT: String(port),
      LOG_LEVEL: 'silent',
      SIMULATOR_TOKEN_DELAY_MS: '0',
      UPSTREAM_TYPO_MS: '1',
    });
    const endpoint = `http://127.0.0.1:${port}/graphql`;
    const deadline = Date.now() + 20_000;
    while (
      !(await fetch(endpoint.replace('/graphql', '/health/ready')).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || gateway.child.exitCode !== null)
        throw new Error(`gateway did not come up: ${gateway.stdout.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await complete(endpoint)).toBe('Completion');
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    expect([...gateway.stdout, ...gateway.stderr]).toEqual([]);
  });

  it('a configuration error too is a fatal JSON line', async () => {
    gateway = startGateway({ PORT: 'abc', MAX_DEPTH: '-1' });
    expect(await gateway.exited).toEqual({ code: 1, signal: null });
    expect(gateway.stderr).toEqual([]);
    const [line, ...rest] = gateway.stdout.map(asJson);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ level: FATAL, msg: 'cannot start: 2 configuration problems' });
    expect(line!.problems).toEqual([
      expect.stringMatching(/^MAX_DEPTH="-1" is not a whole number/),
      expect.stringMatching(/^PORT="abc" is not a whole number/),
    ]);
  });
});

describe('the startup probe of the upstream', () => {
  const probeLine = (process: GatewayProcess) =>
    process.waitForLog((line) => line.probe !== undefined);

  it('says the upstream answered, with its model count', async () => {
    upstream = await startSimulator();
    gateway = startGateway({ PORT: '0', NIM_PROXY_BASE_URL: upstream.url });
    expect(await probeLine(gateway)).toMatchObject({
      level: 30,
      probe: 'ok',
      models: DEFAULT_MODELS.length,
      msg: `NIM Proxy at ${upstream.url} answered GET /v1/models: ${DEFAULT_MODELS.length} models`,
    });
  });

  it('says it is unreachable, keeps serving, and says so again once it answers', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    gateway = startGateway({
      PORT: '0',
      NIM_PROXY_BASE_URL: url,
      UPSTREAM_MAX_RETRIES: '0',
      UPSTREAM_BREAKER_COOLDOWN_MS: '200',
    });
    expect(await probeLine(gateway)).toMatchObject({
      level: 40,
      probe: 'unreachable',
      msg: `NIM Proxy at ${url} is unreachable (connection refused (ECONNREFUSED)); serving anyway and asking again`,
    });
    const { endpoint } = await gateway.listening();
    expect((await fetch(endpoint.replace('/graphql', '/health/live'))).status).toBe(200);
    upstream = await startSimulator({ port });
    const again = await gateway.waitForLog((line) => line.probe === 'ok', 30_000);
    expect(again.msg).toBe(
      `NIM Proxy at ${url} answers GET /v1/models now: ${DEFAULT_MODELS.length} models`,
    );
    expect(gateway.logs().filter((line) => line.probe === 'unreachable')).toHaveLength(1);
  }, 45_000);

  it.each([401, 403])(
    'says NIM Proxy refused the key (%d), and never logs the key',
    async (status) => {
      refusing = createServer((_request, response) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ error: { message: 'Invalid API key', type: 'authentication_error' } }),
        );
      });
      await new Promise<void>((resolve) => refusing!.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
      const key = 'nvapi-secret-0123456789';
      gateway = startGateway({ PORT: '0', NIM_PROXY_BASE_URL: url, NIM_PROXY_API_KEY: key });
      expect(await probeLine(gateway)).toMatchObject({
        level: 50,
        probe: 'key_refused',
        status,
        msg: `NIM Proxy at ${url} refused the key (${status}): check NIM_PROXY_API_KEY; serving anyway and asking again`,
      });
      await gateway.listening();
      expect(gateway.stdout.join('\n')).not.toContain(key);
    },
  );
});

describe('starting over an upstreams file', () => {
  it('names each upstream, and says which could not list its models and why', async () => {
    upstream = await startSimulator();
    const dead = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'fleet-start-'));
    const file = join(dir, 'upstreams.yaml');
    writeFileSync(
      file,
      `upstreams:\n  - name: live\n    baseUrl: ${upstream.url}\n    models: { aliases: { sim/lorem-70b-instruct: lorem-70b } }\n  - name: dead\n    baseUrl: http://127.0.0.1:${dead}\n`,
    );
    gateway = startGateway({ PORT: '0', UPSTREAMS_FILE: file, UPSTREAM_MAX_RETRIES: '0' });
    expect(await gateway.waitForLog((line) => line.upstreams !== undefined)).toMatchObject({
      upstreams: { live: upstream.url, dead: `http://127.0.0.1:${dead}` },
      msg: `using 2 upstreams from UPSTREAMS_FILE: live (${upstream.url}), dead (http://127.0.0.1:${dead})`,
    });
    expect(await gateway.waitForLog((line) => line.probe !== undefined)).toMatchObject({
      probe: 'ok',
      msg: `the upstreams of UPSTREAMS_FILE answered GET /v1/models: ${DEFAULT_MODELS.length} models`,
    });
    expect(await gateway.waitForLog((line) => line.upstream === 'dead')).toMatchObject({
      level: 40,
      msg: 'upstream dead is not healthy (upstream unreachable (ECONNREFUSED)); its models go to the other upstreams meanwhile',
    });
    expect(await gateway.waitForLog((line) => line.upstream === 'live')).toMatchObject({
      level: 30,
      msg: 'upstream live listed its models',
    });
    // The second alias has the ids swapped: the upstream lists no `lorem-70b`.
    expect(await gateway.waitForLog((line) => line.unlistedAliases !== undefined)).toMatchObject({
      level: 40,
      upstream: 'live',
      msg: 'upstream live lists no model for the aliases sim/lorem-70b-instruct: models.aliases maps the id clients use to the id the upstream lists',
    });
    // No simulator of its own: the file's upstreams serve.
    expect(gateway.logs().some((line) => String(line.msg).includes('built-in'))).toBe(false);
    const { endpoint } = await gateway.listening();
    expect(await complete(endpoint)).toBe('Completion');
  });
});
