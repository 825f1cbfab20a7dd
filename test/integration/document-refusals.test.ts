// What a client reads when its document is refused before anything runs, over real sockets:
// shape limits (graphql-armor), the token cost, trusted documents and introspection off — the
// exact message, code and status, and that nothing reached the upstream.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { createGateway } from '../../src/yoga.ts';
import {
  startLoggedGateway,
  type LoggedGateway,
  type RawAnswer,
} from '../support/logged-gateway.ts';
import { MODEL } from '../support/stack.ts';
import { tokenCostOf } from '../../src/schema/cost.ts';
import { schema } from '../../src/schema/index.ts';

const JSON_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/graphql-response+json',
};
const post = (gw: LoggedGateway, body: Record<string, unknown>) =>
  gw.raw('POST', '/graphql', JSON_HEADERS, JSON.stringify(body));
const generations = (gw: LoggedGateway) =>
  gw.sim.countRequests('/v1/completions') + gw.sim.countRequests('/v1/chat/completions');
const complete = (maxTokens: string, alias = 'c', options = '') =>
  `${alias}: complete(model: "${MODEL}", prompt: "x"${maxTokens === '' ? '' : `, maxTokens: ${maxTokens}`}${options}) { __typename }`;

function expectOnlyError(answer: RawAnswer, status: number, error: Record<string, unknown>) {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.json).toEqual({ errors: [error] });
}

describe('shape limits and the token cost (MAX_DEPTH=3, MAX_ALIASES=2, MAX_DIRECTIVES=2, MAX_DOCUMENT_TOKENS=80, MAX_OPERATION_COST=100, DEFAULT_MAX_TOKENS=60)', () => {
  let gw: LoggedGateway;
  beforeAll(async () => {
    gw = await startLoggedGateway({
      MAX_DEPTH: '3',
      MAX_ALIASES: '2',
      MAX_DIRECTIVES: '2',
      MAX_DOCUMENT_TOKENS: '80',
      MAX_OPERATION_COST: '100',
      DEFAULT_MAX_TOKENS: '60',
    });
  });
  afterAll(() => gw.close());

  it('answers each shape limit as a plain validation error: 400, its code, no "Syntax Error" prefix', async () => {
    const refusals: [string, string][] = [
      [
        `subscription { chatStream(model: "${MODEL}", messages: [{ role: USER, content: "hi" }]) { ... on ChatDone { choices { message { content } } } } }`,
        'Query depth limit of 3 exceeded, found 4.',
      ],
      [
        '{ a: models { id } b: models { id } c: models { id } }',
        'Aliases limit of 2 exceeded, found 3.',
      ],
      [
        '{ models @skip(if: false) @skip(if: false) @skip(if: false) { id } }',
        'Directives limit of 2 exceeded, found 3.',
      ],
    ];
    for (const [query, message] of refusals) {
      expectOnlyError(await post(gw, { query }), 400, {
        message,
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      });
    }
    expectOnlyError(await post(gw, { query: `{ models { ${'id '.repeat(90)}} }` }), 400, {
      message: 'Syntax Error: Token limit of 80 exceeded.',
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
  });

  it('counts depth through fragments as if they were written out: a spread adds no level', async () => {
    const spread = `subscription { chatStream(model: "${MODEL}", messages: [{ role: USER, content: "hi" }], maxTokens: 2) { ... on ChatDone { choices { ...C } } } } fragment C on ChatChoice { index }`;
    const answer = await gw.raw(
      'POST',
      '/graphql',
      { 'content-type': 'application/json', accept: 'text/event-stream' },
      JSON.stringify({ query: spread }),
    );
    expect(answer.status, answer.text).toBe(200);
    expect(answer.text).toContain('"choices":[{"index":0}]');
    const deeper = spread.replace('{ index }', '{ message { content } }');
    expectOnlyError(await post(gw, { query: deeper }), 400, {
      message: 'Query depth limit of 3 exceeded, found 4.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('keeps an ordinary validation error as graphql-js words it, with its location', async () => {
    expectOnlyError(await post(gw, { query: '{ models { idd } }' }), 400, {
      message: 'Cannot query field "idd" on type "Model". Did you mean "id" or "kind"?',
      locations: [{ line: 1, column: 12 }],
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('prices maxTokens × n over every generation field, and says so with the cost and the limit', async () => {
    const before = generations(gw);
    // Every field fits alone (≤ 100): the operation is refused for their sum.
    const cases: [string, number][] = [
      [`mutation { ${complete('51', 'a')} ${complete('50', 'b')} }`, 101],
      [`mutation { ${complete('60', 'a')} ${complete('41', 'b')} }`, 101],
      [`mutation { ${complete('17', 'a', ', options: { n: 3 }')} ${complete('51', 'b')} }`, 102],
      // maxTokens left out, 0 or negative: the default (60) is what the upstream may generate.
      [`mutation { ${complete('', 'a')} ${complete('41', 'b')} }`, 101],
      [`mutation { ${complete('0', 'a')} ${complete('41', 'b')} }`, 101],
      [`mutation { ${complete('-5', 'a')} ${complete('41', 'b')} }`, 101],
      // n left out or below 1 counts once.
      [`mutation { ${complete('51', 'a', ', options: { n: 0 }')} ${complete('50', 'b')} }`, 101],
      [`mutation { ${complete('51', 'a', ', options: null')} ${complete('50', 'b')} }`, 101],
      [
        `mutation { ... on Mutation { ${complete('60', 'a')} } ...F } fragment F on Mutation { ${complete('41', 'b')} }`,
        101,
      ],
      [
        `mutation { ...G } fragment G on Mutation { ...F ${complete('1', 'x')} } fragment F on Mutation { ${complete('100', 'y')} }`,
        101,
      ],
      // A fragment before the operation is not the operation.
      [
        `fragment Cheap on Mutation { ${complete('1', 'x')} } mutation Dear { ${complete('100', 'y')} ...Cheap }`,
        101,
      ],
      // A fragment spread twice counts twice (an upper bound: merged fields run once).
      [
        `mutation { ...F ...H } fragment H on Mutation { ...F } fragment F on Mutation { ${complete('60')} }`,
        120,
      ],
    ];
    for (const [query, cost] of cases) {
      expectOnlyError(await post(gw, { query }), 400, {
        message: `The operation may use up to ${cost} tokens (sum of maxTokens × n over its generation fields and of the estimated input tokens of its embed and rerank fields); the limit is 100.`,
        extensions: { code: 'COST_LIMIT_EXCEEDED', cost, limit: 100 },
      });
    }
    expect(generations(gw)).toBe(before);
  });

  it('prices a maxTokens or n variable that is not a positive integer as if it were left out', async () => {
    const query = `mutation($t: Int, $o: GenerationOptions) { a: complete(model: "${MODEL}", prompt: "x", maxTokens: $t, options: $o) { __typename } ${complete('41', 'b')} }`;
    for (const t of [1.5, '50', 0, null]) {
      const answer = await post(gw, { query, variables: { t } });
      expect(answer.json?.errors?.[0]?.extensions, String(t)).toEqual({
        code: 'COST_LIMIT_EXCEEDED',
        cost: 60 + 41,
        limit: 100,
      });
    }
    // n 1.5 counts once (50 + 41 ≤ 100): the refusal is then the variable's own, not the cost.
    const n = await post(gw, { query, variables: { t: 50, o: { n: 1.5 } } });
    expect(n.status, n.text).toBe(400);
    expect(n.json?.errors?.[0]?.message).toMatch(
      /^Variable "\$o" got invalid value 1\.5 at "o\.n"; Int cannot represent non-integer value: 1\.5$/,
    );
  });

  it('reads maxTokens and n from variables', async () => {
    const query = `mutation($t: Int, $o: GenerationOptions) { a: complete(model: "${MODEL}", prompt: "x", maxTokens: $t, options: $o) { __typename } ${complete('51', 'b')} }`;
    const refused = await post(gw, { query, variables: { t: 25, o: { n: 2 } } });
    expect(refused.json?.errors?.[0]?.extensions).toEqual({
      code: 'COST_LIMIT_EXCEEDED',
      cost: 101,
      limit: 100,
    });
    const served = await post(gw, { query, variables: { t: 24, o: { n: 2 } } });
    expect(served.status, served.text).toBe(200);
    expect(served.json?.data).toEqual({
      a: { __typename: 'Completion' },
      b: { __typename: 'Completion' },
    });
  });

  it('prices each request by its own variables: a document once refused runs with cheaper ones (Yoga caches validation)', async () => {
    // The mutation's two fields are refused together (COST_LIMIT_EXCEEDED); the stream's one field
    // alone over the limit is its own typed error (an InvalidInputError event).
    const mutation = `mutation Priced($t: Int) { a: complete(model: "${MODEL}", prompt: "x", maxTokens: $t) { __typename } ${complete('50', 'b')} }`;
    const stream = `subscription PricedStream($t: Int) { completionStream(model: "${MODEL}", prompt: "x", maxTokens: $t) { __typename } }`;
    for (const [query, accept, marker, dear] of [
      [mutation, 'application/graphql-response+json', 'COST_LIMIT_EXCEEDED', 60],
      [stream, 'text/event-stream', '"InvalidInputError"', 200],
    ] as const) {
      for (const [t, refused] of [
        [dear, true],
        [5, false],
        [dear, true],
        [5, false],
      ] as const) {
        const answer = await gw.raw(
          'POST',
          '/graphql',
          { 'content-type': 'application/json', accept },
          JSON.stringify({ query, variables: { t } }),
        );
        expect(answer.text.includes(marker), `${t}: ${answer.text}`).toBe(refused);
        if (!refused) expect(answer.status, answer.text).toBe(200);
      }
    }
  });

  it('prices the operation that runs, not every operation of the document', async () => {
    const dear = `${complete('60', 'a')} ${complete('41', 'b')}`;
    const document = `mutation Cheap { ${complete('5')} } mutation Dear { ${dear} }`;
    const cheap = await post(gw, { query: document, operationName: 'Cheap' });
    expect(cheap.status, cheap.text).toBe(200);
    expect(cheap.json?.data).toEqual({ c: { __typename: 'Completion' } });
    expect(
      (await post(gw, { query: document, operationName: 'Dear' })).json?.errors?.[0]?.extensions
        ?.code,
    ).toBe('COST_LIMIT_EXCEEDED');
    // An operation name the document does not have: Yoga's own answer, not a crash of the pricing.
    expectOnlyError(await post(gw, { query: document, operationName: 'Missing' }), 400, {
      message: 'Could not determine what operation to execute.',
      extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
    });
    // Without a name, the only operation of a document is the one priced.
    expect(
      (await post(gw, { query: `mutation Dear { ${dear} }` })).json?.errors?.[0]?.extensions?.code,
    ).toBe('COST_LIMIT_EXCEEDED');
  });

  it('refuses a stream whose one field, spread twice, counts over the limit, before the upstream stream opens', async () => {
    const before = generations(gw);
    const answer = await gw.raw(
      'POST',
      '/graphql',
      { 'content-type': 'application/json', accept: 'text/event-stream' },
      JSON.stringify({
        query: `subscription { ...S ...S } fragment S on Subscription { completionStream(model: "${MODEL}", prompt: "x", maxTokens: 60) { __typename } }`,
      }),
    );
    expect(answer.status, answer.text).toBe(200);
    expect(answer.text).toContain('"code":"COST_LIMIT_EXCEEDED"');
    expect(answer.text).toContain('"cost":120');
    expect(generations(gw)).toBe(before);
  });

  it('answers a field that alone costs more than an operation may with its typed InvalidInputError, and runs the rest', async () => {
    const message = (cost: number, rule = 'maxTokens × n') =>
      `maxTokens: this field may use up to ${cost} tokens (${rule}); one operation may use at most 100`;
    const typed = `__typename ... on InvalidInputError { code argument message }`;
    const before = generations(gw);
    for (const [field, cost] of [
      [`complete(model: "${MODEL}", prompt: "x", maxTokens: 101)`, 101],
      [`complete(model: "${MODEL}", prompt: "x", maxTokens: 34, options: { n: 3 })`, 102],
      // Left out, maxTokens is DEFAULT_MAX_TOKENS for each of the n choices.
      [`complete(model: "${MODEL}", prompt: "x", options: { n: 2 })`, 120],
    ] as const) {
      for (let i = 0; i < 3; i++) {
        const answer = await post(gw, {
          query: `mutation { over: ${field} { ${typed} } ${complete('5')} }`,
        });
        expect(answer.status, answer.text).toBe(200);
        expect(answer.json, answer.text).toEqual({
          data: {
            over: {
              __typename: 'InvalidInputError',
              code: 'BAD_USER_INPUT',
              argument: 'maxTokens',
              message: message(cost),
            },
            c: { __typename: 'Completion' },
          },
        });
      }
    }
    // The cheap field ran each time; the one over the limit never reached the upstream.
    expect(generations(gw)).toBe(before + 9);
    // A chat counts its images too, and says so.
    const chat = await post(gw, {
      query: `mutation { chat(model: "${MODEL}", maxTokens: 101, messages: [{ role: USER, content: "hi" }]) { ${typed} } }`,
    });
    expect(chat.json?.data?.chat).toMatchObject({
      argument: 'maxTokens',
      message: message(101, 'maxTokens × n, and 1024 for each image'),
    });
    // A stream: the typed error is its one event, and no upstream stream opens.
    const stream = await gw.raw(
      'POST',
      '/graphql',
      { 'content-type': 'application/json', accept: 'text/event-stream' },
      JSON.stringify({
        query: `subscription { completionStream(model: "${MODEL}", prompt: "x", maxTokens: 101) { ${typed} } }`,
      }),
    );
    expect(stream.status, stream.text).toBe(200);
    expect(stream.text).toContain(
      JSON.stringify({
        __typename: 'InvalidInputError',
        code: 'BAD_USER_INPUT',
        argument: 'maxTokens',
        message: message(101),
      }),
    );
    expect(generations(gw)).toBe(before + 9);
  });

  it('refuses every field that declares a token cost by itself when it alone is over the limit: none is left out', async () => {
    // One use over the limit (100) for each priced field of the schema. A field that declares a
    // cost and is missing here fails the first assertion; one whose resolver does not refuse fails
    // the second (the operation limit counts it for nothing, so nothing else would).
    const over: Record<string, [string, string]> = {
      'Mutation.complete': ['mutation', `complete(model: "${MODEL}", prompt: "x", maxTokens: 101)`],
      'Mutation.chat': [
        'mutation',
        `chat(model: "${MODEL}", maxTokens: 101, messages: [{ role: USER, content: "hi" }])`,
      ],
      'Subscription.completionStream': [
        'subscription',
        `completionStream(model: "${MODEL}", prompt: "x", options: { n: 2 })`,
      ],
      'Subscription.chatStream': [
        'subscription',
        `chatStream(model: "${MODEL}", maxTokens: 101, messages: [{ role: USER, content: "hi" }])`,
      ],
      'Query.embed': ['query', `embed(model: "sim/lorem-embed-1b", input: ["${'x'.repeat(404)}"])`],
      'Query.rerank': [
        'query',
        `rerank(model: "sim/lorem-rerank-1b", query: "q", passages: ["${'x'.repeat(404)}"])`,
      ],
    };
    const priced = [
      schema.getQueryType()!,
      schema.getMutationType()!,
      schema.getSubscriptionType()!,
    ]
      .flatMap((root) =>
        Object.values(root.getFields())
          .filter((field) => tokenCostOf(field.extensions) !== null)
          .map((field) => `${root.name}.${field.name}`),
      )
      .sort();
    expect(Object.keys(over).sort()).toEqual(priced);
    const calls = () =>
      generations(gw) +
      gw.sim.countRequests('/v1/embeddings') +
      gw.sim.countRequests('/v1/ranking');
    const before = calls();
    for (const [name, [kind, field]] of Object.entries(over)) {
      const query = `${kind} { ${field} { __typename ... on InvalidInputError { code argument message } } }`;
      const answer =
        kind === 'subscription'
          ? await gw.raw(
              'POST',
              '/graphql',
              { 'content-type': 'application/json', accept: 'text/event-stream' },
              JSON.stringify({ query }),
            )
          : await post(gw, { query });
      expect(answer.status, `${name}: ${answer.text}`).toBe(200);
      expect(answer.text, name).toContain(
        '"__typename":"InvalidInputError","code":"BAD_USER_INPUT"',
      );
      expect(answer.text, name).toContain('one operation may use at most 100');
    }
    expect(calls()).toBe(before);
  });

  it('lets an operation within the cost and the limits run, and a query costs nothing', async () => {
    const served = await post(gw, {
      query: `mutation { ${complete('50', 'a')} ${complete('50', 'b')} }`,
    });
    expect(served.status, served.text).toBe(200);
    expect(served.json?.data).toEqual({
      a: { __typename: 'Completion' },
      b: { __typename: 'Completion' },
    });
    expect((await post(gw, { query: '{ models { id } }' })).status).toBe(200);
  });
});

describe('INTROSPECTION=false: errors keep everything but the suggestion', () => {
  let gw: LoggedGateway;
  beforeAll(async () => {
    gw = await startLoggedGateway({ INTROSPECTION: 'false' });
  });
  afterAll(() => gw.close());

  it('a validation error: the same message without "Did you mean", its location and code', async () => {
    expectOnlyError(await post(gw, { query: '{ models { idd } }' }), 400, {
      message: 'Cannot query field "idd" on type "Model".',
      locations: [{ line: 1, column: 12 }],
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expectOnlyError(
      await post(gw, {
        query: `mutation { chat(model: "${MODEL}", messages: [{ role: USR, content: "hi" }], maxTokens: 1) { __typename } }`,
      }),
      400,
      {
        message: 'Value "USR" does not exist in "ChatRole" enum.',
        locations: [{ line: 1, column: 68 }],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      },
    );
  });

  it('a variable error of a mutation and of a subscription: the message without the suggestion, its location', async () => {
    const roles = { m: [{ role: 'USR', content: 'hi' }] };
    const mutation = await post(gw, {
      query: `mutation($m: [ChatMessageInput!]!) { chat(model: "${MODEL}", messages: $m, maxTokens: 1) { __typename } }`,
      variables: roles,
    });
    expectOnlyError(mutation, 400, {
      message:
        'Variable "$m" got invalid value "USR" at "m[0].role"; Value "USR" does not exist in "ChatRole" enum.',
      locations: [{ line: 1, column: 10 }],
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const options = await post(gw, {
      query: `mutation($o: GenerationOptions) { complete(model: "${MODEL}", prompt: "x", maxTokens: 1, options: $o) { __typename } }`,
      variables: { o: { temprature: 1 } },
    });
    expectOnlyError(options, 400, {
      message:
        'Variable "$o" got invalid value { temprature: 1 }; Field "temprature" is not defined by type "GenerationOptions".',
      locations: [{ line: 1, column: 10 }],
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const stream = await gw.raw(
      'POST',
      '/graphql',
      { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      JSON.stringify({
        query: `subscription($m: [ChatMessageInput!]!) { chatStream(model: "${MODEL}", messages: $m, maxTokens: 1) { __typename } }`,
        variables: roles,
      }),
    );
    expectOnlyError(stream, 400, {
      message:
        'Variable "$m" got invalid value "USR" at "m[0].role"; Value "USR" does not exist in "ChatRole" enum.',
      locations: [{ line: 1, column: 14 }],
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('refuses __schema and __type at validation and still runs ordinary queries', async () => {
    const schema = await post(gw, { query: '{ __schema { queryType { name } } }' });
    expect(schema.status).toBe(400);
    expect(schema.json?.errors?.[0]).toEqual({
      message:
        'GraphQL introspection has been disabled, but the requested query contained the field "__schema".',
      locations: [{ line: 1, column: 3 }],
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(
      (await post(gw, { query: '{ __type(name: "Model") { name } }' })).json?.errors?.[0]?.message,
    ).toMatch(/introspection has been disabled/);
    expect((await post(gw, { query: '{ models { id } }' })).status).toBe(200);
  });
});

describe('trusted documents (TRUSTED_DOCUMENTS_FILE)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'document-refusals-'));
  const models = 'query Models { models { id } }';
  const hash = createHash('sha256').update(models).digest('hex');
  let gw: LoggedGateway;
  beforeAll(async () => {
    // Keyed by the bare hex, as an APQ-style manifest is (Code Generator's "sha256:" keys are in gate-matrix).
    writeFileSync(join(dir, 'bare.json'), JSON.stringify({ [hash]: models }));
    gw = await startLoggedGateway({ TRUSTED_DOCUMENTS_FILE: join(dir, 'bare.json') });
  });
  afterAll(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a manifest document by its hash, and says what to send otherwise', async () => {
    const served = await post(gw, {
      extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
    });
    expect(served.status, served.text).toBe(200);
    expect((served.json?.data?.models as unknown[]).length).toBeGreaterThan(0);
    // Relay's body: the id as doc_id; a doc_id that is no string is no id.
    const relay = await post(gw, { doc_id: hash, variables: {} });
    expect(relay.status, relay.text).toBe(200);
    expect((relay.json?.data?.models as unknown[]).length).toBeGreaterThan(0);
    expect((await post(gw, { doc_id: 1 })).json?.errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_ID_REQUIRED',
    );
    expectOnlyError(await post(gw, { query: models }), 400, {
      message:
        'Only trusted documents run here: send extensions.persistedQuery.sha256Hash of a document in the manifest, without a query.',
      extensions: { code: 'PERSISTED_QUERY_ONLY' },
    });
    expectOnlyError(
      await post(gw, {
        extensions: { persistedQuery: { version: 1, sha256Hash: `${hash.slice(0, -1)}0` } },
      }),
      400,
      {
        message: 'This document hash is not in the trusted documents manifest.',
        extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' },
      },
    );
  });

  it('stops the gateway at start with one clear line for a manifest it cannot use', () => {
    const expected =
      'expected a JSON object of {"<sha256 hex>": "<GraphQL document>"} as GraphQL Code Generator writes it';
    const start = (file: string) => () =>
      createGateway(
        loadConfig({
          NIM_PROXY_BASE_URL: gw.sim.url,
          TRUSTED_DOCUMENTS_FILE: file,
        }) as GatewayConfig,
      );
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const problems = (file: string) => {
      try {
        start(file)();
      } catch (error) {
        expect((error as Error).name).toBe('ConfigError');
        return (error as { problems: string[] }).problems;
      }
      throw new Error(`the gateway started with ${file}`);
    };
    const missing = join(dir, 'missing.json');
    expect(problems(missing)).toEqual([
      `TRUSTED_DOCUMENTS_FILE=${JSON.stringify(missing)} cannot be read (ENOENT); ${expected}`,
    ]);
    const empty = mkdtempSync(join(tmpdir(), 'no-manifests-'));
    writeFileSync(join(empty, 'notes.txt'), 'not a manifest');
    expect(problems(empty)).toEqual([
      `TRUSTED_DOCUMENTS_FILE=${JSON.stringify(empty)} holds no documents; ${expected}`,
    ]);
    rmSync(empty, { recursive: true, force: true });
    expect(problems(` , `)).toEqual([`TRUSTED_DOCUMENTS_FILE="" holds no documents; ${expected}`]);
    const broken = write('broken.json', '{"a": ');
    expect(problems(broken)).toEqual([
      `TRUSTED_DOCUMENTS_FILE=${JSON.stringify(broken)} is not JSON; ${expected}`,
    ]);
    const shapes = [
      ['empty.json', '{}'],
      ['array.json', '["query { models { id } }"]'],
      ['string.json', '"query { models { id } }"'],
      ['null.json', 'null'],
      ['number.json', '{"abc": 1}'],
      ['mixed.json', `{"a": "${models}", "b": {}}`],
    ];
    for (const [name, text] of shapes) {
      const file = write(name!, text!);
      expect(problems(file), name).toEqual([
        `TRUSTED_DOCUMENTS_FILE=${JSON.stringify(file)} holds no documents; ${expected}`,
      ]);
    }
  });
});

describe('several manifests, reloaded without a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'manifests-'));
  const frontends = join(dir, 'frontends');
  const doc = (text: string) => [`sha256:${createHash('sha256').update(text).digest('hex')}`, text];
  const [modelsHash, models] = doc('query Models { models { id } }');
  const [oneHash, one] = doc('query One { models { id kind } }');
  const [webHash, web] = doc('query Web { models { id ownedBy } }');
  const [newHash, added] = doc('query Added { models { id maxModelLength } }');
  const byHash = (hash: string) => ({
    extensions: { persistedQuery: { version: 1, sha256Hash: hash!.slice('sha256:'.length) } },
  });
  let gw: LoggedGateway;
  beforeAll(async () => {
    mkdirSync(frontends);
    writeFileSync(join(dir, 'shared.json'), JSON.stringify({ [modelsHash!]: models }));
    writeFileSync(join(frontends, 'a.json'), JSON.stringify({ [oneHash!]: one }));
    writeFileSync(join(frontends, 'b.json'), JSON.stringify({ [webHash!]: web }));
    writeFileSync(join(frontends, 'README.txt'), 'not a manifest');
    gw = await startLoggedGateway({
      TRUSTED_DOCUMENTS_FILE: `${join(dir, 'shared.json')}, ${frontends}`,
    });
  });
  afterAll(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const status = async (hash: string) => (await post(gw, byHash(hash))).status;
  const until = async (check: () => Promise<boolean>) => {
    const deadline = Date.now() + 5_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('not reloaded within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('serves every document of a list of files and directories (each *.json of a directory)', async () => {
    for (const hash of [modelsHash, oneHash, webHash]) expect(await status(hash!)).toBe(200);
    expect(await status(newHash!)).toBe(400);
  });

  it('serves a document added to a manifest, and a new manifest file, without a restart', async () => {
    writeFileSync(
      join(frontends, 'b.json'),
      JSON.stringify({ [webHash!]: web, [newHash!]: added }),
    );
    await until(async () => (await status(newHash!)) === 200);
    const [lateHash, late] = doc('query Late { models { id created } }');
    writeFileSync(join(frontends, 'c.json'), JSON.stringify({ [lateHash!]: late }));
    await until(async () => (await status(lateHash!)) === 200);
    expect(await status(oneHash!)).toBe(200);
  });

  it('stops serving a document once its manifest is gone', async () => {
    rmSync(join(frontends, 'a.json'));
    await until(async () => (await status(oneHash!)) === 400);
    expect(await status(webHash!)).toBe(200);
  });

  it('keeps serving what it had when a manifest turns bad, and says so once', async () => {
    writeFileSync(join(frontends, 'b.json'), '{"half": ');
    // The manifests are looked at again when a request comes (at most once a second).
    await until(async () => {
      await status(webHash!);
      return gw.lines.some((line) => String(line.msg).startsWith('trusted documents not reloaded'));
    });
    expect(await status(webHash!)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await status(webHash!);
    const warnings = gw.lines.filter((line) =>
      String(line.msg).startsWith('trusted documents not reloaded'),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, event: 'trusted_documents' });
    expect(String(warnings[0]!.msg)).toContain('b.json');
    // Fixed: read again.
    writeFileSync(join(frontends, 'b.json'), JSON.stringify({ [webHash!]: web }));
    await until(async () => (await status(newHash!)) === 400);
    expect(await status(webHash!)).toBe(200);
  });
});
