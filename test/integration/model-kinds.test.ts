// Model.kind from MODEL_KINDS and the default patterns, models(kind:), and a field given a model of
// another kind refused as WrongModelKindError before any upstream call: generations (mutations and
// streams) of an embedding model, embeddings of a generation model, rankings of an embedding model.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { startStack, type Stack } from '../support/stack.ts';

const KIND_ERROR = /* GraphQL */ `
  ... on WrongModelKindError {
    code
    requestedModel
    modelKind
    requiredKind
  }
`;

describe('model kinds', () => {
  let stack: Stack;
  let configured: Stack;
  beforeAll(async () => {
    stack = await startStack();
    configured = await startStack({
      MODEL_KINDS: 'sim/lorem-70b*=embedding,asymmetric; SIM/*-EMBED-1B=ranking',
    });
  });
  afterAll(async () => {
    await stack.close();
    await configured.close();
  });
  beforeEach(() => stack.sim.reset());

  it('says what each model is for, and filters by it', async () => {
    const { data } = await stack.gql(`{
      models { id kind needsInputType kindRule }
      embedding: models(kind: EMBEDDING) { id }
      ranking: models(kind: RANKING) { id }
    }`);
    expect(data!.models).toEqual([
      {
        id: 'sim/lorem-8b-instruct',
        kind: 'GENERATION',
        needsInputType: false,
        kindRule: 'default *',
      },
      {
        id: 'sim/lorem-70b-instruct',
        kind: 'GENERATION',
        needsInputType: false,
        kindRule: 'default *',
      },
      {
        id: 'sim/lorem-8b-instruct-lora-pirate',
        kind: 'GENERATION',
        needsInputType: false,
        kindRule: 'default *',
      },
      {
        id: 'sim/lorem-embedqa-1b',
        kind: 'EMBEDDING',
        needsInputType: true,
        kindRule: 'default *embedqa*',
      },
      {
        id: 'sim/lorem-embed-1b',
        kind: 'EMBEDDING',
        needsInputType: false,
        kindRule: 'default *embed*',
      },
      {
        id: 'sim/lorem-rerank-1b',
        kind: 'RANKING',
        needsInputType: false,
        kindRule: 'default *rerank*',
      },
    ]);
    expect(data!.embedding).toEqual([{ id: 'sim/lorem-embedqa-1b' }, { id: 'sim/lorem-embed-1b' }]);
    expect(data!.ranking).toEqual([{ id: 'sim/lorem-rerank-1b' }]);
  });

  it('takes MODEL_KINDS before the defaults, case ignored', async () => {
    const { data } = await configured.gql(`{ models { id kind needsInputType kindRule } }`);
    const byId = Object.fromEntries(data!.models.map((m: { id: string }) => [m.id, m]));
    expect(byId['sim/lorem-70b-instruct']).toMatchObject({
      kind: 'EMBEDDING',
      needsInputType: true,
      kindRule: 'configured sim/lorem-70b*',
    });
    expect(byId['sim/lorem-embed-1b']).toMatchObject({
      kind: 'RANKING',
      kindRule: 'configured SIM/*-EMBED-1B',
    });
  });

  it('refuses a generation of an embedding model, in a mutation and in a stream, before any call', async () => {
    const { data } = await stack.gql(`mutation {
      complete(model: "sim/lorem-embed-1b", prompt: "Hi", maxTokens: 4) { __typename ${KIND_ERROR} }
      chat(model: "sim/lorem-rerank-1b", messages: [{ role: USER, content: "Hi" }], maxTokens: 4) { __typename ${KIND_ERROR} }
    }`);
    expect(data).toEqual({
      complete: {
        __typename: 'WrongModelKindError',
        code: 'WRONG_MODEL_KIND',
        requestedModel: 'sim/lorem-embed-1b',
        modelKind: 'EMBEDDING',
        requiredKind: 'GENERATION',
      },
      chat: {
        __typename: 'WrongModelKindError',
        code: 'WRONG_MODEL_KIND',
        requestedModel: 'sim/lorem-rerank-1b',
        modelKind: 'RANKING',
        requiredKind: 'GENERATION',
      },
    });
    const events = await collect(
      stack.endpoint,
      `subscription { chatStream(model: "sim/lorem-embedqa-1b", messages: [{ role: USER, content: "Hi" }], maxTokens: 4) { __typename ${KIND_ERROR} } }`,
      {},
    );
    expect(events.map(({ at: _at, ...event }) => event)).toEqual([
      {
        __typename: 'WrongModelKindError',
        code: 'WRONG_MODEL_KIND',
        requestedModel: 'sim/lorem-embedqa-1b',
        modelKind: 'EMBEDDING',
        requiredKind: 'GENERATION',
      },
    ]);
    expect(stack.sim.requests.filter((r) => r.path !== '/v1/models')).toEqual([]);
  });

  it('refuses an embedding of a generation model and a ranking of an embedding model, before any call', async () => {
    const { data } = await stack.gql(`{
      embed(model: "sim/lorem-8b-instruct", input: ["hi"]) { __typename ${KIND_ERROR} }
      rerank(model: "sim/lorem-embed-1b", query: "q", passages: ["p"]) { __typename ${KIND_ERROR} }
    }`);
    expect(data).toEqual({
      embed: {
        __typename: 'WrongModelKindError',
        code: 'WRONG_MODEL_KIND',
        requestedModel: 'sim/lorem-8b-instruct',
        modelKind: 'GENERATION',
        requiredKind: 'EMBEDDING',
      },
      rerank: {
        __typename: 'WrongModelKindError',
        code: 'WRONG_MODEL_KIND',
        requestedModel: 'sim/lorem-embed-1b',
        modelKind: 'EMBEDDING',
        requiredKind: 'RANKING',
      },
    });
    expect(stack.sim.requests.filter((r) => r.path !== '/v1/models')).toEqual([]);
  });
});
