// Every way in × every protection, over real sockets. The two lists
// come from src/gate: a way in without a driver here, or a protection without a probe, fails.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { PROTECTIONS, type Protection } from '../support/protections.ts';
import { WAYS_IN, type WayIn } from '../../src/gate/ways.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { listen, type RunningServer } from '../../src/server.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { createGateway } from '../../src/yoga.ts';
import { DRIVERS, type Answer, type Params } from '../support/ways.ts';

const KEY = 'matrix-key-0123456789abcdef';
const SPENT_KEY = 'matrix-spent-key-0123456789ab';
const MODEL = 'sim/lorem-8b-instruct';
const EMBEDDER = 'sim/lorem-embed-1b';
/** About 4 characters a token: 600 and 1,100 tokens. */
const COSTLY_INPUT = { t: ['x'.repeat(2400)] };
const OVER_INPUT = { t: ['x'.repeat(4400)] };
const REQUESTS_PER_MINUTE = 60;
const MAX_REQUEST_BYTES = 20_000;
const nest = (depth: number): string => (depth === 0 ? '1' : `{a: ${nest(depth - 1)}}`);
const nestValue = (depth: number): unknown => (depth === 0 ? 1 : { a: nestValue(depth - 1) });

const DOCS = {
  models: 'query Models { models { id } }',
  introspect: 'query Introspect { __schema { queryType { name } } }',
  fieldTypo: 'query FieldTypo { models { idd } }',
  enumTypo: `subscription EnumTypo { chatStream(model: "${MODEL}", messages: [{ role: USR, content: "hi" }]) { __typename } }`,
  depthBomb: `subscription DepthBomb { chatStream(model: "${MODEL}", messages: [{ role: USER, content: "hi" }]) { ... on ChatDone { choices { message { content } } } } }`,
  // Two embed fields of 600 tokens each (COSTLY_INPUT) under MAX_OPERATION_COST=1000: each fits, not both.
  costly: `query Costly($t: [String!]!) { a: embed(model: "${EMBEDDER}", input: $t) { __typename } b: embed(model: "${EMBEDDER}", input: $t) { __typename } }`,
  // One field of 1,100 tokens (OVER_INPUT): over the limit alone, so a typed error of that field.
  overField: `query OverField($t: [String!]!) { embed(model: "${EMBEDDER}", input: $t) { __typename ... on InvalidInputError { code argument } } }`,
  notInManifest: 'query NotInManifest { models { id } }',
  deepLiteral: `subscription DeepLiteral { chatStream(model: "${MODEL}", messages: [{ role: USER, content: "hi" }], responseFormat: { type: JSON_SCHEMA, schema: ${nest(100)} }) { __typename } }`,
  deepVariable: `subscription DeepVariable($f: ResponseFormatInput) { chatStream(model: "${MODEL}", messages: [{ role: USER, content: "hi" }], responseFormat: $f) { __typename } }`,
  broken: 'query Broken { models { id ',
  tooManyTokens: `query TooManyTokens { models { ${'id '.repeat(2100)}} }`,
  mutation: `mutation Cheap { complete(model: "${MODEL}", prompt: "x", maxTokens: 1) { __typename } }`,
} as const;
const hashOf = (doc: string) => createHash('sha256').update(doc).digest('hex');
const byHash = (doc: string, variables?: Record<string, unknown>): Params => ({
  ...(variables ? { variables } : {}),
  extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(doc) } },
});

interface Gw {
  endpoint: string;
  server: RunningServer;
  lines: Record<string, unknown>[];
}

let sim: Simulator;
let gateway: Gw;
const generations = () =>
  sim.countRequests('/v1/completions') +
  sim.countRequests('/v1/chat/completions') +
  sim.countRequests('/v1/embeddings');
let ids = 0;

interface Probe {
  (
    way: WayIn,
    gw: Gw,
    send: (
      params: Params,
      options?: { key?: string | null; simple?: boolean; id?: string },
    ) => Promise<Answer>,
  ): Promise<void>;
}

/** Runs a request that may be refused before its body is read: nothing reaches the upstream either way. */
const refusedOrCut = async (run: () => Promise<Answer>) => {
  const before = generations();
  const answer = await run();
  expect(generations()).toBe(before);
  return answer;
};
const codes = (answer: Answer) => (answer.result?.errors ?? []).map((e) => e.extensions?.code);
const noSuggestion = (answer: Answer) => expect(answer.raw).not.toMatch(/did you mean/i);
const refusedBeforeUpstream = async (run: () => Promise<Answer>, code: string) => {
  const before = generations();
  const answer = await run();
  expect(codes(answer), answer.raw).toContain(code);
  expect(answer.result?.data ?? null).toBeNull();
  expect(generations()).toBe(before);
  return answer;
};

const PROBES: Record<Protection, Probe> = {
  async bodySize(way, gw, send) {
    const id = `matrix-${++ids}`;
    const padded = byHash(DOCS.models);
    const answer = await refusedOrCut(() =>
      send(
        { ...padded, extensions: { ...padded.extensions, padding: 'x'.repeat(MAX_REQUEST_BYTES) } },
        { id },
      ),
    );
    if (way.startsWith('get') || way === 'stream-get') {
      // The operation is in the URL: Node refuses a request line over its header limit itself.
      expect(answer.status).toBe(431);
      return;
    }
    expect(answer.status).toBe(413);
    expect(codes(answer)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(answer.headers.get('x-request-id')).toBe(id);
    await expect
      .poll(() => gw.lines.some((l) => l.requestId === id && l.errorCode === 'PAYLOAD_TOO_LARGE'))
      .toBe(true);
  },
  async auth(_way, _gw, send) {
    for (const key of [null, 'not-a-configured-key-000000']) {
      const answer = await send(byHash(DOCS.models), { key });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(codes(answer)).toEqual(['UNAUTHENTICATED']);
    }
  },
  async csrf(_way, _gw, send) {
    const answer = await send(byHash(DOCS.models), { simple: true });
    expect(answer.status).toBe(403);
    expect(codes(answer)).toEqual(['CSRF_HEADER_REQUIRED']);
  },
  async introspection(_way, _gw, send) {
    const answer = await send(byHash(DOCS.introspect));
    expect(answer.raw).not.toContain('queryType":{');
    expect(codes(answer)).toContain('GRAPHQL_VALIDATION_FAILED');
  },
  async suggestions(_way, _gw, send) {
    for (const doc of [DOCS.fieldTypo, DOCS.enumTypo]) {
      const answer = await send(byHash(doc));
      expect(answer.result?.errors?.length, answer.raw).toBeGreaterThan(0);
      noSuggestion(answer);
    }
  },
  async trustedDocuments(_way, _gw, send) {
    await refusedBeforeUpstream(() => send({ query: DOCS.notInManifest }), 'PERSISTED_QUERY_ONLY');
    await refusedBeforeUpstream(
      () =>
        send({
          extensions: {
            persistedQuery: { version: 1, sha256Hash: hashOf('query Unknown { models { id } }') },
          },
        }),
      'PERSISTED_QUERY_NOT_FOUND',
    );
  },
  async shapeLimits(_way, _gw, send) {
    await refusedBeforeUpstream(() => send(byHash(DOCS.depthBomb)), 'GRAPHQL_VALIDATION_FAILED');
  },
  async cost(_way, _gw, send) {
    await refusedBeforeUpstream(
      () => send(byHash(DOCS.costly, COSTLY_INPUT)),
      'COST_LIMIT_EXCEEDED',
    );
    // A field over the limit alone: its typed error, the same before any upstream call.
    const before = generations();
    const answer = await send(byHash(DOCS.overField, OVER_INPUT));
    expect(answer.result?.errors, answer.raw).toBeUndefined();
    expect(answer.result?.data?.embed, answer.raw).toEqual({
      __typename: 'InvalidInputError',
      code: 'BAD_USER_INPUT',
      argument: 'input',
    });
    expect(generations()).toBe(before);
  },
  async rateLimits(_way, gw, send) {
    // The spent key has run its operations of the minute (beforeAll): its next one is refused.
    void gw;
    await refusedBeforeUpstream(
      () => send(byHash(DOCS.models), { key: SPENT_KEY }),
      'RATE_LIMITED',
    );
  },
  async inputDepth(_way, _gw, send) {
    await refusedBeforeUpstream(() => send(byHash(DOCS.deepLiteral)), 'BAD_USER_INPUT');
    const variables = { f: { type: 'JSON_SCHEMA', schema: nestValue(100) } };
    const answer = await refusedBeforeUpstream(
      () => send(byHash(DOCS.deepVariable, variables)),
      'BAD_USER_INPUT',
    );
    expect(answer.status).toBeLessThan(500);
  },
  async masking(way, _gw, send) {
    const internals = /node_modules|\/src\/|\n\s+at |\.ts:\d/;
    // Over SSE a refusal may be an event of a 200 stream (as Yoga answers a parse error); as JSON, a 4xx.
    const status = (answer: Answer, expected: number) =>
      expect(
        answer.headers.get('content-type')?.includes('text/event-stream')
          ? [200, expected]
          : [expected],
        answer.raw,
      ).toContain(answer.status);
    const broken = await send(byHash(DOCS.broken));
    status(broken, 400);
    expect(broken.result?.errors?.[0]?.message, broken.raw).toMatch(/Syntax Error/);
    expect(broken.raw).not.toMatch(internals);
    const long = await send(byHash(DOCS.tooManyTokens));
    status(long, 400);
    expect(long.result?.errors?.[0]?.message, long.raw).toMatch(/token limit/i);
    expect(long.raw).not.toMatch(internals);
    if (way.startsWith('get') || way === 'stream-get') {
      const before = generations();
      const mutation = await send(byHash(DOCS.mutation));
      status(mutation, 405);
      expect(mutation.result?.errors?.[0]?.message, mutation.raw).toMatch(/POST/);
      expect(mutation.raw).not.toMatch(internals);
      expect(generations()).toBe(before);
    }
  },
  async requestId(_way, _gw, send) {
    for (const [params, key] of [
      [byHash(DOCS.models), KEY],
      [byHash(DOCS.models), null],
    ] as const) {
      const id = `matrix-${++ids}`;
      const answer = await send(params, { key, id });
      expect(answer.headers.get('x-request-id')).toBe(id);
    }
    const served = await send(byHash(DOCS.models));
    expect(
      (served.result?.data?.models as unknown[] | undefined)?.length,
      served.raw,
    ).toBeGreaterThan(0);
  },
  async logLine(_way, gw, send) {
    const ok = `matrix-${++ids}`;
    const refused = `matrix-${++ids}`;
    await send(byHash(DOCS.models), { id: ok });
    await send(byHash(DOCS.costly, COSTLY_INPUT), { id: refused });
    await expect.poll(() => gw.lines.some((l) => l.requestId === refused)).toBe(true);
    const of = (id: string) => gw.lines.filter((l) => l.msg === 'operation' && l.requestId === id);
    expect(of(ok).length).toBeGreaterThan(0);
    expect(of(ok).every((l) => typeof l.status === 'number' && l.errorCode === null)).toBe(true);
    expect(
      of(refused).some((l) => l.errorCode === 'COST_LIMIT_EXCEEDED' && l.outcome !== 'ok'),
    ).toBe(true);
  },
};

async function startGateway(manifest: string): Promise<Gw> {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = loadConfig({
    NIM_PROXY_BASE_URL: sim.url,
    HOST: '127.0.0.1',
    PORT: '0',
    GATEWAY_API_KEYS: `${KEY},${SPENT_KEY}`,
    INTROSPECTION: 'false',
    TRUSTED_DOCUMENTS_FILE: manifest,
    MAX_OPERATION_COST: '1000',
    MAX_DEPTH: '3',
    MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES),
    RATE_LIMIT_REQUESTS_PER_MINUTE: String(REQUESTS_PER_MINUTE),
  }) as GatewayConfig;
  const gateway = createGateway(config, { logger: createLogger('info', sink) });
  const server = await listen(gateway, '127.0.0.1', 0);
  const endpoint = `${server.url}/graphql`;
  for (let i = 0; i < REQUESTS_PER_MINUTE; i++) {
    await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SPENT_KEY}` },
      body: JSON.stringify(byHash(DOCS.models)),
    });
  }
  return { endpoint, server, lines };
}

beforeAll(async () => {
  sim = await startSimulator({ tokenDelayMs: 0 });
  const manifest = join(mkdtempSync(join(tmpdir(), 'gate-matrix-')), 'persisted-documents.json');
  writeFileSync(
    manifest,
    JSON.stringify(
      Object.fromEntries(Object.values(DOCS).map((doc) => [`sha256:${hashOf(doc)}`, doc])),
    ),
  );
  gateway = await startGateway(manifest);
});

afterAll(async () => {
  await gateway.server.close();
  await sim.close();
});

it('has a driver for every way in and a probe for every protection', () => {
  expect(Object.keys(DRIVERS).sort()).toEqual([...WAYS_IN].sort());
  expect(Object.keys(PROBES).sort()).toEqual(Object.keys(PROTECTIONS).sort());
});

describe('every way in × every protection', () => {
  for (const way of WAYS_IN) {
    for (const protection of Object.keys(PROTECTIONS) as Protection[]) {
      it(`${way}: ${protection}`, async () => {
        const gw = gateway;
        const send = (
          params: Params,
          options: { key?: string | null; simple?: boolean; id?: string } = {},
        ) => {
          const key = options.key === undefined ? KEY : options.key;
          const headers: Record<string, string> = {
            'x-request-id': options.id ?? `matrix-${++ids}`,
          };
          if (key !== null) headers.authorization = `Bearer ${key}`;
          return DRIVERS[way](gw.endpoint, params, {
            headers,
            ...(options.simple ? { simple: true } : {}),
          });
        };
        await PROBES[protection](way, gw, send);
      });
    }
  }
});
