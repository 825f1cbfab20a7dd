// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function, and self and inclusive time
// by area (a package under node_modules, a file of src/, Node internals, GC).
// Alone: node bench/profile.ts <file.cpuprofile> [top]
//        node bench/profile.ts <file.cpuprofile> --callers <function name> (who spends time in it)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  /** µs on the monotonic clock, the one process.hrtime reads: a parent can name a window in it. */
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  name: string;
  ms: number;
  /** Share of the busy time (everything but idle). */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  idleMs: number;
  selfByFunction: Entry[];
  selfByArea: Entry[];
  inclusiveByArea: Entry[];
  /** Where the phases show: parse, validate, execute, the upstream call, serialisation. */
  inclusiveByFunction: Entry[];
}

function area(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const own = /\/(src|dist|bench)\/(.+)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

function label(frame: CallFrame): string {
  const file = frame.url.split('/').pop() ?? '';
  const where =
    frame.url === ''
      ? ''
      : ` ${frame.url.startsWith('node:') ? frame.url : `${area(frame)}/${file}`}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'}${where}`;
}

function ranked(totals: Map<string, number>, busyMs: number, top: number): Entry[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, ms, percent: (ms / busyMs) * 100 }));
}

interface LoadedProfile {
  profile: CpuProfile;
  byId: Map<number, ProfileNode>;
  parent: Map<number, number>;
}

function load(file: string): LoadedProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  return { profile, byId, parent };
}

/** Monotonic µs, as process.hrtime.bigint() / 1000n in any process of the machine. */
export interface Window {
  fromUs: number;
  toUs: number;
}

/**
 * The time each sample stands for (timeDeltas[i + 1], until the next sample), in ms; 0 outside
 * the window, so that startup and warm-up do not count.
 */
function sampleTimes(profile: CpuProfile, window?: Window): Float64Array {
  const times = new Float64Array(profile.samples.length);
  let at = profile.startTime;
  for (let i = 0; i < times.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    const inside = window === undefined || (at >= window.fromUs && at <= window.toUs);
    times[i] = inside ? (profile.timeDeltas[i + 1] ?? 0) / 1000 : 0;
  }
  return times;
}

/** The stacks (leaf first, `depth` frames) through which time is spent in functions whose label holds `needle`. */
export function callers(file: string, needle: string, depth = 8, top = 8): Entry[] {
  const { profile, byId, parent } = load(file);
  const times = sampleTimes(profile);
  const stacks = new Map<string, number>();
  let busyMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = times[i] ?? 0;
    if (byId.get(id)?.callFrame.functionName !== '(idle)') busyMs += ms;
    const frames: string[] = [];
    let hit = false;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || frame.functionName === '(root)') break;
      const name = label(frame);
      if (!hit && name.includes(needle)) hit = true;
      if (hit) frames.push(name);
      if (frames.length === depth) break;
    }
    if (hit)
      stacks.set(frames.join('\n      ← '), (stacks.get(frames.join('\n      ← ')) ?? 0) + ms);
  });
  return ranked(stacks, busyMs, top);
}

export function summarizeProfile(file: string, top = 25, window?: Window): ProfileSummary {
  const { profile, byId, parent } = load(file);
  const times = sampleTimes(profile, window);

  const selfFn = new Map<string, number>();
  const selfArea = new Map<string, number>();
  const inclusiveArea = new Map<string, number>();
  const inclusiveFn = new Map<string, number>();
  let idleMs = 0;
  let busyMs = 0;
  const add = (map: Map<string, number>, key: string, ms: number) =>
    map.set(key, (map.get(key) ?? 0) + ms);

  profile.samples.forEach((id, i) => {
    const ms = times[i] ?? 0;
    const node = byId.get(id);
    if (!node || ms === 0) return;
    if (node.callFrame.functionName === '(idle)') {
      idleMs += ms;
      return;
    }
    busyMs += ms;
    add(selfFn, label(node.callFrame), ms);
    add(selfArea, area(node.callFrame), ms);
    const seen = new Set<string>();
    const functions = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || frame.functionName === '(root)') continue;
      seen.add(area(frame));
      if (frame.functionName !== '') functions.add(label(frame));
    }
    for (const name of seen) add(inclusiveArea, name, ms);
    for (const name of functions) add(inclusiveFn, name, ms);
  });

  return {
    file,
    busyMs,
    idleMs,
    selfByFunction: ranked(selfFn, busyMs, top),
    selfByArea: ranked(selfArea, busyMs, top),
    inclusiveByArea: ranked(inclusiveArea, busyMs, top),
    inclusiveByFunction: ranked(inclusiveFn, busyMs, top * 2),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const rows = (entries: Entry[]) =>
    entries
      .map(
        (e) =>
          `  ${e.ms.toFixed(0).padStart(7)} ms ${e.percent.toFixed(1).padStart(5)}%  ${e.name}`,
      )
      .join('\n');
  return [
    `${summary.file}: busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms`,
    'self time by function:',
    rows(summary.selfByFunction),
    'self time by area:',
    rows(summary.selfByArea),
    'inclusive time by area (a sample counts once for every area on its stack):',
    rows(summary.inclusiveByArea),
    'inclusive time by function:',
    rows(summary.inclusiveByFunction),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, second, needle] = process.argv.slice(2);
  if (file === undefined) {
    console.error(
      'usage: node bench/profile.ts <file.cpuprofile> [top | --callers <function name>]',
    );
    process.exit(1);
  }
  if (second === '--callers' && needle !== undefined) {
    for (const e of callers(file, needle))
      console.log(
        `${e.ms.toFixed(0).padStart(7)} ms ${e.percent.toFixed(1).padStart(5)}%  ${e.name}`,
      );
  } else {
    console.log(formatSummary(summarizeProfile(file, second === undefined ? 25 : Number(second))));
  }
}
