// deploy/grafana/nim-graphql.json holds only what the gateway really exports: every PromQL expression
// parses (Prometheus' own grammar), and every metric and label it names is in /metrics after traffic
// of every kind (histograms through their _bucket, _sum and _count series).
import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';
import { collect } from '../support/sse.ts';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboard = JSON.parse(
  readFileSync(new URL('../../deploy/grafana/nim-graphql.json', import.meta.url), 'utf8'),
) as Dashboard;
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
/** Labels Prometheus adds to every series it scrapes. */
const TARGET_LABELS = new Set(['job', 'instance']);

interface Uses {
  metrics: Set<string>;
  /** Label names in matchers and in by/without/on/ignoring clauses. */
  labels: Set<string>;
}

/** The metrics and labels a PromQL expression names, with Grafana's interval variables given a value; throws on a syntax error. */
function uses(expression: string): Uses {
  const promql = expression.replace(/\$__(rate_interval|interval|range)/g, '5m');
  const tree = parser.parse(promql);
  const found: Uses = { metrics: new Set(), labels: new Set() };
  const errors: number[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
      const text = promql.slice(node.from, node.to);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector')
        found.metrics.add(text);
      if (node.name === 'LabelName') found.labels.add(text);
    },
  });
  if (errors.length > 0) throw new Error(`PromQL syntax error at ${errors[0]} in: ${promql}`);
  if (found.labels.has('__name__'))
    throw new Error(`name metrics as identifiers, not {__name__=…}: ${promql}`);
  return found;
}

/** Every expression of the dashboard: the panels' targets and the variables' label_values(…) queries. */
function expressions(): { where: string; expression: string }[] {
  const targets = panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `panel "${panel.title}"`,
      expression: target.expr,
    })),
  );
  const variables = dashboard.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
      const inner = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
      if (inner === null)
        throw new Error(`variable ${variable.name}: not label_values(metric, label): ${query}`);
      return {
        where: `variable $${variable.name}`,
        expression: `${inner[1]} and on (${inner[2]}) vector(1)`,
      };
    });
  return [...targets, ...variables];
}

/** Prometheus text format → sample name → its label names. */
function exported(text: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? /.exec(line);
    if (match === null) continue;
    const labels = series.get(match[1]!) ?? new Set<string>();
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="/g)) labels.add(pair[1]!);
    series.set(match[1]!, labels);
  }
  return series;
}

describe('the Grafana dashboard', () => {
  let stack: Stack;
  let metrics: Map<string, Set<string>>;

  beforeAll(async () => {
    stack = await startStack({ UPSTREAM_RETRY_BUDGET_RATIO: '1' }, { tokenDelayMs: 1 });
    // Traffic of every kind: a completion (retried once after a 503), a chat stream, a typed error, a refusal.
    stack.sim.inject({ path: '/v1/completions', status: 503, times: 1 });
    expect(
      (await stack.gql(COMPLETE, { model: MODEL, prompt: 'Hi', maxTokens: 4 })).data?.complete
        .__typename,
    ).toBe('Completion');
    const events = await collect(
      stack.endpoint,
      `subscription { chatStream(model: "${MODEL}", messages: [{ role: USER, content: "Hi" }], maxTokens: 8) { __typename } }`,
      {},
    );
    expect(events.at(-1)?.__typename).toBe('ChatDone');
    await stack.gql(COMPLETE, { model: 'sim/not-served', prompt: 'Hi', maxTokens: 4 });
    await stack.gql('{ nope }');
    metrics = exported(await (await fetch(`${stack.server.url}/metrics`)).text());
  });
  afterAll(() => stack?.close());

  it('is importable: a uid, a Prometheus datasource variable every panel and query uses, panels that do not overlap', () => {
    expect(dashboard.uid).toBe('nim-graphql');
    expect(
      dashboard.templating.list.find((variable) => variable.name === 'datasource'),
    ).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? [])
        expect(target.datasource?.uid, panel.title).toBe('${datasource}');
    }
    const cells = new Map<string, string>();
    for (const panel of panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      for (let row = y; row < y + h; row += 1) {
        for (let column = x; column < x + w; column += 1) {
          expect(cells.get(`${row}:${column}`), `${panel.title} overlaps`).toBeUndefined();
          cells.set(`${row}:${column}`, panel.title);
        }
      }
    }
  });

  it('has the panels operators look for', () => {
    const titles = panels.map((panel) => panel.title);
    for (const title of [
      'Operations by outcome',
      'Errors by code',
      'Upstream latency',
      'Time to first token',
      'Tokens by model',
      'Open streams',
      'Breaker state',
    ]) {
      expect(titles).toContain(title);
    }
  });

  it('names only metrics and labels the gateway exports at /metrics', () => {
    const all = expressions();
    expect(all.length).toBeGreaterThan(30);
    const names = new Set<string>();
    for (const { where, expression } of all) {
      const used = uses(expression);
      expect(used.metrics.size, `${where}: names no metric: ${expression}`).toBeGreaterThan(0);
      const labels = new Set([...TARGET_LABELS]);
      for (const metric of used.metrics) {
        names.add(metric);
        expect(metrics.has(metric), `${where}: ${metric} is not in /metrics`).toBe(true);
        for (const label of metrics.get(metric) ?? []) labels.add(label);
      }
      for (const label of used.labels)
        expect(
          labels.has(label),
          `${where}: no series of ${[...used.metrics].join(', ')} has the label ${label}`,
        ).toBe(true);
    }
    // Histograms are read through their buckets: the family is exported with its _sum and _count.
    for (const name of names) {
      if (name.endsWith('_bucket'))
        expect(metrics.has(name.replace(/_bucket$/, '_count')), name).toBe(true);
    }
    console.log(
      `the dashboard reads ${names.size} metrics, all exported: ${[...names].sort().join(', ')}`,
    );
  });

  it('catches a metric that does not exist and a malformed expression', () => {
    expect(() => uses('sum(rate(nim_graphql_errors_total[5m]) ')).toThrow(/syntax error/);
    expect(
      uses(
        'histogram_quantile(0.5, sum by (le) (rate(nim_graphql_nope_bucket{code="x"}[$__rate_interval])))',
      ),
    ).toEqual({
      metrics: new Set(['nim_graphql_nope_bucket']),
      labels: new Set(['le', 'code']),
    });
    expect(metrics.has('nim_graphql_nope_bucket')).toBe(false);
  });
});
