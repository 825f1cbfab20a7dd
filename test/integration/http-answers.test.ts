// Every answer of the HTTP endpoint pinned: status, headers and body (ids and clocks left out) of
// requests of every kind (JSON and SSE, every Accept, refusals, Yoga's own errors) under several
// configurations, against answers recorded in answers/*.json. A change to any answer — a status, a
// header, an error's wording — fails here until it is meant and the files are rewritten
// (`npx vitest run test/integration/http-answers.test.ts -u`).
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateways, type Instance } from '../support/gateways.ts';
import { MODEL } from '../support/stack.ts';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

interface Case {
  name: string;
  /** The status it must answer with, where it tells the case apart. */
  status?: number;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Raw HTTP, so that every header sent is the case's own (fetch adds Accept and others). */
function send(base: string, c: Case): Promise<Answer> {
  const url = new URL(c.path ?? '/graphql', base);
  const headers: Record<string, string> = {
    ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...c.headers,
  };
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: c.method ?? 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text === '' ? null : JSON.parse(text);
        } catch {
          // not JSON: compared as text
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers as Record<string, string>,
          body,
        });
      });
    });
    req.on('error', reject);
    req.end(c.body);
  });
}

// Values that differ between two runs of the same request (generated ids, clocks).
const VOLATILE_HEADERS = new Set(['date', 'x-request-id', 'server-timing', 'retry-after']);
const VOLATILE_FIELDS = new Set(['id', 'created', 'retryAfterSeconds']);

function normalise(answer: Answer): Answer {
  // In name order: the order headers are written in says nothing to a client.
  const headers = Object.fromEntries(
    Object.entries(answer.headers)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => [name, VOLATILE_HEADERS.has(name) ? '<present>' : value]),
  );
  const scrub = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(scrub)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(
            Object.entries(value).map(([k, v]) => [
              k,
              VOLATILE_FIELDS.has(k) ? '<volatile>' : scrub(v),
            ]),
          )
        : value;
  // SSE keep-alive pings come on a timer (Yoga pings every 300 ms under NODE_ENV=test): not compared.
  const body = scrub(
    typeof answer.body === 'string' ? answer.body.replaceAll(':\n\n', '') : answer.body,
  );
  // Ids and clocks can change the length.
  if (JSON.stringify(body) !== JSON.stringify(answer.body) || 'retry-after' in answer.headers)
    delete headers['content-length'];
  return { status: answer.status, headers, body };
}

const json = (body: unknown) => JSON.stringify(body);
const COMPLETE =
  'mutation C($model: ID!, $n: Int) { complete(model: $model, prompt: "Once upon a time", maxTokens: $n) { __typename ... on Completion { text usage { completionTokens } } ... on GatewayError { code message } } }';
const MODELS = '{ models { id ownedBy } }';
const STREAM = `subscription { completionStream(model: "${MODEL}", prompt: "hi", maxTokens: 2) { __typename } }`;
const STREAM_TEXT = `subscription { completionStream(model: "${MODEL}", prompt: "Once upon a time", maxTokens: 5) { __typename ... on CompletionChunk { text } ... on CompletionDone { choices { text finishReason } usage { completionTokens } } } }`;
const SSE = { accept: 'text/event-stream' };
// What urql and other fetch clients send by default.
const URQL_ACCEPT =
  'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed';

/** Runs every case in order (rate limits count), and compares each answer with the recorded one. */
async function compare(gateway: Running, file: string, cases: Case[]): Promise<void> {
  const answers: Record<string, Answer> = {};
  for (const c of cases) {
    const answer = await send(gateway.url, c);
    if (c.status !== undefined) expect.soft(answer.status, `${c.name}: status`).toBe(c.status);
    answers[c.name] = normalise(answer);
  }
  await expect(`${JSON.stringify(answers, null, 2)}\n`).toMatchFileSnapshot(`answers/${file}.json`);
}

interface Running {
  url: string;
  close(): Promise<void>;
}

async function start(env: Record<string, string>): Promise<Running> {
  const gateways = await startGateways(1, env, { tokenDelayMs: 0 });
  const [only] = gateways.instances as [Instance];
  return { url: only.server.url, close: () => gateways.close() };
}

describe('HTTP answers, as recorded', () => {
  let gateway: Running | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('with the default configuration', async () => {
    gateway = await start({});
    const complete = (n: number) => json({ query: COMPLETE, variables: { model: MODEL, n } });
    await compare(gateway, 'default', [
      {
        name: 'models, graphql-response+json',
        headers: { accept: 'application/graphql-response+json' },
        body: json({ query: MODELS }),
      },
      { name: 'complete, no Accept', body: complete(4) },
      { name: 'complete, Accept */*', headers: { accept: '*/*' }, body: complete(4) },
      {
        name: 'complete, Accept application/json',
        headers: { accept: 'application/json' },
        body: complete(3),
      },
      {
        name: 'complete, a client list of types',
        headers: {
          accept:
            'application/graphql-response+json, application/json;q=0.9, text/event-stream;q=0.5',
        },
        body: complete(3),
      },
      {
        name: 'content-type with charset',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: complete(2),
      },
      {
        name: 'unknown model: a typed error',
        body: json({ query: COMPLETE, variables: { model: 'nope/nope' } }),
      },
      { name: 'maxTokens out of range', body: complete(0) },
      {
        name: 'validation error, graphql-response+json (400)',
        status: 400,
        headers: { accept: 'application/graphql-response+json' },
        body: json({ query: '{ nope }' }),
      },
      {
        name: 'validation error, application/json (200)',
        status: 200,
        headers: { accept: 'application/json' },
        body: json({ query: '{ nope }' }),
      },
      {
        name: 'variable of the wrong type',
        status: 400,
        body: json({ query: COMPLETE, variables: { model: MODEL, n: 'many' } }),
      },
      {
        name: 'required variable missing',
        body: json({ query: COMPLETE, variables: {} }),
      },
      {
        name: 'variables null',
        body: json({ query: MODELS, variables: null, operationName: null }),
      },
      { name: 'extensions object', body: json({ query: MODELS, extensions: {} }) },
      {
        name: 'operationName picks one',
        body: json({
          query: `query A { models { id } } query B { __typename }`,
          operationName: 'B',
        }),
      },
      {
        name: 'introspection',
        body: json({ query: '{ __schema { queryType { name } } }' }),
      },
      {
        name: 'over the cost limit',
        status: 200,
        body: json({
          query: `mutation { a: complete(model: "${MODEL}", prompt: "x", maxTokens: 4096) { __typename } b: complete(model: "${MODEL}", prompt: "x", maxTokens: 4096) { __typename } c: complete(model: "${MODEL}", prompt: "x", maxTokens: 4096) { __typename } d: complete(model: "${MODEL}", prompt: "x", maxTokens: 4096) { __typename } e: complete(model: "${MODEL}", prompt: "x", maxTokens: 4096) { __typename } f: complete(model: "${MODEL}", prompt: "x", maxTokens: 4096) { __typename } g: complete(model: "${MODEL}", prompt: "x", maxTokens: 4096) { __typename } h: complete(model: "${MODEL}", prompt: "x", maxTokens: 4096) { __typename } i: complete(model: "${MODEL}", prompt: "x", maxTokens: 4096) { __typename } }`,
        }),
      },
      {
        name: 'too deep',
        body: json({
          query: `{ __type(name: "Query") { fields { type { ${'ofType { '.repeat(12)}name${' }'.repeat(12)} } } } }`,
        }),
      },
      {
        name: 'subscription over SSE',
        status: 200,
        headers: SSE,
        body: json({ query: STREAM_TEXT }),
      },
      {
        name: 'subscription, Accept */*',
        headers: { accept: '*/*' },
        body: json({ query: STREAM_TEXT }),
      },
      {
        name: 'subscription, unknown model: one typed event',
        headers: SSE,
        body: json({ query: STREAM.replace(MODEL, 'nope/nope') }),
      },
      {
        name: 'subscription, validation error over SSE',
        headers: SSE,
        body: json({ query: 'subscription { nope }' }),
      },
      {
        name: 'query over SSE: one event',
        headers: SSE,
        body: json({ query: MODELS }),
      },
      {
        name: "subscription, a client's list of types",
        status: 200,
        headers: { accept: URQL_ACCEPT },
        body: json({ query: STREAM_TEXT }),
      },
      {
        name: "subscription with a validation error, a client's list: JSON",
        status: 400,
        headers: { accept: URQL_ACCEPT },
        body: json({ query: 'subscription { nope }' }),
      },
      {
        name: 'subscription, Accept JSON or SSE, an unknown model',
        headers: { accept: 'application/json, text/event-stream' },
        body: json({ query: STREAM.replace(MODEL, 'nope/nope') }),
      },
      {
        name: 'query, SSE or JSON: JSON',
        headers: { accept: 'text/event-stream, application/json' },
        body: json({ query: MODELS }),
      },
      {
        name: 'query, Accept multipart/mixed',
        headers: { accept: 'multipart/mixed' },
        body: json({ query: MODELS }),
      },
      {
        name: 'subscription, Accept multipart or SSE',
        headers: { accept: 'multipart/mixed, text/event-stream' },
        body: json({ query: STREAM_TEXT }),
      },
      { name: 'syntax error', body: json({ query: '{ models {' }) },
      {
        name: 'unknown operationName',
        status: 400,
        body: json({ query: MODELS, operationName: 'Nope' }),
      },
      {
        name: 'two operations, no operationName',
        body: json({ query: 'query A { __typename } query B { __typename }' }),
      },
      {
        name: 'subscription, Accept application/json (406)',
        status: 406,
        headers: { accept: 'application/json' },
        body: json({ query: STREAM }),
      },
      { name: 'batch, batching off', status: 400, body: json([{ query: MODELS }]) },
      { name: 'body not JSON', body: '{"query": ' },
      { name: 'body null', body: 'null' },
      { name: 'query not a string', body: json({ query: 5 }) },
      { name: 'variables an array', body: json({ query: MODELS, variables: [] }) },
      { name: 'an unknown parameter', body: json({ query: MODELS, other: 1 }) },
      {
        name: 'persisted query by hash only',
        body: json({ extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }),
      },
      {
        name: 'Accept text/html',
        status: 406,
        headers: { accept: 'text/html' },
        body: json({ query: MODELS }),
      },
      {
        name: 'Accept JSON in latin-1',
        headers: { accept: 'application/json; charset=iso-8859-1' },
        body: json({ query: MODELS }),
      },
      {
        name: 'text/plain body (CSRF)',
        status: 403,
        headers: { 'content-type': 'text/plain' },
        body: json({ query: MODELS }),
      },
      {
        name: 'application/graphql+json',
        headers: { 'content-type': 'application/graphql+json' },
        body: json({ query: MODELS }),
      },
      {
        name: 'a query string on the path',
        path: '/graphql?x=1',
        body: json({ query: MODELS }),
      },
      {
        name: 'GET with the CSRF header',
        method: 'GET',
        path: `/graphql?query=${encodeURIComponent(MODELS)}`,
        headers: { 'x-graphql-yoga-csrf': '1', accept: 'application/json' },
      },
      { name: 'PUT', status: 405, method: 'PUT', body: json({ query: MODELS }) },
    ]);
  });

  it('with client auth, CORS, introspection off and rate limits', async () => {
    const key = 'answers-key-0123456789';
    gateway = await start({
      GATEWAY_API_KEYS: key,
      CORS_ORIGINS: 'https://app.example.com',
      INTROSPECTION: 'false',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '4',
    });
    const auth = { authorization: `Bearer ${key}` };
    await compare(gateway, 'auth-cors-introspection-rate-limits', [
      { name: 'no key', status: 401, body: json({ query: MODELS }) },
      {
        name: 'a wrong key',
        status: 401,
        headers: { authorization: 'Bearer wrong-key-0123456789' },
        body: json({ query: MODELS }),
      },
      { name: 'the key', status: 200, headers: auth, body: json({ query: MODELS }) },
      {
        name: 'introspection off',
        headers: auth,
        body: json({ query: '{ __schema { queryType { name } } }' }),
      },
      {
        name: 'no suggestions',
        headers: auth,
        body: json({ query: '{ modles { id } }' }),
      },
      {
        name: 'an allowed origin (CORS headers)',
        headers: { ...auth, origin: 'https://app.example.com' },
        body: json({ query: MODELS }),
      },
      {
        name: 'another origin',
        headers: { ...auth, origin: 'https://evil.example.com' },
        body: json({ query: MODELS }),
      },
      {
        name: 'a completion',
        headers: auth,
        body: json({ query: COMPLETE, variables: { model: MODEL, n: 2 } }),
      },
      {
        name: 'the 5th operation in a minute: refused (429, Retry-After)',
        status: 429,
        headers: auth,
        body: json({ query: MODELS }),
      },
      {
        name: 'and the 6th',
        status: 429,
        headers: auth,
        body: json({ query: COMPLETE, variables: { model: MODEL, n: 2 } }),
      },
      {
        name: 'and a subscription over SSE',
        status: 429,
        headers: { ...auth, ...SSE },
        body: json({ query: STREAM_TEXT }),
      },
      {
        name: 'and a subscription, Accept JSON or SSE: one JSON refusal',
        status: 429,
        headers: { ...auth, accept: 'application/json, text/event-stream' },
        body: json({ query: STREAM_TEXT }),
      },
    ]);
  });

  it('keeps nothing of documents over the token limit (MAX_DOCUMENT_TOKENS)', async () => {
    gateway = await start({});
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10; i += 1) {
      // ~480,000 tokens in under 1 MB: refused, and never parsed (or kept) whole.
      const query = `{ x${i} ${'a '.repeat(480_000)}}`;
      const answer = await send(gateway.url, { name: 'huge', body: json({ query }) });
      expect(answer.status).toBe(200);
      expect(JSON.stringify(answer.body)).toMatch(/Token limit of 2000 exceeded/);
    }
    // Kept whole, each of these documents would be ~90 MB of syntax tree.
    expect((process.memoryUsage().heapUsed - before) / 2 ** 20).toBeLessThan(200);
  });

  it('with trusted documents', async () => {
    gateway = await start({
      TRUSTED_DOCUMENTS_FILE: new URL(
        '../../examples/gql/persisted-documents.json',
        import.meta.url,
      ).pathname,
    });
    const manifest = JSON.parse(
      readFileSync(new URL('../../examples/gql/persisted-documents.json', import.meta.url), 'utf8'),
    ) as Record<string, string>;
    const hashOf = (operation: string) =>
      Object.keys(manifest).find((hash) => manifest[hash]!.includes(operation))!;
    const byHash = (hash: string, variables: Record<string, unknown> = {}, version = 1) =>
      json({ variables, extensions: { persistedQuery: { version, sha256Hash: hash } } });
    const completeVariables = { model: MODEL, prompt: 'Once upon a time', maxTokens: 4 };
    await compare(gateway, 'trusted-documents', [
      { name: 'a document not by hash', status: 200, body: json({ query: MODELS }) },
      {
        name: 'a trusted query by hash',
        status: 200,
        body: byHash(hashOf('query Models')),
      },
      {
        name: 'by the bare hex of its hash',
        status: 200,
        body: byHash(hashOf('query Models').replace(/^sha256:/, '')),
      },
      {
        name: 'a trusted mutation by hash',
        body: byHash(hashOf('mutation Complete'), completeVariables),
      },
      {
        name: 'a trusted subscription by hash, over SSE',
        headers: SSE,
        body: byHash(hashOf('subscription CompletionStream'), completeVariables),
      },
      {
        name: 'a hash and a query',
        status: 200,
        body: json({
          query: MODELS,
          extensions: { persistedQuery: { version: 1, sha256Hash: hashOf('query Models') } },
        }),
      },
      { name: 'an unknown hash', status: 200, body: byHash('sha256:0000') },
      {
        name: 'a persistedQuery of another version',
        body: byHash(hashOf('query Models'), {}, 2),
      },
    ]);
  });
});
