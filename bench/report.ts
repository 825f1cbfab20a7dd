// The results: their shape, the tables printed and pasted into BENCHMARKS.md, and the issue-6 targets.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from './load.ts';
import type { Machine } from './machine.ts';
import type { ProfileSummary } from './profile.ts';
import type { HoldResult, StreamRunResult } from './streams.ts';
import type { Workload } from './workloads.ts';

export interface RestComparison {
  workload: Workload;
  connections: number;
  direct: LoadResult;
  gateway: LoadResult;
  gatewayCpuMsPerRequest: number;
  gatewayPeakRssMb: number;
  /** RSS when the measured window began: a fresh gateway per row, warmed up for a second. */
  gatewayStartRssMb: number;
  /** Context for the shared cores: what the simulator and the load generator spent per request. */
  simulatorCpuMsPerRequest: { direct: number; gateway: number };
  loadGeneratorCpuMsPerRequest: { direct: number; gateway: number };
  /** Machine CPU busy outside the bench's processes during each window, % of all cores: a noisy neighbour shows here. */
  otherCpuPercent: { direct: number; gateway: number };
}

export interface StreamComparison {
  /** The simulator's pacing between tokens; 0 sends the whole answer at once. */
  tokenDelayMs: number;
  concurrency: number;
  direct: StreamRunResult;
  gateway: StreamRunResult;
  gatewayCpuMsPer1kTokens: number;
  gatewayPeakRssMb: number;
  otherCpuPercent: { direct: number; gateway: number };
}

export interface SoakResult {
  seconds: number;
  warmupSeconds: number;
  requests: number;
  errors: number;
  rps: number;
  rssAfterWarmupMb: number;
  rssEndMb: number;
  peakRssMb: number;
  ratio: number;
  gatewayCpuMsPerRequest: number;
  rssSamples: { atSeconds: number; rssMb: number }[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

export interface BenchReport {
  mode: string;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  loadGenerator: string;
  gatewayEnv: Record<string, string>;
  scaleEnv: Record<string, string>;
  rest: RestComparison[];
  streams: StreamComparison[];
  scale: HoldResult[];
  soak: SoakResult | null;
  /** --profile: what the gateway spent its CPU on, per workload. */
  profiles: { workload: string; rps: number; summary: ProfileSummary }[];
  targets: TargetCheck[];
}

const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : '–');
const num = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
const signed = (n: number) => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(3)}` : '–');

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function restTable(rows: RestComparison[]): string {
  return table(
    [
      'workload',
      'clients',
      'direct req/s',
      'gateway req/s',
      'gw/direct',
      'direct p50 / p90 / p99 ms',
      'gateway p50 / p90 / p99 ms',
      'added p50 ms',
      'added p99 ms',
      'gw CPU ms/req',
      'gw RSS start → peak MB',
      'errors d/g',
      'other CPU % d/g',
    ],
    rows.map((r) => [
      r.workload,
      String(r.connections),
      num(r.direct.rps),
      num(r.gateway.rps),
      num(r.gateway.rps / r.direct.rps, 2),
      `${ms(r.direct.latency.p50)} / ${ms(r.direct.latency.p90)} / ${ms(r.direct.latency.p99)}`,
      `${ms(r.gateway.latency.p50)} / ${ms(r.gateway.latency.p90)} / ${ms(r.gateway.latency.p99)}`,
      signed(r.gateway.latency.p50 - r.direct.latency.p50),
      signed(r.gateway.latency.p99 - r.direct.latency.p99),
      ms(r.gatewayCpuMsPerRequest),
      `${num(r.gatewayStartRssMb)} → ${num(r.gatewayPeakRssMb)}`,
      `${r.direct.errors}/${r.gateway.errors}`,
      `${num(r.otherCpuPercent.direct)}/${num(r.otherCpuPercent.gateway)}`,
    ]),
  );
}

export function streamTable(rows: StreamComparison[]): string {
  return table(
    [
      '256-token streams',
      'direct TTFT p50 / p99 ms',
      'gateway TTFT p50 / p99 ms',
      'added TTFT p50 / p99 ms',
      'direct tokens/s',
      'gateway tokens/s',
      'gw CPU ms / 1k tokens',
      'gw peak RSS MB',
      'streams d/g',
      'errors d/g',
      'other CPU % d/g',
    ],
    rows.map((r) => [
      `${r.concurrency} client${r.concurrency === 1 ? '' : 's'}, ${r.tokenDelayMs === 0 ? 'burst' : `a token every ${r.tokenDelayMs} ms`}`,
      `${ms(r.direct.ttft.p50)} / ${ms(r.direct.ttft.p99)}`,
      `${ms(r.gateway.ttft.p50)} / ${ms(r.gateway.ttft.p99)}`,
      `${signed(r.gateway.ttft.p50 - r.direct.ttft.p50)} / ${signed(r.gateway.ttft.p99 - r.direct.ttft.p99)}`,
      num(r.direct.tokensPerSecond),
      num(r.gateway.tokensPerSecond),
      num(r.gatewayCpuMsPer1kTokens, 1),
      num(r.gatewayPeakRssMb, 1),
      `${r.direct.streams}/${r.gateway.streams}`,
      `${r.direct.errors}/${r.gateway.errors}`,
      `${num(r.otherCpuPercent.direct)}/${num(r.otherCpuPercent.gateway)}`,
    ]),
  );
}

export function scaleTable(rows: HoldResult[]): string {
  return table(
    [
      'open streams',
      'opened',
      'open time s',
      'gw RSS idle MB',
      'gw RSS held MB',
      'RSS KiB / stream',
      'live KiB / stream',
      'stalled',
      'errored',
      'max token gap ms',
      'tokens in hold',
      'gw CPU ms / 1k tokens',
    ],
    rows.map((r) => [
      num(r.streams),
      num(r.opened),
      num(r.openSeconds, 1),
      num(r.idleRssMb, 1),
      num(r.heldRssMb, 1),
      num(r.kibPerStream, 1),
      num(r.liveKibPerStream, 1),
      String(r.stalled),
      String(r.errored),
      num(r.maxGapMs),
      num(r.tokensInHold),
      num(r.cpuMsPer1kTokens, 1),
    ]),
  );
}

export function soakTable(soak: SoakResult): string {
  return table(
    [
      'soak',
      'req/s',
      'errors',
      'RSS after warm-up MB',
      'RSS at end MB',
      'end / warm-up',
      'peak RSS MB',
      'gw CPU ms/req',
    ],
    [
      [
        `complete, 10 clients, ${num(soak.seconds)} s`,
        num(soak.rps),
        String(soak.errors),
        num(soak.rssAfterWarmupMb, 1),
        num(soak.rssEndMb, 1),
        num(soak.ratio, 3),
        num(soak.peakRssMb, 1),
        ms(soak.gatewayCpuMsPerRequest),
      ],
    ],
  );
}

function check(target: string, measured: string, met: boolean): TargetCheck {
  return { target, measured, met };
}

export function checkTargets(report: Omit<BenchReport, 'targets' | 'finishedAt'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const row = (workload: Workload, c: number) =>
    report.rest.find((r) => r.workload === workload && r.connections === c);
  const c1 = row('complete', 1);
  const c10 = row('complete', 10);
  if (c10)
    checks.push(
      check(
        'gateway CPU per complete ≤ 0.15 ms (10 clients)',
        `${ms(c10.gatewayCpuMsPerRequest)} ms`,
        c10.gatewayCpuMsPerRequest <= 0.15,
      ),
    );
  if (c1) {
    const p50 = c1.gateway.latency.p50 - c1.direct.latency.p50;
    const p99 = c1.gateway.latency.p99 - c1.direct.latency.p99;
    checks.push(check('complete, 1 client: added p50 ≤ 0.3 ms', `${signed(p50)} ms`, p50 <= 0.3));
    checks.push(check('complete, 1 client: added p99 ≤ 1 ms', `${signed(p99)} ms`, p99 <= 1));
  }
  if (c10) {
    const p50 = c10.gateway.latency.p50 - c10.direct.latency.p50;
    checks.push(check('complete, 10 clients: added p50 ≤ 1.5 ms', `${signed(p50)} ms`, p50 <= 1.5));
    checks.push(
      check(
        'complete, 10 clients ≥ 6,000 req/s',
        `${num(c10.gateway.rps)} req/s`,
        c10.gateway.rps >= 6000,
      ),
    );
  }
  const models = report.rest.filter((r) => r.workload === 'models');
  if (models.length > 0) {
    const best = models.reduce((a, b) => (b.gateway.rps > a.gateway.rps ? b : a));
    checks.push(
      check(
        'cached models ≥ 10,000 req/s',
        `${num(best.gateway.rps)} req/s (best, ${best.connections} clients)`,
        best.gateway.rps >= 10_000,
      ),
    );
  }
  const underLoad = report.rest.filter((r) => r.workload !== 'chat');
  if (underLoad.length > 0) {
    const peak = Math.max(...underLoad.map((r) => r.gatewayPeakRssMb));
    checks.push(check('gateway RSS ≤ 150 MB under load', `${num(peak, 1)} MB peak`, peak <= 150));
  }
  if (report.soak) {
    checks.push(
      check(
        'no growth over the soak (end ≤ 1.1 × after warm-up)',
        `× ${num(report.soak.ratio, 3)}`,
        report.soak.ratio <= 1.1,
      ),
    );
  }
  const single = report.streams.find((s) => s.concurrency === 1 && s.tokenDelayMs > 0);
  if (single) {
    const added = single.gateway.ttft.p50 - single.direct.ttft.p50;
    checks.push(
      check(
        `streams: added TTFT p50 ≤ 1 ms (1 client, a token every ${single.tokenDelayMs} ms)`,
        `${signed(added)} ms`,
        added <= 1,
      ),
    );
  }
  const largest = report.scale.at(-1);
  if (largest) {
    const ok =
      largest.streams >= 5000 &&
      largest.opened === largest.streams &&
      largest.stalled === 0 &&
      largest.errored === 0;
    checks.push(
      check(
        `≥ 5,000 concurrent streams, none stalled`,
        `${num(largest.opened)}/${num(largest.streams)} open, ${largest.stalled} stalled, ${largest.errored} errored`,
        ok,
      ),
    );
    checks.push(
      check(
        '< 50 KiB per open stream',
        `${num(largest.kibPerStream, 1)} KiB at ${num(largest.streams)}`,
        largest.streams >= 5000 && largest.kibPerStream < 50,
      ),
    );
  }
  return checks;
}

export function targetList(checks: TargetCheck[]): string {
  return checks.map((c) => `- [${c.met ? 'x' : ' '}] ${c.target}: ${c.measured}`).join('\n');
}

export function writeReport(report: BenchReport, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}
