// The production path of the Dockerfile, without a container engine: build to JavaScript, install
// without dev dependencies in a fresh folder, start with `npm run start:prod`, serve, stop on SIGTERM.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployedNodeArgs } from '../../bench/processes.ts';
import { startProcess } from '../support/processes.ts';

const root = new URL('../..', import.meta.url).pathname;
const exec = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('the production build, installed with npm ci --omit=dev', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nim-graphql-prod-'));
    await exec(join(root, 'node_modules/.bin/tsc'), [
      '-p',
      join(root, 'tsconfig.build.json'),
      '--outDir',
      join(dir, 'dist'),
    ]);
    for (const path of [
      'package.json',
      'package-lock.json',
      'examples/operations',
      'scripts/require-node.mjs',
      'scripts/load-env-file.mjs',
    ]) {
      await cp(join(root, path), join(dir, path), { recursive: true });
    }
    await exec(
      npm,
      ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
      { cwd: dir },
    );
  }, 180_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has no dev dependency and no TypeScript source', async () => {
    await expect(stat(join(dir, 'node_modules/vitest'))).rejects.toThrow();
    await expect(stat(join(dir, 'node_modules/typescript'))).rejects.toThrow();
    await expect(stat(join(dir, 'src'))).rejects.toThrow();
    expect((await stat(join(dir, 'dist/main.js'))).isFile()).toBe(true);
  });

  it('starts as the image does, serves a completion and a stream, and exits 0 on SIGTERM', async () => {
    // The Dockerfile's CMD, its node flags included; `npm run start:prod` runs the same file after the Node check and .env (below).
    const script = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')).scripts[
      'start:prod'
    ] as string;
    expect(script).toMatch(/^exec node (--(?:max|heap)-\S+ )*--import \S+ dist\/main\.js$/);
    const child = spawn(process.execPath, [...deployedNodeArgs(), 'dist/main.js'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        SIMULATOR_TOKEN_DELAY_MS: '0',
      },
    });
    try {
      let endpoint = '';
      for await (const line of createInterface({ input: child.stdout })) {
        const match = /http:\/\/localhost:(\d+)\/graphql/.exec(line);
        if (match) {
          endpoint = `http://127.0.0.1:${match[1]}/graphql`;
          break;
        }
      }
      expect(endpoint).not.toBe('');
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query:
            'mutation { complete(model: "sim/lorem-8b-instruct", prompt: "Once", maxTokens: 4) { __typename ... on Completion { text } } }',
        }),
      });
      const body = (await response.json()) as {
        data: { complete: { __typename: string; text: string } };
      };
      expect(body.data.complete.__typename).toBe('Completion');
      const stream = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({
          query:
            'subscription { chatStream(model: "sim/lorem-8b-instruct", messages: [{ role: USER, content: "Hi" }], maxTokens: 4) { __typename } }',
        }),
      });
      expect(await stream.text()).toContain('ChatDone');
      const page = await fetch(endpoint, { headers: { accept: 'text/html' } });
      expect(await page.text()).toContain('ChatStream');
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('npm run start:prod starts it too, and a SIGTERM to npm stops it', async () => {
    const npmProcess = startProcess(npm, ['run', 'start:prod'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? tmpdir(),
        PORT: '0',
        HOST: '127.0.0.1',
      },
    });
    try {
      const { endpoint } = await npmProcess.listening();
      expect((await fetch(endpoint.replace('/graphql', '/health/live'))).status).toBe(200);
      npmProcess.child.kill('SIGTERM');
      expect(await npmProcess.exited).toEqual({ code: 0, signal: null });
    } finally {
      npmProcess.kill();
    }
  }, 60_000);
});
