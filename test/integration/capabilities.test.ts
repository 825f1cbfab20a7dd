// Model.capabilities through GraphQL, the operator's MODEL_CAPABILITIES rules before the defaults,
// and a request for something the model cannot do refused as UnsupportedByModelError before any
// upstream call, in a mutation and in a stream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { startStack, type Stack } from '../support/stack.ts';

const MODELS = /* GraphQL */ `
  {
    models(kind: GENERATION) {
      id
      capabilities {
        tools
        parallelToolCalls
        reasoning
        vision
        guidedDecoding
        rule
      }
    }
  }
`;
const COMPLETE = /* GraphQL */ `
  mutation C($model: ID!, $f: ResponseFormatInput) {
    complete(model: $model, prompt: "Pick", maxTokens: 8, responseFormat: $f) {
      __typename
      ... on Completion {
        text
      }
      ... on GatewayError {
        code
        message
      }
      ... on UnsupportedByModelError {
        requestedModel
        capability
        argument
      }
    }
  }
`;
const STREAM = /* GraphQL */ `
  subscription S($model: ID!, $f: ResponseFormatInput) {
    chatStream(
      model: $model
      messages: [{ role: USER, content: "Pick" }]
      maxTokens: 8
      responseFormat: $f
    ) {
      __typename
      ... on UnsupportedByModelError {
        code
        capability
        argument
      }
    }
  }
`;

const all = {
  tools: true,
  parallelToolCalls: true,
  reasoning: true,
  vision: true,
  guidedDecoding: true,
};
const CHOICE = { type: 'CHOICE', choices: ['a', 'b'] };

describe('Model.capabilities', () => {
  let plain: Stack;
  let configured: Stack;
  beforeAll(async () => {
    plain = await startStack({}, { tokenDelayMs: 0 });
    configured = await startStack(
      { MODEL_CAPABILITIES: 'sim/lorem-70b*=tools; SIM/*-PIRATE=none' },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(async () => {
    await plain.close();
    await configured.close();
  });

  it('says what each model can do, and which rule said so', async () => {
    const { data } = await plain.gql(MODELS);
    expect(data!.models).toEqual([
      { id: 'sim/lorem-8b-instruct', capabilities: { ...all, rule: 'default sim/*' } },
      { id: 'sim/lorem-70b-instruct', capabilities: { ...all, rule: 'default sim/*' } },
      {
        id: 'sim/lorem-8b-instruct-lora-pirate',
        capabilities: { ...all, rule: 'default sim/*' },
      },
    ]);
  });

  it("takes the operator's rules first, case-insensitively; none means nothing", async () => {
    const { data } = await configured.gql(MODELS);
    const none = Object.fromEntries(Object.keys(all).map((k) => [k, false]));
    expect(data!.models).toEqual([
      { id: 'sim/lorem-8b-instruct', capabilities: { ...all, rule: 'default sim/*' } },
      {
        id: 'sim/lorem-70b-instruct',
        capabilities: { ...none, tools: true, rule: 'configured sim/lorem-70b*' },
      },
      {
        id: 'sim/lorem-8b-instruct-lora-pirate',
        capabilities: { ...none, rule: 'configured SIM/*-PIRATE' },
      },
    ]);
  });

  it('refuses guided decoding for a model without it, typed, before any upstream call', async () => {
    const before = configured.sim.requests.length;
    const { data } = await configured.gql(COMPLETE, { model: 'sim/lorem-70b-instruct', f: CHOICE });
    expect(data!.complete).toEqual({
      __typename: 'UnsupportedByModelError',
      code: 'UNSUPPORTED_BY_MODEL',
      requestedModel: 'sim/lorem-70b-instruct',
      capability: 'GUIDED_DECODING',
      argument: 'responseFormat',
      message:
        'responseFormat: the model `sim/lorem-70b-instruct` cannot do guidedDecoding (its capabilities come from the configured sim/lorem-70b* rule; MODEL_CAPABILITIES changes them).',
    });
    expect(configured.sim.requests.length).toBe(before);
    // Free text and JSON need no capability; another model with it is served.
    const text = await configured.gql(COMPLETE, { model: 'sim/lorem-70b-instruct', f: null });
    expect(text.data!.complete.__typename).toBe('Completion');
    const ok = await configured.gql(COMPLETE, { model: 'sim/lorem-8b-instruct', f: CHOICE });
    expect(['a', 'b']).toContain(ok.data!.complete.text);
  });

  it('refuses it in a stream too, as one typed event', async () => {
    const before = configured.sim.requests.length;
    const events = await collect(configured.endpoint, STREAM, {
      model: 'sim/lorem-8b-instruct-lora-pirate',
      f: CHOICE,
    });
    expect(events.map(({ at: _at, ...e }) => e)).toEqual([
      {
        __typename: 'UnsupportedByModelError',
        code: 'UNSUPPORTED_BY_MODEL',
        capability: 'GUIDED_DECODING',
        argument: 'responseFormat',
      },
    ]);
    expect(configured.sim.requests.length).toBe(before);
  });
});
