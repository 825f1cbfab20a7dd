// Log-probabilities come in two shapes: the completion one (parallel arrays) and the chat one (a
// content list), and llama.cpp sends the chat one for /v1/completions too. Both are read in both
// endpoints, JSON and streamed; a shape that is neither is a malformed response, never a silent null.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const LOGPROBS = 'logprobs { token logprob topLogprobs { token logprob } }';
const COMPLETE = `mutation { complete(model: "${MODEL}", prompt: "Once", maxTokens: 2, options: { logprobs: 2 }) {
  __typename ... on Completion { choices { ${LOGPROBS} } } ... on UpstreamError { code message upstreamStatus } } }`;
const CHAT = `mutation { chat(model: "${MODEL}", messages: [{ role: USER, content: "Hi" }], maxTokens: 2, options: { logprobs: 2 }) {
  __typename ... on ChatCompletion { choices { ${LOGPROBS} } } ... on UpstreamError { code message upstreamStatus } } }`;
const COMPLETION_STREAM = `subscription { completionStream(model: "${MODEL}", prompt: "Once", maxTokens: 2, options: { logprobs: 2 }) {
  __typename ... on CompletionChunk { ${LOGPROBS} } ... on CompletionDone { choices { ${LOGPROBS} } } ... on UpstreamError { code message } } }`;

const EXPECTED = [
  {
    token: ' upon',
    logprob: -0.25,
    topLogprobs: [
      { token: ' upon', logprob: -0.25 },
      { token: ' a', logprob: -1.5 },
    ],
  },
  {
    token: ' a',
    logprob: -0.5,
    topLogprobs: [
      { token: ' a', logprob: -0.5 },
      { token: ' the', logprob: -2 },
    ],
  },
];

/** The chat shape, as llama.cpp also sends it for completions. */
const contentList = {
  content: [
    {
      id: 1,
      token: ' upon',
      logprob: -0.25,
      bytes: [32, 117],
      top_logprobs: [
        { id: 1, token: ' upon', logprob: -0.25 },
        { id: 2, token: ' a', logprob: -1.5 },
      ],
    },
    {
      id: 2,
      token: ' a',
      logprob: -0.5,
      bytes: [32, 97],
      top_logprobs: [
        { id: 2, token: ' a', logprob: -0.5 },
        { id: 3, token: ' the', logprob: -2 },
      ],
    },
  ],
};

/** The completion shape: parallel arrays, alternatives as maps. */
const parallel = {
  tokens: [' upon', ' a'],
  token_logprobs: [-0.25, -0.5],
  top_logprobs: [
    { ' upon': -0.25, ' a': -1.5 },
    { ' a': -0.5, ' the': -2 },
  ],
  text_offset: [4, 9],
};

const completion = (logprobs: unknown) =>
  JSON.stringify({
    id: 'cmpl-1',
    object: 'text_completion',
    created: 1,
    model: MODEL,
    choices: [{ index: 0, text: ' upon a', logprobs, finish_reason: 'length' }],
  });
const chatCompletion = (logprobs: unknown) =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: ' upon a' },
        logprobs,
        finish_reason: 'length',
      },
    ],
  });

describe('logprobs in every shape', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ UPSTREAM_MAX_RETRIES: '0' }, { tokenDelayMs: 0 });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.reset());

  const json = (path: string, body: string) =>
    stack.sim.inject({ path, status: 200, contentType: 'application/json', rawBody: body });

  for (const [shape, logprobs] of [
    ['the chat content list (llama.cpp)', contentList],
    ['parallel arrays', parallel],
  ] as const) {
    it(`complete reads ${shape}`, async () => {
      json('/v1/completions', completion(logprobs));
      const { data } = await stack.gql(COMPLETE);
      expect(data!.complete.choices[0].logprobs).toEqual(EXPECTED);
    });

    it(`chat reads ${shape}`, async () => {
      json('/v1/chat/completions', chatCompletion(logprobs));
      const { data } = await stack.gql(CHAT);
      expect(data!.chat.choices[0].logprobs).toEqual(EXPECTED);
    });

    it(`completionStream reads ${shape} in its chunks`, async () => {
      const chunk = (text: string, one: unknown, finish: string | null) =>
        `data: ${JSON.stringify({ id: 'cmpl-1', object: 'text_completion', created: 1, model: MODEL, choices: [{ index: 0, text, logprobs: one, finish_reason: finish }] })}\n\n`;
      const split = (i: number) =>
        'content' in logprobs
          ? { content: [logprobs.content[i]] }
          : {
              tokens: [logprobs.tokens[i]],
              token_logprobs: [logprobs.token_logprobs[i]],
              top_logprobs: [logprobs.top_logprobs[i]],
              text_offset: [logprobs.text_offset[i]],
            };
      stack.sim.inject({
        path: '/v1/completions',
        status: 200,
        contentType: 'text/event-stream',
        rawBody: `${chunk(' upon', split(0), null)}${chunk(' a', split(1), 'length')}data: [DONE]\n\n`,
      });
      const events = await collect(stack.endpoint, COMPLETION_STREAM, {});
      // Both chunks come in one read: relayed as one, their logprobs joined in order.
      expect(
        events.filter((e) => e.__typename === 'CompletionChunk').flatMap((e) => e.logprobs),
      ).toEqual(EXPECTED);
      expect(events.at(-1)!.choices[0].logprobs).toEqual(EXPECTED);
    });
  }

  it('a shape that is neither is a malformed response, not null', async () => {
    for (const logprobs of [{ content: 'x' }, 5, { tokens: [' a'], token_logprobs: ['high'] }]) {
      json('/v1/completions', completion(logprobs));
      const { data } = await stack.gql(COMPLETE);
      expect(data!.complete).toMatchObject({
        __typename: 'UpstreamError',
        code: 'UPSTREAM_ERROR',
        upstreamStatus: 200,
        message: expect.stringMatching(/malformed/),
      });
    }
    stack.sim.inject({
      path: '/v1/completions',
      status: 200,
      contentType: 'text/event-stream',
      rawBody: `data: ${completion({ content: 'x' })}\n\ndata: [DONE]\n\n`,
    });
    const events = await collect(stack.endpoint, COMPLETION_STREAM, {});
    expect(events.at(-1)).toMatchObject({
      __typename: 'UpstreamError',
      code: 'UPSTREAM_ERROR',
      message: expect.stringMatching(/malformed/),
    });
  });

  it('absent or null logprobs stay null', async () => {
    json('/v1/completions', completion(null));
    expect((await stack.gql(COMPLETE)).data!.complete.choices[0].logprobs).toBeNull();
    json('/v1/chat/completions', chatCompletion({ content: null }));
    expect((await stack.gql(CHAT)).data!.chat.choices[0].logprobs).toBeNull();
  });
});
