// A prompt over the context window, in the words of each server NIM runs (vLLM across versions,
// TensorRT-LLM, SGLang) and of llama.cpp: recognised, with the window size each states.
import { describe, expect, it } from 'vitest';
import { fromInBandError, fromResponse } from '../../src/nim/errors.ts';

const nested = (message: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ error: { message, type: 'BadRequestError', param: null, code: 400, ...extra } });
const flat = (message: string) =>
  JSON.stringify({ object: 'error', message, type: 'BadRequestError', param: null, code: 400 });

const cases: [server: string, body: string, maxContextLength: number | null][] = [
  [
    'vLLM, prompt + completion',
    flat(
      "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
    ),
    4096,
  ],
  [
    'vLLM, input alone',
    nested(
      "This model's maximum context length is 4096 tokens. However, your request has 5000 input tokens. Please reduce the length of the input messages.",
    ),
    4096,
  ],
  [
    'vLLM, max_tokens too large',
    nested(
      "'max_tokens' or 'max_completion_tokens' is too large: 8000. This model's maximum context length is 4096 tokens and your request has 2778 input tokens (8000 > 4096 - 2778).",
    ),
    4096,
  ],
  [
    'vLLM, output tokens and at least N input tokens',
    nested(
      "This model's maximum context length is 8192 tokens. However, you requested 1000 output tokens and your prompt contains at least 7500 input tokens, for a total of at least 8500 tokens. Please reduce the length of the input prompt or the number of requested output tokens.",
    ),
    8192,
  ],
  [
    'vLLM scheduler',
    nested('Input prompt (35247 tokens) is too long and exceeds limit of 32768'),
    32768,
  ],
  [
    'vLLM decoder prompt',
    nested(
      'The decoder prompt (length 5000) is longer than the maximum model length of 4096. Make sure that `max_model_len` is no smaller than the number of text tokens.',
    ),
    4096,
  ],
  [
    'TensorRT-LLM, max_seq_len',
    flat(
      'The sum of prompt length (5000.0) and query length (0) max_tokens (100) should not exceed max_seq_len (4096)',
    ),
    4096,
  ],
  [
    'TensorRT-LLM, max_num_tokens',
    flat(
      'The sum of prompt length (72417.0), query length (0) should not exceed max_num_tokens (69632)',
    ),
    69632,
  ],
  [
    'TensorRT-LLM runtime, maximum input length',
    flat(
      'Prompt length (5000) exceeds maximum input length (4096). Set log level to info and check TRTGptModel logs for how maximum input length is set',
    ),
    4096,
  ],
  [
    'TensorRT-LLM, the maximum input length of',
    nested('Requested input length 39818 exceeds the maximum input length of 32767'),
    32767,
  ],
  [
    'TensorRT-LLM, prompt length over max_seq_len',
    nested('The prompt length (5000) exceeds max_seq_len (4096)'),
    4096,
  ],
  [
    'SGLang, input longer than the context',
    flat("The input (41000 tokens) is longer than the model's context length (32768 tokens)."),
    32768,
  ],
  [
    'SGLang, requested token count',
    flat(
      "Requested token count exceeds the model's maximum context length of 32768 tokens. You requested a total of 33000 tokens: 32000 tokens from the input messages and 1000 tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.",
    ),
    32768,
  ],
  [
    'llama.cpp, n_ctx field',
    JSON.stringify({
      error: {
        code: 400,
        message: 'the request exceeds the available context size, try increasing it',
        type: 'exceed_context_size_error',
        n_prompt_tokens: 1200,
        n_ctx: 512,
      },
    }),
    512,
  ],
  [
    'llama.cpp, numbers in the message',
    JSON.stringify({
      error: {
        code: 400,
        message:
          'request (5274 tokens) exceeds the available context size (4096 tokens), try increasing it',
        type: 'exceed_context_size_error',
      },
    }),
    4096,
  ],
  [
    'llama.cpp, the type alone',
    JSON.stringify({
      error: { code: 400, message: 'too long', type: 'exceed_context_size_error' },
    }),
    null,
  ],
  [
    'llama.cpp, the type alone with the n_ctx field',
    JSON.stringify({
      error: { code: 400, message: 'too long', type: 'exceed_context_size_error', n_ctx: 2048 },
    }),
    2048,
  ],
  ['a wording that names no size', flat('Please reduce the length of the messages.'), null],
];

describe('context-length refusals', () => {
  it.each(cases)('%s → context_length with the window size', (_server, body, maxContextLength) => {
    expect(fromResponse(400, body, undefined, 'm')).toMatchObject({
      kind: 'context_length',
      maxContextLength,
    });
  });

  it('the n_ctx field wins over a number in the message', () => {
    const body = JSON.stringify({
      error: {
        code: 400,
        message: 'request (600 tokens) exceeds the available context size (500 tokens)',
        type: 'exceed_context_size_error',
        n_ctx: 512,
      },
    });
    expect(fromResponse(400, body, undefined, 'm').maxContextLength).toBe(512);
  });

  it('is recognised in-band as well (a stream error event with code 400)', () => {
    const detail = {
      message: "The input (41000 tokens) is longer than the model's context length (32768 tokens).",
      type: null,
      param: null,
      code: 400,
      contextLength: null,
    };
    expect(fromInBandError(detail, 'm')).toMatchObject({
      kind: 'context_length',
      maxContextLength: 32768,
    });
  });

  it.each([
    [400, nested('top_p must be in (0, 1]')],
    [400, nested('max_tokens must be at least 1, got 0.')],
    [400, nested('The model `x` does not exist.', { param: 'model' })],
    [500, nested("This model's maximum context length is 4096 tokens.")],
  ])('leaves other errors alone (%i %s)', (status, body) => {
    expect(fromResponse(status, body, undefined, 'm').kind).not.toBe('context_length');
  });
});
