// The gateway as a real process (`node src/main.ts`, or `npm start` in a throwaway copy of the
// project), its output kept line by line, its JSON log lines parsed.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

const root = new URL('../..', import.meta.url).pathname;

export type LogLine = Record<string, unknown> & { level: number; msg: string };

export interface GatewayProcess {
  child: ChildProcessWithoutNullStreams;
  stdout: string[];
  stderr: string[];
  /** The stdout lines that parse as JSON log lines. */
  logs(): LogLine[];
  /** Waits for a log line, failing with everything said so far when none comes. */
  waitForLog(matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Waits for the "GraphQL and GraphiQL at …" line: the endpoint on 127.0.0.1, and the server's pid. */
  listening(
    timeoutMs?: number,
  ): Promise<{ endpoint: string; port: number; pid: number; node: string }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running, and the server's own pid too should it have outlived its parent. */
  kill(): void;
}

function parse(line: string): LogLine | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && 'level' in value
      ? (value as LogLine)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `detached`: the process leads a process group of its own, as a command started from a terminal does. */
export function startProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env: Record<string, string>; detached?: boolean },
): GatewayProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? root,
    env: options.env,
    detached: options.detached ?? false,
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => stdout.push(line));
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  let serverPid: number | undefined;
  const logs = () => stdout.map(parse).filter((line) => line !== undefined);
  const waitForLog = async (matches: (line: LogLine) => boolean, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = logs().find(matches);
      if (found) return found;
      if (Date.now() > deadline || child.exitCode !== null) {
        // One more look: the line may have come with the exit.
        await sleep(50);
        const late = logs().find(matches);
        if (late) return late;
        throw new Error(
          `no such log line; stdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`,
        );
      }
      await sleep(25);
    }
  };
  return {
    child,
    stdout,
    stderr,
    logs,
    waitForLog,
    async listening(timeoutMs) {
      const line = await waitForLog(
        (l) => /^GraphQL( and GraphiQL)? at http:\/\/localhost:\d+\/graphql/.test(l.msg),
        timeoutMs,
      );
      const port = Number(/:(\d+)\/graphql/.exec(line.msg)![1]);
      serverPid = Number(line.pid);
      return {
        endpoint: `http://127.0.0.1:${port}/graphql`,
        port,
        pid: serverPid,
        node: String(line.node),
      };
    },
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (serverPid !== undefined && serverPid !== child.pid && isAlive(serverPid))
        process.kill(serverPid, 'SIGKILL');
    },
  };
}

/** `node src/main.ts` with exactly `env` (and PATH), from the project root. */
export function startGateway(env: Record<string, string>): GatewayProcess {
  return startProcess(process.execPath, ['src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A throwaway copy of the project to run npm scripts in: its own package.json and .npmrc (and a
 * .env when given), the rest linked to this checkout. A developer's own .env never comes into it.
 */
export async function projectCopy(
  dotEnv?: string,
): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'nim-graphql-project-'));
  for (const file of ['package.json', '.npmrc']) await copyFile(join(root, file), join(dir, file));
  for (const link of ['node_modules', 'src', 'scripts', 'examples'])
    await symlink(join(root, link), join(dir, link));
  if (dotEnv !== undefined) await writeFile(join(dir, '.env'), dotEnv);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The environment for npm: PATH with an old system Node first when there is one (/usr/bin/node), HOME for npm's own files. */
export function npmEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: `/usr/bin:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? tmpdir(), ...env };
}
