// Relay against this gateway: relay-compiler (the npm package's own binary) compiles a small Relay
// project whose schema is the repository's schema.graphql, relay-runtime runs what it generated
// against a gateway whose only trusted documents are the compiler's persisted queries, and documents
// the schema does not allow fail to compile. Each project is written to a temporary directory and
// compiled there; nothing is generated into the repository.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  commitMutation,
  fetchQuery,
  getSelector,
  requestSubscription,
  type ConcreteRequest,
  type Environment,
  type ReaderFragment,
  type Variables,
} from 'relay-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayEnvironment } from '../../examples/snippets/relay.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const SCHEMA = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
const require = createRequire(import.meta.url);
/** The compiler binary for this platform (null on one it has none for), as the package's bin script finds it. */
const RELAY = require('relay-compiler') as string | null;

/** The README's relay.config.json, less persistConfig (the persisted run adds it). */
const CONFIG = {
  src: './src',
  schema: './schema.graphql',
  language: 'typescript',
  artifactDirectory: './src/__generated__',
  useImportTypeSyntax: true,
  customScalarTypes: { DateTime: 'string', JSON: 'unknown' },
};
const PERSIST = { persistConfig: { file: './persisted-queries.json', algorithm: 'SHA256' } };

interface Compiled {
  code: number;
  /** stdout and stderr, without colours. */
  output: string;
}

/** Writes a Relay project (relay.config.json, the sources under src/) and runs the compiler in it. */
function compile(
  dir: string,
  sources: Record<string, string>,
  config: Record<string, unknown> = {},
): Promise<Compiled> {
  mkdirSync(join(dir, 'src', '__generated__'), { recursive: true });
  // The compiler adds to the persisted-queries file (used when persistConfig names it): it must exist.
  writeFileSync(join(dir, 'persisted-queries.json'), '{}');
  writeFileSync(
    join(dir, 'relay.config.json'),
    JSON.stringify({ ...CONFIG, schema: SCHEMA, ...config }),
  );
  for (const [name, text] of Object.entries(sources))
    writeFileSync(join(dir, 'src', name), `import { graphql } from 'relay-runtime';\n${text}`);
  if (RELAY === null)
    throw new Error(`relay-compiler has no binary for ${process.platform} ${process.arch}`);
  return new Promise((resolve) => {
    execFile(RELAY, [], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } }, (error, out, err) =>
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
        output: `${out}${err}`.replace(/\u001b\[[0-9;]*m/g, ''),
      }),
    );
  });
}

const SOURCES: Record<string, string> = {
  'ModelList.ts': `export const query = graphql\`
  query ModelListQuery($kind: ModelKind) {
    models(kind: $kind) {
      ...ModelRow_model
    }
  }
\`;`,
  'ModelRow.ts': `export const fragment = graphql\`
  fragment ModelRow_model on Model {
    id
    kind
    created
    capabilities { tools vision }
  }
\`;`,
  // The arguments of a Query field, refetched with new ones: a Query fragment is refetchable.
  'ModelPicker.ts': `export const fragment = graphql\`
  fragment ModelPicker_query on Query
    @refetchable(queryName: "ModelPickerRefetchQuery")
    @argumentDefinitions(kind: { type: "ModelKind" }) {
    models(kind: $kind) { id }
  }
\`;`,
  'Complete.ts': `export const mutation = graphql\`
  mutation CompleteMutation($model: ID!, $prompt: String!) {
    complete(model: $model, prompt: $prompt, maxTokens: 8) {
      __typename
      ... on Completion { text created usage { totalTokens } }
      ... on ModelNotFoundError { requestedModel availableModels }
      ... on GatewayError { code message }
    }
  }
\`;
export const aliased = graphql\`
  mutation CompleteAliasedMutation($model: ID!, $prompt: String!) {
    complete(model: $model, prompt: $prompt, maxTokens: 8) {
      __typename
      ... on Completion { text }
      ... on GatewayError @alias(as: "error") { code message }
    }
  }
\`;
export const typed = graphql\`
  mutation CompleteTypedMutation($model: ID!, $prompt: String!) {
    complete(model: $model, prompt: $prompt, maxTokens: 8) {
      __typename
      ... on Completion { text }
      ... on ModelNotFoundError { code message requestedModel }
    }
  }
\`;`,
  'ChatStream.ts': `export const subscription = graphql\`
  subscription ChatStreamSubscription($model: ID!, $messages: [ChatMessageInput!]!) {
    chatStream(model: $model, messages: $messages, maxTokens: 8) {
      __typename
      ... on ChatChunk { index content }
      ... on ChatDone { reply { content toolCalls { name arguments } } json usage { totalTokens } }
      ... on GatewayError { code message }
    }
  }
\`;`,
};

const OPERATIONS = [
  'ModelListQuery',
  'ModelPickerRefetchQuery',
  'CompleteMutation',
  'CompleteAliasedMutation',
  'CompleteTypedMutation',
  'ChatStreamSubscription',
];

/** One generated artifact of a compiled project, as the app imports it. */
async function artifact<T = ConcreteRequest>(dir: string, name: string): Promise<T> {
  const file = join(dir, 'src', '__generated__', `${name}.graphql.ts`);
  return ((await import(pathToFileURL(file).href)) as { default: T }).default;
}

/** fetchQuery of ModelListQuery, and each model's ModelRow_model fragment read from the store. */
async function modelRows(environment: Environment, dir: string) {
  const query = await artifact(dir, 'ModelListQuery');
  const data = (await fetchQuery(environment, query, { kind: 'GENERATION' }).toPromise()) as {
    models: object[];
  };
  const fragment = await artifact<ReaderFragment>(dir, 'ModelRow_model');
  return data.models.map((ref) => environment.lookup(getSelector(fragment, ref) as never).data);
}

function mutate(environment: Environment, mutation: ConcreteRequest, variables: Variables) {
  return new Promise<Record<string, any>>((resolve, reject) =>
    commitMutation(environment, {
      mutation,
      variables,
      onCompleted: (response, errors) =>
        errors ? reject(new Error(JSON.stringify(errors))) : resolve(response as never),
      onError: reject,
    }),
  );
}

/** requestSubscription of ChatStreamSubscription: every event's chatStream, until complete. */
async function chatEvents(environment: Environment, dir: string) {
  const subscription = await artifact(dir, 'ChatStreamSubscription');
  return new Promise<Record<string, any>[]>((resolve, reject) => {
    const seen: Record<string, any>[] = [];
    requestSubscription(environment, {
      subscription,
      variables: { model: MODEL, messages: [{ role: 'USER', content: 'Hi' }] },
      onNext: (response) => seen.push((response as Record<string, any>).chatStream),
      onError: reject,
      onCompleted: () => resolve(seen),
    });
  });
}

/** Chunks, then exactly one ChatDone whose reply is the chunks' text. */
function expectChatStream(events: Record<string, any>[]) {
  const kinds = events.map((event) => event.__typename as string);
  expect(kinds.at(-1)).toBe('ChatDone');
  expect(kinds.length).toBeGreaterThan(1);
  expect(new Set(kinds.slice(0, -1))).toEqual(new Set(['ChatChunk']));
  const text = events
    .slice(0, -1)
    .map((event) => event.content as string)
    .join('');
  expect(events.at(-1)).toMatchObject({
    reply: { content: text, toolCalls: [] },
    usage: { totalTokens: expect.any(Number) },
  });
}

describe('relay-compiler against schema.graphql', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-compiler-'));
  const generated = (name: string) =>
    readFileSync(join(dir, 'src', '__generated__', `${name}.graphql.ts`), 'utf8');
  let compiled: Compiled;
  let manifest: Record<string, string>;
  const textOf = async (name: string) => manifest[(await artifact(dir, name)).params.id!]!;
  beforeAll(async () => {
    compiled = await compile(dir, SOURCES, PERSIST);
    manifest = JSON.parse(readFileSync(join(dir, 'persisted-queries.json'), 'utf8')) as Record<
      string,
      string
    >;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("compiles with the README's relay.config.json", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const shown = /\n## Relay\n[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(JSON.parse(shown ?? 'null')).toEqual({ ...CONFIG, ...PERSIST });
  });

  it('compiles the queries, the mutations, the subscription and the fragments', () => {
    expect(compiled.output).toContain('Compilation completed.');
    expect(compiled.code, compiled.output).toBe(0);
    for (const name of [...OPERATIONS, 'ModelRow_model', 'ModelPicker_query'])
      expect(generated(name), name).toContain('export default node;');
  });

  it('persists every operation: the artifact has the id and no text, the manifest maps the SHA-256 of the text to it', async () => {
    expect(Object.keys(manifest)).toHaveLength(OPERATIONS.length);
    for (const name of OPERATIONS) {
      const { params } = await artifact(dir, name);
      expect(params).toMatchObject({ name, text: null });
      const text = manifest[params.id!];
      expect(text, name).toMatch(new RegExp(`^(query|mutation|subscription) ${name}\\b`));
      expect(createHash('sha256').update(text!).digest('hex')).toBe(params.id);
    }
  });

  it('selects __typename on the result union, and marks the GatewayError interface (__isGatewayError)', async () => {
    const text = await textOf('CompleteMutation');
    expect(text).toMatch(
      /complete\(model: \$model, prompt: \$prompt, maxTokens: 8\) \{\n {4}__typename\n/,
    );
    expect(text).toContain(
      '... on GatewayError {\n      __isGatewayError: __typename\n      code\n',
    );
    // The stream's union too, though the document did not ask for it.
    expect(await textOf('ChatStreamSubscription')).toMatch(
      /chatStream\([^)]*\) \{\n {4}__typename\n/,
    );
  });

  it('adds `id` to every selection of a type that has one: Relay keys records by it', async () => {
    expect(await textOf('ModelListQuery')).toMatch(
      /models\(kind: \$kind\) \{\n {4}\.\.\.ModelRow_model\n {4}id\n/,
    );
    const stream = await textOf('ChatStreamSubscription');
    // An upstream answer id and a tool call id (call_0 in every chat) become store keys.
    expect(stream).toMatch(/toolCalls \{\n\s+name\n\s+arguments\n\s+id\n/);
    expect(stream).toMatch(/usage \{\n\s+totalTokens\n\s+\}\n\s+id\n/);
  });

  it('types the result union: discriminated with concrete members only, flat with an interface member unless aliased', () => {
    // Concrete members: a union on __typename, with '%other' for the members not selected.
    expect(generated('CompleteTypedMutation')).toContain(
      '  readonly complete: {\n    readonly __typename: "Completion";\n    readonly text: string;\n  } | {\n    readonly __typename: "ModelNotFoundError";',
    );
    expect(generated('CompleteTypedMutation')).toContain('readonly __typename: "%other";');
    // `... on GatewayError`: one object, __typename a string and every member's field optional.
    const flat = generated('CompleteMutation');
    expect(flat).toContain('readonly __typename: string;');
    expect(flat).toContain('readonly code?: ErrorCode;');
    expect(flat).toContain('readonly requestedModel?: string;');
    // `... on GatewayError @alias(as: "error")`: the error's fields as one nullable object.
    expect(generated('CompleteAliasedMutation')).toContain(
      'readonly error: {\n      readonly code: ErrorCode;\n      readonly message: string;\n    } | null | undefined;',
    );
  });

  it('types DateTime and JSON as customScalarTypes says', () => {
    expect(generated('ModelRow_model')).toContain('readonly created: string | null | undefined;');
    expect(generated('CompleteMutation')).toContain('readonly created?: string;');
    expect(generated('ChatStreamSubscription')).toContain(
      'readonly json?: unknown | null | undefined;',
    );
  });

  describe('relay-runtime, against a gateway whose trusted documents are the compiler manifest', () => {
    let stack: Stack;
    let environment: Environment;
    beforeAll(async () => {
      stack = await startStack({ TRUSTED_DOCUMENTS_FILE: join(dir, 'persisted-queries.json') });
      environment = createRelayEnvironment(stack.endpoint);
    });
    afterAll(() => stack?.close());

    it('fetches a query by its id and reads its fragment from the store', async () => {
      expect(await modelRows(environment, dir)).toContainEqual(
        expect.objectContaining({
          id: MODEL,
          kind: 'GENERATION',
          created: expect.any(String),
          capabilities: expect.objectContaining({ tools: expect.any(Boolean) }),
        }),
      );
      // Normalised under getDataID's key.
      expect(environment.getStore().getSource().get(`Model:${MODEL}`)).toMatchObject({
        __typename: 'Model',
        id: MODEL,
      });
    });

    it('commits the mutation: a completion, and a typed error with its own and GatewayError fields', async () => {
      const complete = await artifact(dir, 'CompleteMutation');
      const done = await mutate(environment, complete, { model: MODEL, prompt: 'Once' });
      expect(done.complete).toMatchObject({ __typename: 'Completion', text: expect.any(String) });
      expect(done.complete.created).toMatch(/^\d{4}-\d\d-\d\dT/);
      const missing = await mutate(environment, complete, { model: 'nope/none', prompt: 'Once' });
      expect(missing.complete).toMatchObject({
        __typename: 'ModelNotFoundError',
        code: 'MODEL_NOT_FOUND',
        message: expect.any(String),
        requestedModel: 'nope/none',
        availableModels: expect.arrayContaining([MODEL]),
      });
      const aliased = await artifact(dir, 'CompleteAliasedMutation');
      expect(
        (await mutate(environment, aliased, { model: 'nope/none', prompt: 'x' })).complete,
      ).toMatchObject({
        __typename: 'ModelNotFoundError',
        error: { code: 'MODEL_NOT_FOUND', message: expect.any(String) },
      });
      expect(
        (await mutate(environment, aliased, { model: MODEL, prompt: 'x' })).complete,
      ).toMatchObject({ __typename: 'Completion', error: null });
    });

    it('subscribes through graphql-sse: the chunks, one ChatDone, then complete', async () => {
      expectChatStream(await chatEvents(environment, dir));
      // getDataID keyed only Model: the answer is no record of its own under the upstream's id.
      const source = environment.getStore().getSource();
      const done = source.getRecordIDs().filter((id) => source.get(id)?.__typename === 'ChatDone');
      expect(done.length).toBe(1);
      expect(done[0]).toMatch(/^client:/);
    });

    it("runs Relay's own persisted-query body ({doc_id, variables}, as its docs send it)", async () => {
      const { params } = await artifact(dir, 'ModelListQuery');
      const send = async (body: Record<string, unknown>) => {
        const response = await fetch(stack.endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json',
          },
          body: JSON.stringify(body),
        });
        return { status: response.status, json: (await response.json()) as Record<string, any> };
      };
      const served = await send({ doc_id: params.id, variables: {} });
      expect(served.status).toBe(200);
      expect(served.json.data.models.length).toBeGreaterThan(0);
      const unknown = await send({ doc_id: 'f'.repeat(64), variables: {} });
      expect(unknown.status).toBe(400);
      expect(unknown.json.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      // Neither a string doc_id nor the extension: no id at all.
      for (const body of [{ doc_id: 42 }, { id: params.id }]) {
        const refused = await send({ ...body, variables: {} });
        expect(refused.status, JSON.stringify(body)).toBe(400);
        expect(refused.json, JSON.stringify(body)).toEqual({
          errors: [
            {
              message:
                'Send extensions.persistedQuery with version 1 and the sha256Hash of a document in the manifest (or, as Relay does, its id as doc_id).',
              extensions: { code: 'PERSISTED_QUERY_ID_REQUIRED' },
            },
          ],
        });
      }
    });
  });
});

describe('relay-compiler without persistConfig, on a gateway without trusted documents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-compiler-'));
  let stack: Stack;
  beforeAll(async () => {
    const compiled = await compile(dir, SOURCES);
    expect(compiled.code, compiled.output).toBe(0);
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the operation text: the query with its fragment, and the subscription', async () => {
    const { params } = await artifact(dir, 'ChatStreamSubscription');
    expect(params).toMatchObject({ id: null, text: expect.stringMatching(/^subscription /) });
    const environment = createRelayEnvironment(stack.endpoint);
    expect(await modelRows(environment, dir)).toContainEqual(
      expect.objectContaining({ id: MODEL, kind: 'GENERATION' }),
    );
    expectChatStream(await chatEvents(environment, dir));
  });
});

describe('what relay-compiler refuses against schema.graphql', () => {
  const dirs: string[] = [];
  const refuse = async (name: string, text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-compiler-'));
    dirs.push(dir);
    const compiled = await compile(dir, { [name]: text });
    expect(compiled.code, compiled.output).not.toBe(0);
    expect(compiled.output).toContain('Compilation failed.');
    return compiled.output;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('a field the schema does not have, by name', async () => {
    expect(
      await refuse(
        'Wrong.ts',
        'export const q = graphql`query WrongQuery { models { id contextWindow } }`;',
      ),
    ).toContain('The type `Model` has no field `contextWindow`.');
  });

  it('@refetchable on Model: the schema has no Node interface', async () => {
    expect(
      await refuse(
        'Row.ts',
        'export const f = graphql`fragment Row_model on Model @refetchable(queryName: "RowRefetchQuery") { kind }`;',
      ),
    ).toContain(
      "Invalid use of @refetchable on fragment 'Row_model', only supported are fragments on:",
    );
  });

  it('@defer and @stream: the schema does not declare them', async () => {
    expect(
      await refuse(
        'Later.ts',
        'export const f = graphql`fragment Later_model on Model { kind }`;\nexport const q = graphql`query LaterQuery { models { id ...Later_model @defer } }`;',
      ),
    ).toContain("Unknown directive 'defer'");
    expect(
      await refuse(
        'Some.ts',
        'export const q = graphql`query SomeQuery { models @stream(initialCount: 1) { id } }`;',
      ),
    ).toContain("Unknown directive 'stream'");
  });
});
