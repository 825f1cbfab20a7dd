// The commands README.md gives, run as a user would: real processes, real ports.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

function run(args: string[], env: Record<string, string>) {
  return spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

describe('npm start without NIM_PROXY_BASE_URL', () => {
  let child: ChildProcessWithoutNullStreams;
  const lines: string[] = [];
  let endpoint = '';

  beforeAll(async () => {
    child = run(['src/main.ts'], { PORT: '0', HOST: '127.0.0.1', SIMULATOR_TOKEN_DELAY_MS: '0' });
    const reader = createInterface({ input: child.stdout });
    for await (const line of reader) {
      lines.push(line);
      const match = /http:\/\/localhost:(\d+)\/graphql/.exec(line);
      if (match) {
        endpoint = `http://127.0.0.1:${match[1]}/graphql`;
        break;
      }
    }
  }, 20_000);
  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('says in its first line that the built-in simulator is in use', () => {
    expect(lines[0]).toMatch(/NIM_PROXY_BASE_URL is not set.*simulator/);
  });

  it('serves the typed example client: models, then a completion with text and usage', async () => {
    const client = run(['examples/client.ts', endpoint], {});
    let output = '';
    client.stdout.on('data', (chunk: Buffer) => (output += chunk));
    const [code] = await once(client, 'exit');
    expect(code).toBe(0);
    expect(output).toMatch(/^sim\/lorem-8b-instruct: Once upon a time \S+/);
    expect(output).toMatch(/\(\d+ tokens, (STOP|LENGTH)\)/);
  });

  it('serves GraphiQL from its own files, opening on the example operations', async () => {
    const response = await fetch(endpoint, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<title>nim-graphql</title>');
    expect(html).not.toMatch(/<script[^>]+src=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link[^>]+href=["']?(https?:)?\/\//i);
    expect(html).not.toContain('unpkg.com');
    expect(html).toMatch(/<script src="\/graphiql\/graphiql\.[0-9a-f]{16}\.js"><\/script>/);
    expect(html).toContain('query Models');
    expect(html).toContain('sim/lorem-8b-instruct');
  });

  it('exits 0 on SIGTERM', async () => {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});

describe('a wrong configuration', () => {
  it.each([
    [{ PORT: 'abc' }, /PORT="abc" is not a whole number; expected a whole number from 0 to 65535/],
    [
      { NIM_PROXY_BASE_URL: 'nim-proxy:8000' },
      /NIM_PROXY_BASE_URL=.* (is not a URL|has protocol).*expected an http\(s\) URL/,
    ],
    [{ MODELS_CACHE_TTL_MS: '-5' }, /MODELS_CACHE_TTL_MS="-5" is not a whole number/],
  ] as [Record<string, string>, RegExp][])(
    '%j stops the process with a fatal log line naming the variable',
    async (env, message) => {
      const child = run(['src/main.ts'], { ...env, PORT: env.PORT ?? '0' });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
      const [code] = await once(child, 'exit');
      expect(code).toBe(1);
      const line = JSON.parse(stdout) as { level: number; msg: string };
      expect(line.level).toBe(60);
      expect(line.msg).toMatch(message);
    },
  );
});
