import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { DRIVERS } from '../support/ways.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const post = (stack: Stack, body: BodyInit, headers: Record<string, string> = {}) =>
  fetch(stack.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

const generations = () =>
  stack.sim.countRequests('/v1/completions') + stack.sim.countRequests('/v1/chat/completions');

let stack: Stack;

describe('operation limits', () => {
  beforeAll(async () => {
    stack = await startStack(
      {
        MAX_OPERATION_COST: '1000',
        DEFAULT_MAX_TOKENS: '100',
        MAX_TOKENS_LIMIT: '1000',
        MAX_REQUEST_BYTES: '60000',
        MAX_MESSAGES: '4',
      },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.reset());

  it('refuses an alias bomb of 500 completions at validation, before any upstream call', async () => {
    const fields = Array.from(
      { length: 500 },
      (_, i) => `a${i}: complete(model: "${MODEL}", prompt: "x", maxTokens: 1) { __typename }`,
    );
    const bomb = await stack.gql(`mutation { ${fields.join(' ')} }`);
    expect(bomb.status).toBe(400);
    // The token limit fires first, at parse time; either way nothing runs.
    expect(bomb.errors![0]!.message).toMatch(/token limit/i);
    const twenty = await stack.gql(`mutation { ${fields.slice(0, 20).join(' ')} }`);
    expect(twenty.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(twenty.errors![0]!.message).toMatch(/aliases limit of 15/i);
    expect(generations()).toBe(0);
  });

  it('refuses a depth bomb', async () => {
    const deep = `{ models { ${'parent { '.repeat(20)}id${' }'.repeat(20)} } }`;
    const { status, errors } = await stack.gql(deep);
    expect(status).toBe(400);
    expect(errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(errors![0]!.message).toMatch(/^Query depth limit of 12/i);
  });

  it('refuses too many directives and too many tokens', async () => {
    const directives = await stack.gql(`{ models { id ${'@include(if: true) '.repeat(30)} } }`);
    expect(directives.errors![0]!.message).toMatch(/directives/i);
    const tokens = await stack.gql(`{ models { ${'id '.repeat(3000)} } }`);
    expect(tokens.errors![0]!.message).toMatch(/token/i);
  });

  it('prices each generation by maxTokens × n (aliases and fragments too) and refuses an operation over MAX_OPERATION_COST', async () => {
    const operation = (first: number) => `mutation {
      a: complete(model: "${MODEL}", prompt: "x", maxTokens: ${first}) { __typename }
      b: complete(model: "${MODEL}", prompt: "x", maxTokens: 100, options: { n: 3 }) { __typename }
      ...More
    }
    fragment More on Mutation { c: chat(model: "${MODEL}", messages: [{ role: USER, content: "x" }]) { __typename } }`;
    const over = await stack.gql(operation(700));
    expect(over.status).toBe(400);
    expect(over.errors![0]!.extensions).toMatchObject({
      code: 'COST_LIMIT_EXCEEDED',
      cost: 1100,
      limit: 1000,
    });
    expect(generations()).toBe(0);
    const within = await stack.gql(operation(600));
    expect(within.errors).toBeUndefined();
    expect(within.data).toMatchObject({
      a: { __typename: 'Completion' },
      b: { __typename: 'Completion' },
      c: { __typename: 'ChatCompletion' },
    });
  });

  it('reads the price from variables: one field over the limit alone is a typed error of that field', async () => {
    const query = `mutation($m: Int, $o: GenerationOptions) {
      complete(model: "${MODEL}", prompt: "x", maxTokens: $m, options: $o) {
        __typename ... on InvalidInputError { code argument message }
      }
    }`;
    const over = await stack.gql(query, { m: 600, o: { n: 2 } });
    expect(over.status).toBe(200);
    expect(over.errors).toBeUndefined();
    expect(over.data?.complete).toEqual({
      __typename: 'InvalidInputError',
      code: 'BAD_USER_INPUT',
      argument: 'maxTokens',
      message:
        'maxTokens: this field may use up to 1200 tokens (maxTokens × n); one operation may use at most 1000',
    });
    // Two fields that each fit but not together: the operation is refused, with the sum.
    const two = `mutation($m: Int, $o: GenerationOptions) {
      a: complete(model: "${MODEL}", prompt: "x", maxTokens: $m, options: $o) { __typename }
      b: complete(model: "${MODEL}", prompt: "x", maxTokens: $m, options: $o) { __typename }
    }`;
    const both = await stack.gql(two, { m: 300, o: { n: 2 } });
    expect(both.errors![0]!.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', cost: 1200 });
    expect(generations()).toBe(0);
  });

  it('answers a subscription over the cap with its typed error before the upstream stream opens, on every stream way', async () => {
    const query = `subscription { completionStream(model: "${MODEL}", prompt: "x", maxTokens: 900, options: { n: 2 }) {
      __typename ... on InvalidInputError { argument }
    } }`;
    for (const way of [
      'post-sse',
      'get-sse',
      'post-multipart',
      'stream-post',
      'stream-single',
    ] as const) {
      const answer = await DRIVERS[way](stack.endpoint, { query }, { headers: {} });
      expect(answer.result?.errors, `${way}: ${answer.raw}`).toBeUndefined();
      expect(answer.result?.data?.completionStream, `${way}: ${answer.raw}`).toEqual({
        __typename: 'InvalidInputError',
        argument: 'maxTokens',
      });
    }
    expect(generations()).toBe(0);
  });

  it('refuses a body over MAX_REQUEST_BYTES with 413', async () => {
    const response = await post(
      stack,
      JSON.stringify({
        query: `mutation { complete(model: "${MODEL}", prompt: "${'x'.repeat(70_000)}") { __typename } }`,
      }),
    );
    expect(response.status).toBe(413);
    expect(generations()).toBe(0);
  });

  it('refuses a chunked body without Content-Length with 411, before reading it', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        stack.endpoint,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('{"query":"{ models { id } }"}');
      req.end();
    });
    expect(status).toBe(411);
    const { data } = await stack.gql('{ models { id } }');
    expect(data!.models.length).toBeGreaterThan(0);
  });

  it('refuses more than MAX_MESSAGES messages as BAD_USER_INPUT', async () => {
    const messages = Array.from({ length: 5 }, () => ({ role: 'USER', content: 'hi' }));
    const { data } = await stack.gql(
      'mutation($m: [ChatMessageInput!]!) { chat(model: "sim/lorem-8b-instruct", messages: $m) { __typename ... on InvalidInputError { argument message } } }',
      { m: messages },
    );
    expect(data!.chat).toMatchObject({ __typename: 'InvalidInputError', argument: 'messages' });
    expect(generations()).toBe(0);
  });

  it('answers invalid UTF-8, malformed JSON and wrong content types with 4xx and keeps serving', async () => {
    const invalidUtf8 = Buffer.concat([
      Buffer.from('{"query":"{ models { id } }", "x": "'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}'),
    ]);
    for (const [body, headers] of [
      [invalidUtf8, {}],
      ['{"query": ', {}],
      ['query { models { id } }', { 'content-type': 'text/plain' }],
      ['<query/>', { 'content-type': 'application/xml' }],
    ] as const) {
      const response = await post(stack, body, headers);
      expect(
        response.status,
        String(headers['content-type' as keyof typeof headers] ?? 'json'),
      ).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
    const { data } = await stack.gql('{ models { id } }');
    expect(data!.models.length).toBeGreaterThan(0);
  });

  it('refuses batched requests unless BATCHING_LIMIT is set', async () => {
    const response = await post(
      stack,
      JSON.stringify([{ query: '{ models { id } }' }, { query: '{ models { id } }' }]),
    );
    expect(response.status).toBeGreaterThanOrEqual(400);
  });

  it('refuses a GET without the CSRF header (what any web page can send), and serves the documented client paths', async () => {
    const query = encodeURIComponent(
      `subscription { completionStream(model: "${MODEL}", prompt: "x", maxTokens: 3) { __typename } }`,
    );
    const simple = await fetch(`${stack.endpoint}?query=${query}`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(simple.status).toBe(403);
    expect(generations()).toBe(0);
    // EventSource users add the header through a polyfill or a proxy; fetch-based clients post JSON.
    const withHeader = await fetch(`${stack.endpoint}?query=${query}`, {
      headers: { accept: 'text/event-stream', 'x-graphql-yoga-csrf': '1' },
    });
    expect(await withHeader.text()).toContain('CompletionDone');
    const events = await collect(
      stack.endpoint,
      `subscription { completionStream(model: "${MODEL}", prompt: "x", maxTokens: 3) { __typename } }`,
      {},
    );
    expect(events.at(-1)!.__typename).toBe('CompletionDone');
  });

  it('sends no CORS headers when no origin is configured', async () => {
    const response = await fetch(stack.endpoint, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('production switches', () => {
  let locked: Stack;
  beforeAll(async () => {
    locked = await startStack(
      {
        INTROSPECTION: 'false',
        GRAPHIQL: 'false',
        CORS_ORIGINS: 'https://app.example.com',
        BATCHING_LIMIT: '2',
        TRUSTED_DOCUMENTS_FILE: new URL(
          '../../examples/gql/persisted-documents.json',
          import.meta.url,
        ).pathname,
      },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(() => locked.close());

  const manifest = JSON.parse(
    readFileSync(new URL('../../examples/gql/persisted-documents.json', import.meta.url), 'utf8'),
  ) as Record<string, string>;
  const hashOf = (operation: string) =>
    Object.keys(manifest).find((hash) => manifest[hash]!.includes(operation))!;
  const persisted = (hash: string, variables: Record<string, unknown> = {}) =>
    fetch(locked.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        variables,
        extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
      }),
    });

  it('runs only trusted documents, by hash', async () => {
    const free = await locked.gql('{ models { id } }');
    expect(free.errors![0]!.extensions!.code).toBe('PERSISTED_QUERY_ONLY');
    const unknown = await (await persisted('sha256:0000')).json();
    expect(unknown.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const models = await (await persisted(hashOf('query Models'))).json();
    expect(models.data.models.map((m: { id: string }) => m.id)).toContain(MODEL);
    const bare = await (await persisted(hashOf('query Models').replace(/^sha256:/, ''))).json();
    expect(bare.data.models.length).toBeGreaterThan(0);
    const completion = await (
      await persisted(hashOf('mutation Complete'), { model: MODEL, prompt: 'Once', maxTokens: 4 })
    ).json();
    expect(completion.data.complete.__typename).toBe('Completion');
  });

  it('streams a trusted subscription by hash', async () => {
    const response = await fetch(locked.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        variables: { model: MODEL, messages: [{ role: 'USER', content: 'Hi' }], maxTokens: 4 },
        extensions: {
          persistedQuery: { version: 1, sha256Hash: hashOf('subscription ChatStream') },
        },
      }),
    });
    expect(await response.text()).toContain('ChatDone');
  });

  it('turns off introspection, field suggestions and GraphiQL', async () => {
    const introspection = await persisted('sha256:nope');
    expect(await introspection.text()).toContain('"code":"PERSISTED_QUERY_NOT_FOUND"');
    const page = await fetch(locked.endpoint, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('graphiql');
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const preflight = (origin: string) =>
      fetch(locked.endpoint, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    expect(
      (await preflight('https://app.example.com')).headers.get('access-control-allow-origin'),
    ).toBe('https://app.example.com');
    expect(
      (await preflight('https://evil.example')).headers.get('access-control-allow-origin'),
    ).not.toBe('https://evil.example');
  });
});

describe('introspection off without trusted documents', () => {
  let closed: Stack;
  beforeAll(async () => {
    closed = await startStack({ INTROSPECTION: 'false' }, { tokenDelayMs: 0 });
  });
  afterAll(() => closed.close());

  it('refuses __schema and hides "did you mean" suggestions; INTROSPECTION defaults to on', async () => {
    const schema = await closed.gql('{ __schema { types { name } } }');
    expect(schema.errors![0]!.message).toMatch(/introspection/i);
    const typo = await closed.gql('{ modles { id } }');
    expect(typo.errors![0]!.message).not.toMatch(/did you mean/i);
    const open = await startStack({}, { tokenDelayMs: 0 });
    try {
      const allowed = await open.gql('{ __schema { queryType { name } } }');
      expect(allowed.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await open.close();
    }
  });
});
