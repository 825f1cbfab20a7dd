// Several upstreams from an upstreams file, over real sockets: the merged catalog, aliases and
// filters, weighted routing, failover only before an answer began (503, a dead upstream, an open
// circuit), never after a stream started, and readiness per model.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { listen, type RunningServer } from '../../src/server.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { createGateway, type Gateway } from '../../src/yoga.ts';
import { consoleLogger } from '../support/logs.ts';
import { collect } from '../support/sse.ts';
import { COMPLETE, MODEL } from '../support/stack.ts';
import { CHAT_STREAM, COMPLETION_STREAM } from '../support/streams.ts';

interface Fleet {
  sims: Record<string, Simulator>;
  gateway: Gateway;
  server: RunningServer;
  endpoint: string;
  gql(query: string, variables?: Record<string, unknown>): Promise<any>;
  metric(name: string, labels: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

const open: Fleet[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((fleet) => fleet.close()));
});

/** Simulators named by `upstreams` (each entry the file's fields but baseUrl), and a gateway over them. */
async function startFleet(
  upstreams: Record<string, Record<string, unknown>>,
  env: Record<string, string> = {},
): Promise<Fleet> {
  const sims: Record<string, Simulator> = {};
  for (const name of Object.keys(upstreams)) sims[name] = await startSimulator({ tokenDelayMs: 2 });
  const file = join(mkdtempSync(join(tmpdir(), 'fleet-')), 'upstreams.json');
  writeFileSync(
    file,
    JSON.stringify({
      upstreams: Object.entries(upstreams).map(([name, fields]) => ({
        name,
        baseUrl: sims[name]!.url,
        ...fields,
      })),
    }),
  );
  const config = loadConfig({ UPSTREAMS_FILE: file, HOST: '127.0.0.1', PORT: '0', ...env });
  const first = config.upstreams![0]!.upstream.baseUrl;
  const gatewayConfig = { ...config, upstream: { ...config.upstream, baseUrl: first } };
  const gateway = createGateway(gatewayConfig as GatewayConfig, { logger: consoleLogger() });
  const server = await listen(gateway, '127.0.0.1', 0);
  const endpoint = `${server.url}/graphql`;
  const fleet: Fleet = {
    sims,
    gateway,
    server,
    endpoint,
    async gql(query, variables) {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return response.json();
    },
    async metric(name, labels) {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      return text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) && wanted.every((w) => line.includes(w)))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    },
    async close() {
      await server.close();
      await Promise.all(Object.values(sims).map((sim) => sim.close().catch(() => undefined)));
    },
  };
  open.push(fleet);
  return fleet;
}

const MODELS = /* GraphQL */ `
  query {
    models {
      id
      upstreams {
        name
        healthy
        circuit
      }
    }
  }
`;

const completions = (sim: Simulator) => sim.countRequests('/v1/completions');

async function complete(fleet: Fleet, model = MODEL): Promise<any> {
  const body = await fleet.gql(COMPLETE, { model, prompt: 'Hello', maxTokens: 4 });
  return body.data?.complete;
}

describe('a fleet of upstreams', () => {
  it('merges the catalogs, with aliases and filters, and says which upstreams serve each model', async () => {
    const fleet = await startFleet({
      east: { models: { include: ['sim/lorem-8b-*', 'sim/*-embed-*'] } },
      west: { models: { aliases: { 'team/lorem': 'sim/lorem-8b-instruct' } } },
    });
    const { data } = await fleet.gql(MODELS);
    const byId = new Map<string, string[]>(
      data.models.map((m: any) => [m.id, m.upstreams.map((u: any) => u.name)]),
    );
    // east serves what its patterns let in; west every model but the aliased one under its own id.
    expect(byId.get('sim/lorem-8b-instruct')).toEqual(['east']);
    expect(byId.get('sim/lorem-8b-instruct-lora-pirate')).toEqual(['east', 'west']);
    expect(byId.get('sim/lorem-70b-instruct')).toEqual(['west']);
    expect(byId.get('team/lorem')).toEqual(['west']);
    expect(byId.get('sim/lorem-embed-1b')).toEqual(['east', 'west']);
    expect(data.models[0].upstreams[0]).toEqual({ name: 'east', healthy: true, circuit: 'CLOSED' });

    // The alias reaches west under west's own id, and its answers name it as clients know it.
    expect(await complete(fleet, 'team/lorem')).toMatchObject({
      __typename: 'Completion',
      model: { id: 'team/lorem' },
    });
    const events = await collect(
      fleet.endpoint,
      `subscription { completionStream(model: "team/lorem", prompt: "Hi", maxTokens: 4) {
        __typename ... on CompletionDone { model { id } } } }`,
      {},
    );
    expect(events.at(-1)).toMatchObject({
      __typename: 'CompletionDone',
      model: { id: 'team/lorem' },
    });
    const sent = fleet.sims.west!.requests.filter((r) => r.path === '/v1/completions');
    expect(sent.map((r) => (r.body as { model: string }).model)).toEqual([
      'sim/lorem-8b-instruct',
      'sim/lorem-8b-instruct',
    ]);
    // The filtered model only ever reaches east.
    for (let i = 0; i < 4; i++) await complete(fleet, 'sim/lorem-8b-instruct');
    expect(completions(fleet.sims.east!)).toBe(4);
    expect(completions(fleet.sims.west!)).toBe(2);
  });

  it('routes by weight among the upstreams serving the model', async () => {
    const fleet = await startFleet({ heavy: { weight: 4 }, light: { weight: 1 } });
    await fleet.gql(MODELS);
    for (let i = 0; i < 100; i++)
      expect(await complete(fleet)).toMatchObject({ __typename: 'Completion' });
    const heavy = completions(fleet.sims.heavy!);
    expect(heavy + completions(fleet.sims.light!)).toBe(100);
    // 80 expected; 5 standard deviations is 20.
    expect(heavy).toBeGreaterThan(60);
    expect(heavy).toBeLessThan(100);
  });

  it('fails over on 503 before an answer, at once (the next upstream is the retry), and counts each failover', async () => {
    // Retries are on (2 by default): the sick upstream is still asked once a call.
    const fleet = await startFleet(
      { sick: { weight: 1000 }, well: { weight: 0.001 } },
      { UPSTREAM_BREAKER_FAILURES: '1000' },
    );
    await fleet.gql(MODELS);
    fleet.sims.sick!.inject({ path: '/v1/completions', status: 503, times: Infinity });
    fleet.sims.sick!.inject({ path: '/v1/chat/completions', status: 503, times: Infinity });
    for (let i = 0; i < 10; i++)
      expect(await complete(fleet)).toMatchObject({ __typename: 'Completion' });
    expect(completions(fleet.sims.sick!)).toBe(10);
    expect(completions(fleet.sims.well!)).toBe(10);
    expect(
      await fleet.metric('nim_graphql_upstream_failovers_total', {
        from: 'sick',
        to: 'well',
        endpoint: '/v1/completions',
      }),
    ).toBe(10);
    expect(
      await fleet.metric('nim_graphql_upstream_requests_total', {
        upstream: 'sick',
        endpoint: '/v1/completions',
        status: '503',
      }),
    ).toBe(10);

    // A stream refused before it opened is opened at the next upstream, and whole.
    const events = await collect(fleet.endpoint, CHAT_STREAM, {
      model: MODEL,
      messages: [{ role: 'USER', content: 'Hi' }],
      maxTokens: 8,
    });
    expect(events.at(-1)).toMatchObject({ __typename: 'ChatDone' });
    expect(fleet.sims.well!.countRequests('/v1/chat/completions')).toBe(1);
  });

  it('does not fail over what the upstream may have run: a 500, or a stream that broke after it started', async () => {
    const fleet = await startFleet(
      { first: { weight: 1000 }, second: { weight: 0.001 } },
      {
        UPSTREAM_MAX_RETRIES: '0',
      },
    );
    await fleet.gql(MODELS);
    fleet.sims.first!.inject({ path: '/v1/completions', status: 500 });
    expect(await complete(fleet)).toMatchObject({
      __typename: 'UpstreamError',
      upstreamStatus: 500,
    });
    expect(completions(fleet.sims.second!)).toBe(0);

    fleet.sims.first!.inject({ path: '/v1/completions', stream: 'cut', afterTokens: 3 });
    const events = await collect(fleet.endpoint, COMPLETION_STREAM, {
      model: MODEL,
      prompt: 'Hello',
      maxTokens: 16,
    });
    // The chunks that came, then one typed error: nothing from the second upstream stitched on.
    expect(events.at(-1)).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_ERROR' });
    expect(events.filter((e) => e.__typename === 'CompletionChunk').length).toBeGreaterThan(0);
    expect(completions(fleet.sims.second!)).toBe(0);
    expect(await fleet.metric('nim_graphql_upstream_failovers_total', {})).toBe(0);
  });

  it('keeps serving a model when one of its upstreams dies mid-run, and readiness names what is left unserved', async () => {
    const fleet = await startFleet(
      {
        doomed: { models: { include: ['sim/lorem-8b-instruct', 'sim/lorem-70b-instruct'] } },
        alive: { models: { include: ['sim/lorem-8b-instruct'] } },
      },
      { READY_MAX_AGE_MS: '0', UPSTREAM_BREAKER_FAILURES: '3' },
    );
    await fleet.gql(MODELS);
    const ready = await fetch(`${fleet.server.url}/health/ready`);
    expect(ready.status).toBe(200);

    const results: Promise<any>[] = [];
    for (let i = 0; i < 60; i++) {
      if (i === 20) await fleet.sims.doomed!.close();
      results.push(complete(fleet));
      if (i % 5 === 4) await Promise.all(results.slice(-5));
    }
    const answers = await Promise.all(results);
    expect(answers.every((a) => a?.__typename === 'Completion')).toBe(true);
    expect(
      await fleet.metric('nim_graphql_upstream_failovers_total', { from: 'doomed' }),
    ).toBeGreaterThan(0);

    const unready = await fetch(`${fleet.server.url}/health/ready`);
    expect(unready.status).toBe(503);
    const body = await unready.json();
    expect(body).toMatchObject({
      status: 'unready',
      reason: 'no healthy upstream for 1 model: sim/lorem-70b-instruct',
      unservedModels: ['sim/lorem-70b-instruct'],
    });
    expect(body.upstreams).toEqual([
      expect.objectContaining({ name: 'doomed', healthy: false }),
      expect.objectContaining({ name: 'alive', healthy: true }),
    ]);
    // The dead upstream's own models stay listed (its last list) but say so.
    const { data } = await fleet.gql(MODELS);
    const big = data.models.find((m: any) => m.id === 'sim/lorem-70b-instruct');
    expect(big.upstreams).toEqual([expect.objectContaining({ name: 'doomed', healthy: false })]);
  });
});
