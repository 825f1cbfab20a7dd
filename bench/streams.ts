// Stream workloads: closed-loop 256-token streams (time to first token, tokens/s), and holding
// N streams open against a slow upstream (memory per stream, stalls).
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentiles, type Percentiles } from './load.ts';
import { cpuMs, memory, type LiveMemory } from './processes.ts';
import { openStream, type OpenStream } from './sse.ts';
import type { StreamSpec } from './workloads.ts';

export interface StreamRunResult {
  concurrency: number;
  streams: number;
  errors: number;
  firstError: string | null;
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  /** Time to first token, ms. */
  ttft: Percentiles;
  /** Whole stream, ms. */
  total: Percentiles;
}

export interface StreamRunOptions {
  concurrency: number;
  /** Keep starting streams for this long … */
  seconds?: number;
  /** … or until this many streams have run. */
  count?: number;
  expectedTokens: number;
}

/** Each of `concurrency` clients runs one stream after another over a keep-alive connection. */
export async function runStreams(
  origin: string,
  spec: StreamSpec,
  options: StreamRunOptions,
): Promise<StreamRunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const ttfts: number[] = [];
  const totals: number[] = [];
  let tokens = 0;
  let streams = 0;
  let errors = 0;
  let firstError: string | null = null;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round((options.seconds ?? 3600) * 1e9));
  let startedCount = 0;
  const more = () =>
    options.count === undefined ? process.hrtime.bigint() < deadline : startedCount < options.count;

  const client = async () => {
    while (more()) {
      startedCount += 1;
      const outcome = await openStream(origin, spec, agent).finished;
      streams += 1;
      tokens += outcome.tokens;
      const ok =
        outcome.error === null && outcome.done && outcome.tokens === options.expectedTokens;
      if (!ok) {
        errors += 1;
        firstError ??= outcome.error ?? `${outcome.tokens} tokens, done: ${outcome.done}`;
        continue;
      }
      ttfts.push(outcome.ttftMs);
      totals.push(outcome.totalMs);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return {
    concurrency: options.concurrency,
    streams,
    errors,
    firstError,
    tokens,
    seconds,
    tokensPerSecond: tokens / seconds,
    ttft: percentiles(ttfts),
    total: percentiles(totals),
  };
}

export interface HoldOptions {
  streams: number;
  tokenDelayMs: number;
  holdMs: number;
  /** Streams still waiting for their first token at once, so opening does not overrun the listen backlog. */
  openConcurrency: number;
  /** A stream silent for longer than this during the hold counts as stalled. */
  stallMs: number;
  /** Give up opening more streams after this long (a gateway that cannot keep up must not hang the run). */
  openTimeoutMs: number;
  gatewayPid: number;
  /** Live memory after a full GC in the gateway, when it can be asked for. */
  probe?: () => Promise<LiveMemory>;
}

export interface HoldResult {
  streams: number;
  opened: number;
  openSeconds: number;
  idleRssMb: number;
  heldRssMb: number;
  kibPerStream: number;
  /** Heap in use + external after a full GC, held minus idle, per stream: what the streams keep alive. */
  liveKibPerStream: number;
  stalled: number;
  errored: number;
  firstError: string | null;
  maxGapMs: number;
  tokensInHold: number;
  cpuMsPer1kTokens: number;
}

/** Opens `streams` SSE streams (one connection each), holds them, checks every one keeps receiving tokens. */
export async function holdStreams(
  origin: string,
  spec: StreamSpec,
  options: HoldOptions,
): Promise<HoldResult> {
  const idleRssMb = memory(options.gatewayPid).rssMb;
  const idleLive = await options.probe?.();
  const open: OpenStream[] = [];
  const gaps: number[] = [];
  let holding = false;
  let holdStart = 0n;
  let tokensInHold = 0;
  const started = process.hrtime.bigint();

  let opening = 0;
  const openDeadline = Date.now() + options.openTimeoutMs;
  for (let i = 0; i < options.streams && Date.now() < openDeadline; i++) {
    while (opening >= options.openConcurrency && Date.now() < openDeadline) await sleep(5);
    const index = i;
    let previous: bigint | null = null;
    gaps[index] = 0;
    opening += 1;
    const stream = openStream(origin, spec, false, {
      onToken: (at) => {
        if (previous === null) opening -= 1;
        if (holding) {
          tokensInHold += 1;
          const since = previous === null || previous < holdStart ? holdStart : previous;
          gaps[index] = Math.max(gaps[index] ?? 0, Number(at - since) / 1e6);
        }
        previous = at;
      },
    });
    void stream.finished.then(() => {
      if (previous === null) opening -= 1;
    });
    open.push(stream);
  }
  while (opening > 0 && Date.now() < openDeadline) await sleep(20);
  const openSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const opened = open.filter((s) => s.firstTokenAt !== null).length;

  holding = true;
  holdStart = process.hrtime.bigint();
  const cpuBefore = cpuMs(options.gatewayPid);
  let heldRssMb = memory(options.gatewayPid).rssMb;
  const holdEnd = Date.now() + options.holdMs;
  while (Date.now() < holdEnd) {
    await sleep(Math.min(250, Math.max(1, holdEnd - Date.now())));
    heldRssMb = Math.max(heldRssMb, memory(options.gatewayPid).rssMb);
  }
  const holdStop = process.hrtime.bigint();
  const cpu = cpuMs(options.gatewayPid) - cpuBefore;
  holding = false;
  const heldLive = await options.probe?.();

  let stalled = 0;
  let errored = 0;
  let maxGapMs = 0;
  for (const [index, stream] of open.entries()) {
    if (stream.ended) {
      errored += 1;
      continue;
    }
    const last = stream.lastTokenAt;
    const silentAtEnd =
      last === null || last < holdStart
        ? Number(holdStop - holdStart) / 1e6
        : Number(holdStop - last) / 1e6;
    const gap = Math.max(gaps[index] ?? 0, silentAtEnd);
    maxGapMs = Math.max(maxGapMs, gap);
    if (gap > options.stallMs) stalled += 1;
  }
  for (const stream of open) stream.cancel();
  const outcomes = await Promise.all(open.map((s) => s.finished));
  const failed = outcomes.find((_, i) => open[i]?.ended);
  const firstError = failed
    ? `${failed.error ?? 'ended'} (HTTP ${failed.status}, ${failed.tokens} tokens, done: ${failed.done})`
    : null;
  return {
    streams: options.streams,
    opened,
    openSeconds,
    idleRssMb,
    heldRssMb,
    kibPerStream: ((heldRssMb - idleRssMb) * 1024) / Math.max(1, opened),
    liveKibPerStream:
      idleLive && heldLive
        ? ((heldLive.liveMb - idleLive.liveMb) * 1024) / Math.max(1, opened)
        : NaN,
    stalled,
    errored,
    firstError,
    maxGapMs,
    tokensInHold,
    cpuMsPer1kTokens: tokensInHold === 0 ? NaN : (cpu / tokensInHold) * 1000,
  };
}
