// The README's commands as a newcomer runs them: npm itself, with the system's old Node first on PATH
// (Debian's /usr/bin/node is 20): the scripts run on the Node `npm install` brought, `.env` is read
// and the environment wins over it, and stopping npm stops the server.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { npmEnv, projectCopy, startProcess, type GatewayProcess } from '../support/processes.ts';

const exec = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Whether something can listen on the port again, i.e. nothing holds it any more. */
async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function introspects(endpoint: string): Promise<boolean> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
  });
  const body = (await response.json()) as { data?: unknown };
  return body.data != null;
}

describe('npm start, from a shell whose node is the old system one', () => {
  let project: Awaited<ReturnType<typeof projectCopy>>;
  let gateway: GatewayProcess | undefined;
  beforeAll(async () => {
    // .env turns GraphiQL and introspection off; the environment turns introspection back on.
    project = await projectCopy(
      'GRAPHIQL=false\nINTROSPECTION=false\nSIMULATOR_TOKEN_DELAY_MS=0\n',
    );
  });
  afterEach(() => gateway?.kill());
  afterAll(() => project.remove());

  const start = () =>
    startProcess(npm, ['start'], {
      cwd: project.dir,
      env: npmEnv({ PORT: '0', INTROSPECTION: 'true' }),
    });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'runs the gateway on Node >= 22.19 with .env under the environment; %s to npm stops it and frees the port',
    async (signal) => {
      gateway = start();
      const { endpoint, port, node } = await gateway.listening(60_000);
      const [major = 0, minor = 0] = node.slice(1).split('.').map(Number);
      expect(major > 22 || (major === 22 && minor >= 19)).toBe(true);

      // From .env: no GraphiQL page. From the environment, over .env's false: introspection.
      const page = await fetch(endpoint, { headers: { accept: 'text/html' } });
      expect(
        (await page.text()).includes('<title>nim-graphql</title>'),
        'GraphiQL served despite GRAPHIQL=false in .env',
      ).toBe(false);
      expect(await introspects(endpoint)).toBe(true);

      gateway.child.kill(signal);
      expect(await gateway.exited).toEqual({ code: 0, signal: null });
      await gateway.waitForLog((line) => line.msg === 'stopped');
      expect(await portIsFree(port)).toBe(true);
    },
    90_000,
  );

  it('Ctrl+C in a terminal (SIGINT to the whole process group, which npm passes on too) drains and stops it', async () => {
    gateway = startProcess(npm, ['start'], {
      cwd: project.dir,
      env: npmEnv({ PORT: '0' }),
      detached: true,
    });
    const { port } = await gateway.listening(60_000);
    process.kill(-gateway.child.pid!, 'SIGINT');
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    await gateway.waitForLog((line) => line.msg === 'stopped');
    expect(await portIsFree(port)).toBe(true);
  }, 90_000);

  it('npm run example runs the typed client against it', async () => {
    gateway = start();
    const { endpoint } = await gateway.listening(60_000);
    const { stdout } = await exec(npm, ['run', '--silent', 'example', '--', endpoint], {
      cwd: project.dir,
      env: npmEnv({}),
    });
    expect(stdout).toMatch(/^sim\/lorem-8b-instruct: Once upon a time \S+/);
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }, 90_000);

  it('npm run schema:check works there too', async () => {
    const { stdout } = await exec(npm, ['run', '--silent', 'schema:check'], {
      cwd: project.dir,
      env: npmEnv({}),
    });
    expect(stdout).toContain('schema.graphql and cache-keys.ts are up to date.');
  }, 60_000);
});
