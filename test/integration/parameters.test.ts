import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const COMPLETE = /* GraphQL */ `
  mutation C(
    $model: ID!
    $prompt: String!
    $maxTokens: Int
    $options: GenerationOptions
    $responseFormat: ResponseFormatInput
  ) {
    complete(
      model: $model
      prompt: $prompt
      maxTokens: $maxTokens
      options: $options
      responseFormat: $responseFormat
    ) {
      __typename
      ... on Completion {
        text
        json
        choices {
          index
          text
          finishReason
          logprobs {
            token
            logprob
            topLogprobs {
              token
              logprob
            }
          }
        }
      }
      ... on GatewayError {
        code
        message
      }
      ... on InvalidInputError {
        argument
      }
    }
  }
`;

const CHAT = /* GraphQL */ `
  mutation Chat(
    $model: ID!
    $messages: [ChatMessageInput!]!
    $maxTokens: Int
    $options: GenerationOptions
    $responseFormat: ResponseFormatInput
  ) {
    chat(
      model: $model
      messages: $messages
      maxTokens: $maxTokens
      options: $options
      responseFormat: $responseFormat
    ) {
      __typename
      ... on ChatCompletion {
        json
        reply {
          content
        }
        choices {
          index
          finishReason
          logprobs {
            token
            logprob
            topLogprobs {
              token
              logprob
            }
          }
        }
      }
      ... on GatewayError {
        code
        message
      }
      ... on InvalidInputError {
        argument
      }
    }
  }
`;

const messages = [{ role: 'USER', content: 'Name a harbor.' }];

const everyOption = {
  temperature: 0.7,
  topP: 0.9,
  n: 2,
  stop: ['\n\n', 'END'],
  seed: 42,
  frequencyPenalty: 0.5,
  presencePenalty: -0.5,
  logprobs: 2,
  user: 'user-17',
  topK: 40,
  repetitionPenalty: 1.1,
  ignoreEos: false,
  minTokens: 2,
  minP: 0.05,
};

const sampling = {
  temperature: 0.7,
  top_p: 0.9,
  n: 2,
  stop: ['\n\n', 'END'],
  seed: 42,
  frequency_penalty: 0.5,
  presence_penalty: -0.5,
  user: 'user-17',
  min_tokens: 2,
  min_p: 0.05,
};

const extensions = { top_k: 40, repetition_penalty: 1.1, ignore_eos: false };

describe('generation parameters', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({}, { tokenDelayMs: 0 });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.reset());

  const lastBody = (path: string) => stack.sim.requests.filter((r) => r.path === path).at(-1)!.body;

  it('sends every completion parameter upstream under its wire name, extensions at the top level', async () => {
    const { data } = await stack.gql(COMPLETE, {
      model: MODEL,
      prompt: 'Once',
      maxTokens: 8,
      options: { ...everyOption, echo: true },
    });
    expect(data!.complete.__typename).toBe('Completion');
    expect(lastBody('/v1/completions')).toEqual({
      model: MODEL,
      prompt: 'Once',
      max_tokens: 8,
      ...sampling,
      ...extensions,
      logprobs: 2,
      echo: true,
    });
  });

  it('asks chat for logprobs with a boolean and top_logprobs', async () => {
    const { data } = await stack.gql(CHAT, {
      model: MODEL,
      messages,
      maxTokens: 8,
      options: everyOption,
    });
    expect(data!.chat.__typename).toBe('ChatCompletion');
    expect(lastBody('/v1/chat/completions')).toEqual({
      model: MODEL,
      messages: [{ role: 'user', content: 'Name a harbor.' }],
      max_tokens: 8,
      ...sampling,
      ...extensions,
      logprobs: true,
      top_logprobs: 2,
    });
  });

  it('puts the NIM extensions inside nvext when NIM_API_DIALECT=nvext', async () => {
    const v1 = await startStack({ NIM_API_DIALECT: 'nvext' }, { tokenDelayMs: 0, apiVersion: 1 });
    try {
      const { data } = await v1.gql(COMPLETE, {
        model: MODEL,
        prompt: 'Once',
        maxTokens: 8,
        options: everyOption,
      });
      expect(data!.complete.__typename).toBe('Completion');
      const body = v1.sim.requests.find((r) => r.path === '/v1/completions')!.body as Record<
        string,
        unknown
      >;
      expect(body).toMatchObject({ ...sampling, logprobs: 2, nvext: extensions });
      for (const name of Object.keys(extensions)) expect(body).not.toHaveProperty(name);
    } finally {
      await v1.close();
    }
  });

  it('returns per-token logprobs with the asked number of alternatives', async () => {
    for (const [query, field] of [
      [COMPLETE, 'complete'],
      [CHAT, 'chat'],
    ] as const) {
      const variables = {
        model: MODEL,
        prompt: 'Once',
        messages,
        maxTokens: 5,
        options: { logprobs: 3, ignoreEos: true },
      };
      const { data } = await stack.gql(query, variables);
      const logprobs = data![field].choices[0].logprobs as {
        token: string;
        logprob: number;
        topLogprobs: unknown[];
      }[];
      expect(logprobs, field).toHaveLength(5);
      for (const entry of logprobs) {
        expect(entry.logprob).toBeLessThanOrEqual(0);
        expect(entry.topLogprobs).toHaveLength(3);
      }
    }
  });

  it('sends response_format and parses the JSON the model returns', async () => {
    const schema = {
      type: 'object',
      properties: {
        city: { type: 'string' },
        population: { type: 'integer' },
        coastal: { type: 'boolean' },
      },
      required: ['city', 'population', 'coastal'],
    };
    const responseFormat = { type: 'JSON_SCHEMA', schema, name: 'harbor_city', strict: true };
    const { data } = await stack.gql(CHAT, {
      model: MODEL,
      messages,
      maxTokens: 200,
      responseFormat,
    });
    expect(lastBody('/v1/chat/completions')).toMatchObject({
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'harbor_city', schema, strict: true },
      },
    });
    const json = data!.chat.json as Record<string, unknown>;
    expect(json).toEqual(JSON.parse(data!.chat.reply.content));
    expect(Object.keys(json).sort()).toEqual(['city', 'coastal', 'population']);
    expect(typeof json.city).toBe('string');
    expect(Number.isInteger(json.population)).toBe(true);

    const object = await stack.gql(COMPLETE, {
      model: MODEL,
      prompt: 'Once',
      maxTokens: 200,
      responseFormat: { type: 'JSON_OBJECT' },
    });
    expect(lastBody('/v1/completions')).toMatchObject({ response_format: { type: 'json_object' } });
    expect(object.data!.complete.json).toEqual(JSON.parse(object.data!.complete.text));
  });

  it('leaves json null for free text, and when a JSON answer is cut by maxTokens', async () => {
    const text = await stack.gql(COMPLETE, { model: MODEL, prompt: 'Once', maxTokens: 8 });
    expect(text.data!.complete.json).toBeNull();
    const cut = await stack.gql(COMPLETE, {
      model: MODEL,
      prompt: 'Once',
      maxTokens: 3,
      responseFormat: { type: 'JSON_OBJECT' },
    });
    expect(cut.data!.complete.choices[0].finishReason).toBe('LENGTH');
    expect(cut.data!.complete.json).toBeNull();
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['temperature above 2', { temperature: 2.5 }, 'options.temperature'],
    ['negative temperature', { temperature: -0.1 }, 'options.temperature'],
    ['topP of 0', { topP: 0 }, 'options.topP'],
    ['topP above 1', { topP: 1.01 }, 'options.topP'],
    ['n of 0', { n: 0 }, 'options.n'],
    ['n above 128', { n: 129 }, 'options.n'],
    ['an empty stop string', { stop: ['ok', ''] }, 'options.stop'],
    [
      'too many stop strings',
      { stop: Array.from({ length: 17 }, (_, i) => `s${i}`) },
      'options.stop',
    ],
    ['frequencyPenalty above 2', { frequencyPenalty: 2.1 }, 'options.frequencyPenalty'],
    ['presencePenalty below -2', { presencePenalty: -2.1 }, 'options.presencePenalty'],
    ['logprobs above 20', { logprobs: 21 }, 'options.logprobs'],
    ['negative logprobs', { logprobs: -1 }, 'options.logprobs'],
    ['topK of 0', { topK: 0 }, 'options.topK'],
    ['topK below -1', { topK: -2 }, 'options.topK'],
    ['repetitionPenalty of 0', { repetitionPenalty: 0 }, 'options.repetitionPenalty'],
    ['repetitionPenalty above 2', { repetitionPenalty: 2.5 }, 'options.repetitionPenalty'],
    ['negative minTokens', { minTokens: -1 }, 'options.minTokens'],
    ['minTokens above maxTokens', { minTokens: 9 }, 'options.minTokens'],
    ['minP above 1', { minP: 1.5 }, 'options.minP'],
    ['a long user id', { user: 'u'.repeat(257) }, 'options.user'],
  ];

  for (const [name, options, argument] of invalid) {
    it(`refuses ${name} before any upstream call`, async () => {
      const { data } = await stack.gql(COMPLETE, {
        model: MODEL,
        prompt: 'Once',
        maxTokens: 8,
        options,
      });
      expect(data!.complete).toMatchObject({
        __typename: 'InvalidInputError',
        code: 'BAD_USER_INPUT',
        argument,
      });
      expect(data!.complete.message).toContain(argument);
      expect(stack.sim.countRequests('/v1/completions')).toBe(0);
    });
  }

  it('refuses echo for chat and malformed response formats', async () => {
    const echo = await stack.gql(CHAT, { model: MODEL, messages, options: { echo: true } });
    expect(echo.data!.chat).toMatchObject({
      __typename: 'InvalidInputError',
      argument: 'options.echo',
    });
    const noSchema = await stack.gql(CHAT, {
      model: MODEL,
      messages,
      responseFormat: { type: 'JSON_SCHEMA' },
    });
    expect(noSchema.data!.chat).toMatchObject({
      __typename: 'InvalidInputError',
      argument: 'responseFormat.schema',
    });
    const schemaOnText = await stack.gql(CHAT, {
      model: MODEL,
      messages,
      responseFormat: { type: 'TEXT', schema: {} },
    });
    expect(schemaOnText.data!.chat).toMatchObject({
      __typename: 'InvalidInputError',
      argument: 'responseFormat.schema',
    });
    const badName = await stack.gql(CHAT, {
      model: MODEL,
      messages,
      responseFormat: { type: 'JSON_SCHEMA', schema: {}, name: 'has space' },
    });
    expect(badName.data!.chat).toMatchObject({
      __typename: 'InvalidInputError',
      argument: 'responseFormat.name',
    });
    expect(stack.sim.countRequests('/v1/chat/completions')).toBe(0);
  });
});
