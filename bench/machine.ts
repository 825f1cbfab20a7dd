// What a result was measured on and with: machine, Node, commit, the exact command.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  kernel: string;
  node: string;
  gitCommit: string | null;
  /** sha256 of every file under src/, since the working tree may differ from the commit. */
  srcDigest: string;
  command: string;
  fileDescriptorLimit: string;
}

function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

function srcDigest(): string {
  const hash = createHash('sha256');
  for (const path of files(join(ROOT, 'src')).sort()) {
    hash.update(relative(ROOT, path)).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function fileDescriptorLimit(): string {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
    return match ? `${match[1]} soft / ${match[2]} hard` : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function describeMachine(argv: readonly string[]): Machine {
  const args = argv.join(' ');
  const viaNpm = process.env['npm_lifecycle_event'] === 'bench';
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    gitCommit: gitCommit(),
    srcDigest: srcDigest(),
    command: viaNpm
      ? `npm run bench${args ? ` -- ${args}` : ''}`
      : `node bench/run.ts${args ? ` ${args}` : ''}`,
    fileDescriptorLimit: fileDescriptorLimit(),
  };
}
