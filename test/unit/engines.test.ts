// npm checks each package's "engines" against the Node that runs npm, and .npmrc hides its warnings
// (on a fresh machine that Node is older than the one the scripts run on). Here npm checks them
// against the Node the scripts do run on: node_modules/.bin/node, which `npm install` brought.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

describe('dependencies', () => {
  it("every installed package's engines accept the Node the npm scripts run on", async () => {
    const env = {
      PATH: `${root}node_modules/.bin:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/tmp',
    };
    const { stdout: version } = await exec('node', ['--version'], { cwd: root, env });
    expect(version.trim()).toMatch(/^v24\./);
    const args = [
      'install',
      '--dry-run',
      '--ignore-scripts',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=warn',
    ];
    const { stdout, stderr } = await exec('npm', args, { cwd: root, env });
    expect(`${stdout}\n${stderr}`).not.toContain('EBADENGINE');
  }, 60_000);
});
