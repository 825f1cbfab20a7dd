// The benchmark still works end to end (every workload, briefly). It asserts no timing: speed lives
// in BENCHMARKS.md, measured by `npm run bench`, never in the test suite.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

describe('npm run bench -- --smoke', () => {
  it('runs every workload against the simulator and the gateway and exits 0', async () => {
    const child = spawn(process.execPath, ['bench/run.ts', '--smoke'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const [code] = await once(child, 'exit');
    expect(code, output).toBe(0);
    expect(output).toMatch(/complete/);
  }, 120_000);
});
