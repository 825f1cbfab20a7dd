// The simulator and the gateway, each in its own child process, so that the gateway's CPU time
// and memory can be read alone from /proc.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Child {
  name: string;
  pid: number;
  url: string;
  /** The end of the child's output, for error messages. */
  output(): string;
  /** The next line of output that matches. */
  nextLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function startChild(
  name: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  cwd: string = ROOT,
): Promise<Child> {
  const proc = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  // Only a tail of the output is kept, and lines are split only while someone waits for one: the
  // gateway logs a line per request, and reading them must cost the load generator next to nothing.
  let tail = '';
  const watchers = new Set<(line: string) => void>();
  const reader = () => {
    let carry = '';
    return (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-8192);
      if (watchers.size === 0) {
        carry = '';
        return;
      }
      const lines = (carry + text).split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) for (const watch of watchers) watch(line);
    };
  };
  proc.stdout.on('data', reader());
  proc.stderr.on('data', reader());
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      running.delete(proc);
      resolve(code);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within 20 s:\n${tail}`)),
      20_000,
    );
    const watch = (line: string) => {
      const match = ready.exec(line);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      watchers.delete(watch);
      resolve(match[1]);
    };
    watchers.add(watch);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${tail}`));
    });
  });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`${name} has no pid`);
  return {
    name,
    pid,
    url,
    output: () => tail,
    nextLine: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const watch = (line: string) => {
          if (!pattern.test(line)) return;
          clearTimeout(timer);
          watchers.delete(watch);
          resolve(line);
        };
        const timer = setTimeout(() => {
          watchers.delete(watch);
          reject(new Error(`${name} printed no line matching ${pattern} within ${timeoutMs} ms`));
        }, timeoutMs);
        watchers.add(watch);
      }),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      // A profiled gateway writes its .cpuprofile on exit; give it time before the hard stop.
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface SimulatorSettings {
  tokenDelayMs: number;
  latencyMs?: number;
}

export function startSimulatorProcess(settings: SimulatorSettings): Promise<Child> {
  return startChild(
    'simulator',
    ['src/simulator/main.ts'],
    {
      SIMULATOR_PORT: '0',
      SIMULATOR_TOKEN_DELAY_MS: String(settings.tokenDelayMs),
      SIMULATOR_LATENCY_MS: String(settings.latencyMs ?? 0),
    },
    /listening on (http:\/\/\S+)/,
  );
}

export interface GatewayLaunch {
  upstream: string;
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Another build of the gateway (bench/ab.ts --against): its folder, dist/ built. */
  root?: string;
}

/** Compiles src/ to dist/ (`npm run build`), what production runs; once per bench run. */
export function buildGateway(root: string = ROOT): void {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    { stdio: 'inherit', cwd: root },
  );
}

/**
 * The node flags the container image starts the gateway with (its NODE_OPTIONS, then the flags of
 * its CMD before dist/main.js): the deployed defaults, which the bench measures. None for a tree
 * whose image sets none.
 */
export function deployedNodeArgs(root: string = ROOT): string[] {
  let dockerfile: string;
  try {
    dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  } catch {
    return [];
  }
  const options = /NODE_OPTIONS="([^"]*)"/.exec(dockerfile)?.[1]?.split(/\s+/).filter(Boolean);
  // Docker runs the last CMD; the HEALTHCHECK's is indented.
  const command = [...dockerfile.matchAll(/^CMD \[(.*)\]\r?$/gm)].at(-1)?.[1];
  const words = command === undefined ? [] : (JSON.parse(`[${command}]`) as string[]);
  const main = words.indexOf('dist/main.js');
  if (command !== undefined && (words[0] !== 'node' || main < 0))
    throw new Error(`the Dockerfile's CMD is not node … dist/main.js: ${command}`);
  return [...(options ?? []), ...words.slice(1, main)];
}

/** The gateway exactly as deployed: `node <the image's flags> dist/main.js` (after buildGateway()), configured by environment. */
export async function startGatewayProcess(launch: GatewayLaunch): Promise<Child> {
  const env = {
    NIM_PROXY_BASE_URL: launch.upstream,
    HOST: '127.0.0.1',
    PORT: '0',
    SHUTDOWN_GRACE_MS: '500',
    ...launch.env,
  };
  const root = launch.root ?? ROOT;
  const child = await startChild(
    'gateway',
    [...deployedNodeArgs(root), ...(launch.nodeArgs ?? []), 'dist/main.js'],
    env,
    /GraphQL(?: and GraphiQL)? at (http:\/\/\S+)\/graphql/,
    root,
  );
  // main.ts prints "localhost"; it listens on HOST.
  return { ...child, url: child.url.replace('localhost', '127.0.0.1') };
}

/** Flags that load bench/gateway-probe.ts into a gateway, for liveMemory(). */
export const PROBE_NODE_ARGS = ['--expose-gc', '--import', './bench/gateway-probe.ts'];

export interface LiveMemory {
  rssMb: number;
  /** V8 heap in use plus memory outside it (buffers), right after a full GC. */
  liveMb: number;
}

/** Asks a gateway started with PROBE_NODE_ARGS for its live memory. */
export async function liveMemory(gateway: Child): Promise<LiveMemory> {
  const line = gateway.nextLine(/^bench-probe /, 10_000);
  process.kill(gateway.pid, 'SIGUSR2');
  const { rss, heapUsed, external } = JSON.parse(
    (await line).slice('bench-probe '.length),
  ) as Record<string, number>;
  const mb = (bytes: number | undefined) => (bytes ?? NaN) / 1024 ** 2;
  return { rssMb: mb(rss), liveMb: mb(heapUsed) + mb(external) };
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU time of every thread of the process, in ms (10 ms resolution at 100 Hz). */
/** User and system CPU time of a process so far (all its threads), ms. */
export function cpuSplitMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ms = (field: string | undefined) => (Number(field) * 1000) / ticksPerSecond();
  return { user: ms(fields[11]), system: ms(fields[12]) };
}

export function cpuMs(pid: number): number {
  const { user, system } = cpuSplitMs(pid);
  return user + system;
}

/** Busy CPU time of the whole machine (all cores, every process and the kernel), in ms. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [user, nice, system, , , irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = [user, nice, system, irq, softirq, steal].reduce<number>(
    (sum, n) => sum + (n ?? 0),
    0,
  );
  return (busy * 1000) / ticksPerSecond();
}

export interface Memory {
  rssMb: number;
  /** Peak RSS since start or since the last resetPeak. */
  hwmMb: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0); false where that is not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak RSS over a window: VmHWM when it can be reset, else the highest of samples every 100 ms. */
export class PeakMemory {
  private readonly pid: number;
  private readonly exact: boolean;
  private sampled = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(pid: number) {
    this.pid = pid;
    this.exact = resetPeak(pid);
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  private sample(): void {
    this.sampled = Math.max(this.sampled, memory(this.pid).rssMb);
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.exact ? Math.max(this.sampled, memory(this.pid).hwmMb) : this.sampled;
  }
}
