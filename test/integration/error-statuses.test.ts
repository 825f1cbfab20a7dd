// README's table of request-level codes, with the HTTP status under each Accept header, checked row
// by row against a running gateway: a row without a request that produces it, a request without a
// row, or a status that differs fails.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const KEY = 'statuses-key-0123456789abcdef';
const ACCEPTS = [
  'application/json',
  'application/graphql-response+json',
  'text/event-stream',
] as const;

const DOCS = {
  broken: 'query Broken { models { id ',
  unknownField: 'query Unknown { models { idd } }',
  variable: 'query Variable($id: ID!) { model(id: $id) { id } }',
  mutation: `mutation Cheap { complete(model: "${MODEL}", prompt: "x", maxTokens: 1) { __typename } }`,
  // Each field within MAX_OPERATION_COST (1000) alone, not both.
  costly: `mutation Costly { a: complete(model: "${MODEL}", prompt: "x", maxTokens: 600) { __typename } b: complete(model: "${MODEL}", prompt: "x", maxTokens: 600) { __typename } }`,
  spendy: `mutation Spendy { complete(model: "${MODEL}", prompt: "x", maxTokens: 600) { __typename } }`,
  unknownModel: 'query NoSuchModel { models { id } }',
  deepLiteral: `mutation DeepLiteral { chat(model: "${MODEL}", messages: [{ role: USER, content: "x" }], responseFormat: { type: JSON_SCHEMA, schema: ${'{ a: '.repeat(70)}1${' }'.repeat(70)} }) { __typename } }`,
} as const;
const hashOf = (doc: string) => createHash('sha256').update(doc).digest('hex');
const persisted = (doc: string) => ({
  extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(doc) } },
});

interface Request {
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  /** Sent to a gateway without trusted documents. */
  open?: boolean;
  /** The request as raw bytes, for what fetch cannot send (a Host that is no host). */
  raw?: (accept: string) => string;
  /** A new body for each request (a stream is read once). */
  body?: () => string | ReadableStream<Uint8Array>;
  before?: () => void;
}

/** One request per README row, in the order of the rows. */
const PRODUCERS: Record<string, Request[]> = {
  GRAPHQL_PARSE_FAILED: [{ body: () => JSON.stringify(persisted(DOCS.broken)) }],
  GRAPHQL_VALIDATION_FAILED: [{ body: () => JSON.stringify(persisted(DOCS.unknownField)) }],
  BAD_USER_INPUT: [
    { body: () => JSON.stringify(persisted(DOCS.variable)) },
    { body: () => JSON.stringify(persisted(DOCS.deepLiteral)) },
  ],
  BAD_REQUEST: [
    { body: () => '{"query": ' },
    { body: () => JSON.stringify({ variables: {} }), open: true },
    { body: () => JSON.stringify({ foo: 1 }), open: true },
    {
      raw: (accept) =>
        `POST /graphql HTTP/1.1\r\nHost: a b\r\naccept: ${accept}\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}`,
    },
    {
      path: `/graphql?extensions=${encodeURIComponent(JSON.stringify(persisted(DOCS.mutation).extensions))}`,
      method: 'GET',
      headers: { 'x-graphql-yoga-csrf': '1' },
    },
  ],
  COST_LIMIT_EXCEEDED: [{ body: () => JSON.stringify(persisted(DOCS.costly)) }],
  PERSISTED_QUERY_ONLY: [{ body: () => JSON.stringify({ query: DOCS.mutation }) }],
  PERSISTED_QUERY_NOT_FOUND: [
    { body: () => JSON.stringify(persisted('query Other { models { id } }')) },
  ],
  PERSISTED_QUERY_ID_REQUIRED: [
    {
      body: () =>
        JSON.stringify({
          extensions: { persistedQuery: { version: 2, sha256Hash: hashOf(DOCS.mutation) } },
        }),
    },
  ],
  HEADERS_TOO_LARGE: [
    {
      path: `/graphql?padding=${'x'.repeat(20_000)}`,
      method: 'GET',
      headers: { 'x-graphql-yoga-csrf': '1' },
    },
  ],
  UNAUTHENTICATED: [
    { body: () => JSON.stringify(persisted(DOCS.mutation)), headers: { authorization: '' } },
  ],
  CSRF_HEADER_REQUIRED: [
    {
      body: () => JSON.stringify(persisted(DOCS.mutation)),
      headers: { 'content-type': 'text/plain' },
    },
  ],
  NOT_FOUND: [{ path: '/x/graphql', body: () => JSON.stringify(persisted(DOCS.mutation)) }],
  LENGTH_REQUIRED: [
    {
      body: () =>
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(JSON.stringify(persisted(DOCS.mutation))));
            controller.close();
          },
        }),
    },
  ],
  PAYLOAD_TOO_LARGE: [
    { body: () => JSON.stringify({ ...persisted(DOCS.mutation), padding: 'x'.repeat(10_000) }) },
  ],
  RATE_LIMITED: [{ body: () => JSON.stringify(persisted(DOCS.spendy)) }],
  UPSTREAM_UNAVAILABLE: [
    {
      body: () => JSON.stringify(persisted(DOCS.unknownModel)),
      before: () => stack.sim.inject({ path: '/v1/models', status: 503, times: 3 }),
    },
  ],
};

interface Row {
  code: string;
  statuses: number[];
}

function readmeRows(): Row[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(
    readme.indexOf('<!-- statuses:'),
    readme.indexOf('<!-- statuses:end -->'),
  );
  return section
    .split('\n')
    .filter((line) => /^\| `[A-Z_]+`/.test(line))
    .map((line) => {
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      return { code: /`([A-Z_]+)`/.exec(cells[0]!)![1]!, statuses: cells.slice(-3).map(Number) };
    });
}

/** Sends bytes as they are and reads the status line and body. */
async function sendRaw(bytes: string): Promise<{ status: number; text: string }> {
  const url = new URL(stack.endpoint);
  const answer = await new Promise<string>((resolve, reject) => {
    let text = '';
    const socket = connect(Number(url.port), url.hostname, () => socket.end(bytes));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1]), text: answer };
}

let stack: Stack;
let open: Stack;
beforeAll(async () => {
  open = await startStack({ GATEWAY_API_KEYS: KEY }, { tokenDelayMs: 0 });
  const manifest = join(mkdtempSync(join(tmpdir(), 'statuses-')), 'persisted-documents.json');
  writeFileSync(
    manifest,
    JSON.stringify(Object.fromEntries(Object.values(DOCS).map((d) => [`sha256:${hashOf(d)}`, d]))),
  );
  stack = await startStack(
    {
      GATEWAY_API_KEYS: KEY,
      TRUSTED_DOCUMENTS_FILE: manifest,
      MAX_OPERATION_COST: '1000',
      RATE_LIMIT_TOKENS_PER_MINUTE: '500',
      MAX_REQUEST_BYTES: '5000',
      UPSTREAM_MAX_RETRIES: '0',
    },
    { tokenDelayMs: 0 },
  );
});
afterAll(async () => {
  await stack.close();
  await open.close();
});

it('README names a request for every row and a row for every request', () => {
  const rows = readmeRows();
  expect(rows.length).toBeGreaterThan(10);
  const counts = (codes: string[]) =>
    Object.fromEntries([...new Set(codes)].map((c) => [c, codes.filter((x) => x === c).length]));
  expect(counts(rows.map((r) => r.code))).toEqual(
    Object.fromEntries(Object.entries(PRODUCERS).map(([code, list]) => [code, list.length])),
  );
});

it("every row of README's table is the status the gateway answers, under each Accept header", async () => {
  const seen = new Map<string, number>();
  for (const row of readmeRows()) {
    const index = seen.get(row.code) ?? 0;
    seen.set(row.code, index + 1);
    const request = PRODUCERS[row.code]![index]!;
    for (const [column, accept] of ACCEPTS.entries()) {
      request.before?.();
      if (request.raw) {
        const { status, text } = await sendRaw(request.raw(accept));
        const where = `${row.code} #${index + 1} with Accept ${accept}: ${text.slice(0, 200)}`;
        expect(status, where).toBe(row.statuses[column]);
        expect(text, where).toContain(row.code);
        continue;
      }
      const body = request.body?.();
      const response = await fetch(
        new URL(request.path ?? '/graphql', (request.open ? open : stack).endpoint),
        {
          method: request.method ?? 'POST',
          headers: {
            'content-type': 'application/json',
            accept,
            authorization: `Bearer ${KEY}`,
            ...request.headers,
          },
          ...(body === undefined ? {} : { body, duplex: 'half' }),
        } as RequestInit,
      );
      const text = await response.text();
      const where = `${row.code} #${index + 1} with Accept ${accept}: ${text.slice(0, 200)}`;
      expect(response.status, where).toBe(row.statuses[column]);
      expect(text, where).toContain(row.code);
      stack.sim.clearFaults();
    }
  }
});
