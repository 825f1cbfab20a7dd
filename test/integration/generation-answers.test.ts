// What every generation shares, seen by a client: the limits at their edges (maxTokens 1 and
// MAX_TOKENS_LIMIT, a prompt of exactly MAX_PROMPT_CHARS), guided decoding refused for a model
// without it; and, against a hand-written upstream, the fields of an answer the simulator always
// fills (no creation time, a finish reason null or unknown, a model the list lacks), a NIM without
// tool calling, and the typed errors counted in the metrics and the tokens in the token metric.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';
import {
  gatewayInFront,
  sendModels,
  startUpstream,
  type GatewayInFront,
  type TestUpstream,
} from '../support/upstream.ts';

const GUIDED = /* GraphQL */ `
  mutation Guided($model: ID!, $f: ResponseFormatInput) {
    complete(model: $model, prompt: "Pick one", maxTokens: 8, responseFormat: $f) {
      __typename
      ... on UnsupportedByModelError {
        code
        requestedModel
        capability
        argument
      }
    }
  }
`;

describe('generation limits and guided decoding against the simulator', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      MAX_TOKENS_LIMIT: '8',
      MAX_PROMPT_CHARS: '10',
      MODEL_CAPABILITIES: 'sim/lorem-70b-instruct=none',
    });
  });
  afterAll(() => stack.close());

  it('takes maxTokens 1 and MAX_TOKENS_LIMIT, and a prompt of exactly MAX_PROMPT_CHARS', async () => {
    for (const [prompt, maxTokens] of [
      ['Hi', 1],
      ['Hi', 8],
      ['0123456789', 2],
    ] as const) {
      const { data } = await stack.gql(COMPLETE, { model: MODEL, prompt, maxTokens });
      expect(data!.complete.__typename).toBe('Completion');
    }
    const { data } = await stack.gql(COMPLETE, { model: MODEL, prompt: '0123456789x' });
    expect(data!.complete).toMatchObject({ __typename: 'InvalidInputError', argument: 'prompt' });
  });

  it('refuses CHOICE, REGEX and GRAMMAR of a model without guided decoding, before any call; JSON is no guided decoding', async () => {
    const other = 'sim/lorem-70b-instruct';
    stack.sim.reset();
    for (const f of [
      { type: 'CHOICE', choices: ['yes', 'no'] },
      { type: 'REGEX', pattern: '[a-z]+' },
      { type: 'GRAMMAR', grammar: 'root ::= "yes"' },
    ]) {
      const { data } = await stack.gql(GUIDED, { model: other, f });
      expect(data!.complete).toEqual({
        __typename: 'UnsupportedByModelError',
        code: 'UNSUPPORTED_BY_MODEL',
        requestedModel: other,
        capability: 'GUIDED_DECODING',
        argument: 'responseFormat',
      });
      // The model that has it is asked.
      expect((await stack.gql(GUIDED, { model: MODEL, f })).data!.complete.__typename).toBe(
        'Completion',
      );
    }
    expect(
      stack.sim.requests.filter((r) => (r.body as { model?: string } | null)?.model === other),
    ).toEqual([]);
    for (const f of [{ type: 'JSON_OBJECT' }, { type: 'TEXT' }]) {
      const { data } = await stack.gql(GUIDED, { model: other, f });
      expect(data!.complete.__typename).toBe('Completion');
    }
  });
});

const ANSWER = /* GraphQL */ `
  mutation Answer($maxTokens: Int) {
    complete(model: "test/model", prompt: "Hello", maxTokens: $maxTokens) {
      __typename
      ... on Completion {
        created
        choices {
          finishReason
        }
        model {
          id
          maxModelLength
        }
      }
      ... on GatewayError {
        code
        message
      }
    }
  }
`;

describe('generation answers of a hand-written upstream', () => {
  let upstream: TestUpstream;
  let gateway: GatewayInFront;
  let completion: Record<string, unknown> = {};
  let refusal: string | null = null;
  beforeAll(async () => {
    upstream = await startUpstream((_req, res, asked) => {
      if (asked.path === '/v1/models') return sendModels(res, 'test/model');
      if (refusal !== null) {
        res.writeHead(400, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify({ object: 'error', message: refusal, type: 'BadRequestError', code: 400 }),
        );
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'cmpl-1',
          object: 'text_completion',
          model: 'test/model',
          choices: [{ index: 0, text: 'hi', finish_reason: 'stop' }],
          usage: { prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 },
          ...completion,
        }),
      );
    });
    gateway = await gatewayInFront(upstream.url);
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  const answer = async (maxTokens = 8) => {
    const { data, errors } = await gateway.gql(ANSWER, { maxTokens });
    expect(errors).toBeUndefined();
    return data!.complete as Record<string, any>;
  };
  const metrics = async () => (await fetch(`${gateway.base}/metrics`)).text();
  const sample = (text: string, name: string, ...labels: string[]) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)))
        ?.split(' ')
        .at(-1) ?? 0,
    );

  it('takes the creation time the upstream gave, or now when it gave none', async () => {
    completion = { created: 1_700_000_000 };
    expect((await answer()).created).toBe('2023-11-14T22:13:20.000Z');
    completion = { created: null };
    const now = Date.parse((await answer()).created);
    expect(now).toBeGreaterThan(Date.parse('2026-01-01T00:00:00Z'));
  });

  it('reads a finish reason in any case, an unknown one as OTHER and none as null', async () => {
    const reasons = [];
    for (const finish_reason of ['content_filter', 'Length', 'eaten_by_a_grue', null]) {
      completion = { choices: [{ index: 0, text: 'hi', finish_reason }] };
      reasons.push((await answer()).choices[0].finishReason);
    }
    expect(reasons).toEqual(['CONTENT_FILTER', 'LENGTH', 'OTHER', null]);
  });

  it('names a model the list lacks by its id alone', async () => {
    completion = { model: 'test/model-served-as' };
    expect((await answer()).model).toEqual({ id: 'test/model-served-as', maxModelLength: null });
    completion = {};
    expect((await answer()).model).toEqual({ id: 'test/model', maxModelLength: 4096 });
  });

  it('answers ToolsNotEnabledError when the NIM names the tool-calling flags it lacks', async () => {
    refusal =
      '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set';
    try {
      const { data } = await gateway.gql(
        `mutation { chat(model: "test/model", messages: [{ role: USER, content: "Hi" }]) { __typename ... on GatewayError { code } } }`,
      );
      expect(data!.chat).toEqual({ __typename: 'ToolsNotEnabledError', code: 'TOOLS_NOT_ENABLED' });
    } finally {
      refusal = null;
    }
  });

  it('counts a typed error as an operation that failed, with its code, and the tokens of one that did not', async () => {
    completion = {};
    const before = await metrics();
    expect(await answer(0)).toMatchObject({
      __typename: 'InvalidInputError',
      code: 'BAD_USER_INPUT',
    });
    expect((await answer()).__typename).toBe('Completion');
    const after = await metrics();
    const count = (text: string, name: string, ...labels: string[]) =>
      sample(after, name, ...labels) - sample(text, name, ...labels);
    expect(
      count(before, 'nim_graphql_operations_total', 'operation="Answer"', 'outcome="error"'),
    ).toBe(1);
    expect(count(before, 'nim_graphql_errors_total', 'code="BAD_USER_INPUT"')).toBe(1);
    expect(
      count(before, 'nim_graphql_tokens_total', 'model="test/model"', 'kind="completion"'),
    ).toBe(5);
  });
});
