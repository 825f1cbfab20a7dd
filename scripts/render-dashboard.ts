// Renders deploy/grafana/nim-graphql.json to docs/grafana-dashboard.png without Grafana (Debian has
// no package for it): a gateway process (`node src/main.ts`) runs in front of the simulator on
// loopback under a mixed load from this process (queries,
// completions, chats, streams, some cancelled, typed errors, a burst of upstream 503s that are
// retried and an upstream outage that opens the breaker), Debian's Prometheus scrapes /metrics
// every second, each panel's own PromQL is evaluated by that Prometheus (query_range), and the
// results are drawn on the dashboard's grid in an HTML page that chromium screenshots.
//   apt-get install prometheus chromium; node scripts/render-dashboard.ts [seconds=150]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startSimulator } from '../src/simulator/server.ts';
import { dashboardHtml, type Panel, type Series } from './dashboard-html.ts';

const SECONDS = Number(process.argv[2] ?? 150);
const STEP_S = 2;
/** What Grafana's $__rate_interval comes to for a 1 s scrape at this step. */
const RATE_INTERVAL = '10s';
const PROMETHEUS = process.env.PROMETHEUS ?? 'prometheus';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = new URL('../', import.meta.url);
const dashboard = JSON.parse(
  readFileSync(new URL('deploy/grafana/nim-graphql.json', root), 'utf8'),
) as { title: string; panels: (Panel & { panels?: Panel[] })[] };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sim = await startSimulator({ tokenDelayMs: 20, latencyMs: 40 });
// Its own process, as in production: its metrics (CPU, event loop, overhead) are the gateway's alone.
const gatewayPort = await freePort();
const gateway = spawn(process.execPath, [fileURLToPath(new URL('src/main.ts', root))], {
  env: {
    ...process.env,
    NIM_PROXY_BASE_URL: sim.url,
    HOST: '127.0.0.1',
    PORT: String(gatewayPort),
    LOG_LEVEL: 'silent',
    UPSTREAM_RETRY_BUDGET_RATIO: '1',
  },
  stdio: 'ignore',
});
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
const endpoint = `${gatewayUrl}/graphql`;

const work = mkdtempSync(join(tmpdir(), 'nim-graphql-dashboard-'));
const promPort = await freePort();
writeFileSync(
  join(work, 'prometheus.yml'),
  `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: nim-graphql\n    static_configs: [{ targets: ['127.0.0.1:${gatewayPort}'] }]\n`,
);
const prometheus = spawn(
  PROMETHEUS,
  [
    `--config.file=${join(work, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(work, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ],
  { stdio: 'ignore' },
);
const promUrl = `http://127.0.0.1:${promPort}`;

async function post(
  query: string,
  variables: Record<string, unknown> = {},
  stream?: AbortSignal,
): Promise<void> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
    },
    body: JSON.stringify({ query, variables }),
    signal: stream ?? null,
  });
  await response.text();
}

const COMPLETE =
  'mutation C($model: ID!, $n: Int) { complete(model: $model, prompt: "Once upon a time", maxTokens: $n) { __typename } }';
const CHAT =
  'mutation Ch($model: ID!) { chat(model: $model, messages: [{ role: USER, content: "Hi" }], maxTokens: 24) { __typename } }';
const STREAM =
  'subscription S($model: ID!, $n: Int) { chatStream(model: $model, messages: [{ role: USER, content: "Tell me" }], maxTokens: $n) { __typename } }';
const MODELS = ['sim/lorem-8b-instruct', 'sim/lorem-70b-instruct'];
const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;

async function load(): Promise<void> {
  const until = Date.now() + SECONDS * 1000;
  const loop = async (pauseMs: number, step: () => Promise<void>) => {
    while (Date.now() < until) {
      await step().catch(() => {});
      await sleep(pauseMs * (0.5 + Math.random()));
    }
  };
  const faults = async () => {
    await sleep(SECONDS * 250);
    sim.inject({ path: '/v1/completions', status: 503, times: 8 });
    await sleep(SECONDS * 250);
    // An upstream outage of 15 s: the breaker opens, probes, and closes once it is over.
    sim.inject({ path: '/v1/completions', status: 500, times: Infinity });
    sim.inject({ path: '/v1/chat/completions', status: 500, times: Infinity });
    await sleep(15_000);
    sim.clearFaults();
  };
  const stream = async () => {
    const controller = new AbortController();
    // One stream in ten is left by its client halfway.
    if (Math.random() < 0.1) setTimeout(() => controller.abort(), 300);
    await post(
      STREAM,
      { model: pick(MODELS), n: 20 + Math.floor(Math.random() * 60) },
      controller.signal,
    );
  };
  await Promise.all([
    faults(),
    loop(50, () => post('{ models { id } }')),
    ...[1, 2, 3].map(() =>
      loop(40, () =>
        post(COMPLETE, { model: pick(MODELS), n: 8 + Math.floor(Math.random() * 40) }),
      ),
    ),
    loop(120, () => post(CHAT, { model: pick(MODELS) })),
    ...[1, 2, 3, 4, 5, 6].map(() => loop(30, stream)),
    loop(400, () => post(COMPLETE, { model: 'sim/not-served', n: 8 })),
    loop(900, () => post('{ nope }')),
    loop(1500, () => post(COMPLETE, { model: MODELS[0], n: 1_000_000 })),
  ]);
}

interface RangeResult {
  metric: Record<string, string>;
  values: [number, string][];
}

async function queryRange(expr: string, start: number, end: number): Promise<RangeResult[]> {
  const promql = expr
    .replaceAll('$__rate_interval', RATE_INTERVAL)
    .replaceAll('$job', 'nim-graphql')
    .replaceAll('$instance', '.*');
  const url = `${promUrl}/api/v1/query_range?${new URLSearchParams({ query: promql, start: String(start), end: String(end), step: String(STEP_S) })}`;
  const body = (await (await fetch(url)).json()) as {
    status: string;
    error?: string;
    data?: { result: RangeResult[] };
  };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${promql}: ${body.error}`);
  return body.data!.result;
}

const legend = (format: string | undefined, metric: Record<string, string>) =>
  format
    ? format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, label: string) => metric[label] ?? '')
    : Object.values(metric).join(' ') || 'value';

async function ready(url: string, what: string, child: { exitCode: number | null }): Promise<void> {
  for (let i = 0; ; i += 1) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    if (i > 150 || child.exitCode !== null) throw new Error(`${what} did not start`);
    await sleep(100);
  }
}

try {
  await ready(`${gatewayUrl}/health/live`, 'the gateway (node src/main.ts)', gateway);
  await ready(
    `${promUrl}/-/ready`,
    `${PROMETHEUS} (apt-get install prometheus, or set PROMETHEUS)`,
    prometheus,
  );
  await sleep(2000);
  const start = Math.floor(Date.now() / 1000);
  console.log(
    `render-dashboard: ${SECONDS} s of load on ${endpoint}, scraped by Prometheus at ${promUrl}`,
  );
  await load();
  await sleep(3000);
  const end = Math.floor(Date.now() / 1000);
  const build = (await (await fetch(`${promUrl}/api/v1/status/buildinfo`)).json()) as {
    data: { version: string };
  };
  const panels = [];
  for (const panel of dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])])) {
    const series: Series[] = [];
    for (const target of panel.targets ?? []) {
      for (const result of await queryRange(target.expr, start, end)) {
        series.push({
          name: legend(target.legendFormat, result.metric),
          points: result.values.map(([t, v]) => [t, Number(v)]),
        });
      }
    }
    panels.push({ panel, series });
  }
  const html = dashboardHtml({
    title: dashboard.title,
    caption:
      `Not Grafana: the panels of deploy/grafana/nim-graphql.json, each evaluated by Prometheus ${build.data.version} (query_range, step ${STEP_S} s, $__rate_interval = ${RATE_INTERVAL}) ` +
      `over ${SECONDS} s of load on one gateway process in front of the NIM simulator (fake models), drawn by scripts/render-dashboard.ts.`,
    panels,
  });
  writeFileSync(join(work, 'dashboard.html'), html);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: ['--disable-gpu'],
  });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.goto(`file://${join(work, 'dashboard.html')}`);
  const target = fileURLToPath(new URL('docs/grafana-dashboard.png', root));
  await page.screenshot({ path: target, fullPage: true });
  await browser.close();
  console.log(`render-dashboard: wrote ${target} (${panels.length} panels)`);
} finally {
  prometheus.kill();
  gateway.kill();
  await sim.close();
  rmSync(work, { recursive: true, force: true });
}
