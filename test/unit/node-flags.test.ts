// The node flags that keep the gateway's memory in bounds are its default however it is started:
// the image (NODE_OPTIONS and the CMD in the Dockerfile, which the benchmark reads the same way) and
// `npm run start:prod`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deployedNodeArgs } from '../../bench/processes.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('node flags', () => {
  it('are the same in the image and in npm run start:prod, and bound the young generation and the growth of old space', () => {
    const image = deployedNodeArgs();
    const script = (JSON.parse(read('package.json')) as { scripts: Record<string, string> })
      .scripts['start:prod']!;
    const scriptFlags = script.split(/\s+/).filter((word) => /^--(max|heap)-/.test(word));
    expect(scriptFlags).toEqual(image);
    expect(image.map((flag) => flag.split('=')[0])).toEqual([
      '--max-semi-space-size',
      '--heap-growing-percent',
    ]);
  });

  it("are ones node takes, from the image's NODE_OPTIONS and on its command line", () => {
    const options = /NODE_OPTIONS="([^"]*)"/.exec(read('Dockerfile'))?.[1] ?? '';
    const fromOptions = spawnSync(process.execPath, ['-e', '0'], {
      env: { ...process.env, NODE_OPTIONS: options },
      encoding: 'utf8',
    });
    expect(fromOptions.stderr).toBe('');
    expect(fromOptions.status).toBe(0);
    const onCommandLine = spawnSync(process.execPath, [...deployedNodeArgs(), '-e', '0'], {
      env: { ...process.env, NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    expect(onCommandLine.stderr).toBe('');
    expect(onCommandLine.status).toBe(0);
  });
});
