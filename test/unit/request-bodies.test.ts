// The NIM request bodies the gateway sends, built from the parameter table: what is set goes out
// under its wire name for the endpoint and dialect, what is not set never goes out.
import { describe, expect, it } from 'vitest';
import { samplingBody } from '../../src/nim/parameters.ts';
import { chatBody, completionBody, streaming, type ResponseFormat } from '../../src/nim/params.ts';

const chat = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], maxTokens: 8 };
const completion = { model: 'm', prompt: 'Once', maxTokens: 8 };

describe('samplingBody', () => {
  it('leaves out what is unset or null', () => {
    expect(
      samplingBody({ temperature: null, topP: 0.5, topK: undefined }, 'completion', 'top-level'),
    ).toEqual({ top_p: 0.5 });
  });

  it('sends a parameter of one endpoint only there', () => {
    expect(samplingBody({ echo: true }, 'completion', 'top-level')).toEqual({ echo: true });
    expect(samplingBody({ echo: true }, 'chat', 'top-level')).toEqual({});
  });

  it('puts NVIDIA extensions at the top level, or under nvext in that dialect, and no empty nvext', () => {
    expect(samplingBody({ topK: 5, topP: 0.5 }, 'chat', 'top-level')).toEqual({
      top_k: 5,
      top_p: 0.5,
    });
    expect(samplingBody({ topK: 5, topP: 0.5 }, 'chat', 'nvext')).toEqual({
      top_p: 0.5,
      nvext: { top_k: 5 },
    });
    expect(samplingBody({ topP: 0.5 }, 'chat', 'nvext')).toEqual({ top_p: 0.5 });
  });

  it('spells logprobs per endpoint', () => {
    expect(samplingBody({ logprobs: 2 }, 'completion', 'top-level')).toEqual({ logprobs: 2 });
    expect(samplingBody({ logprobs: 2 }, 'chat', 'top-level')).toEqual({
      logprobs: true,
      top_logprobs: 2,
    });
  });
});

describe('guided decoding and response formats', () => {
  const guided: [ResponseFormat, string, unknown][] = [
    [{ type: 'choice', choice: ['yes', 'no'] }, 'choice', ['yes', 'no']],
    [{ type: 'regex', regex: '[0-9]+' }, 'regex', '[0-9]+'],
    [{ type: 'grammar', grammar: 'root ::= "a"' }, 'grammar', 'root ::= "a"'],
  ];
  for (const [format, key, value] of guided) {
    it(`${key}: structured_outputs at the top level, nvext.guided_${key} in the nvext dialect`, () => {
      expect(completionBody({ ...completion, responseFormat: format }, 'top-level')).toEqual({
        model: 'm',
        prompt: 'Once',
        max_tokens: 8,
        structured_outputs: { [key]: value },
      });
      // Beside the extensions already under nvext.
      expect(chatBody({ ...chat, params: { topK: 3 }, responseFormat: format }, 'nvext')).toEqual({
        model: 'm',
        messages: chat.messages,
        max_tokens: 8,
        nvext: { top_k: 3, [`guided_${key}`]: value },
      });
    });
  }

  it('JSON formats go as response_format, in either dialect', () => {
    const format = { type: 'json_object' } as const;
    for (const dialect of ['top-level', 'nvext'] as const)
      expect(chatBody({ ...chat, responseFormat: format }, dialect)).toEqual({
        model: 'm',
        messages: chat.messages,
        max_tokens: 8,
        response_format: format,
      });
  });
});

describe('each body with the parameters of its endpoint', () => {
  it('a completion sends echo and logprobs as completions take them', () => {
    expect(
      completionBody({ ...completion, params: { echo: true, logprobs: 1 } }, 'top-level'),
    ).toEqual({ model: 'm', prompt: 'Once', max_tokens: 8, echo: true, logprobs: 1 });
  });
  it('a chat sends logprobs as chat takes them, and no echo', () => {
    expect(chatBody({ ...chat, params: { echo: true, logprobs: 1 } }, 'top-level')).toEqual({
      model: 'm',
      messages: chat.messages,
      max_tokens: 8,
      logprobs: true,
      top_logprobs: 1,
    });
  });
});

describe('chatBody', () => {
  it('adds the tools and the thinking fields when there are any, nothing otherwise', () => {
    const tools = {
      tools: [{ type: 'function' as const, function: { name: 'f', parameters: {} } }],
      tool_choice: 'auto' as const,
    };
    expect(chatBody({ ...chat, tools, extra: { reasoning_effort: 'low' } }, 'top-level')).toEqual({
      model: 'm',
      messages: chat.messages,
      max_tokens: 8,
      ...tools,
      reasoning_effort: 'low',
    });
    expect(chatBody({ ...chat, tools: null }, 'top-level')).toEqual({
      model: 'm',
      messages: chat.messages,
      max_tokens: 8,
    });
  });
});

describe('streaming', () => {
  it('asks for usage in the stream only when told to, always with stream: true', () => {
    expect(streaming(completionBody(completion, 'top-level'), true)).toEqual({
      model: 'm',
      prompt: 'Once',
      max_tokens: 8,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(streaming(completionBody(completion, 'top-level'), false)).toEqual({
      model: 'm',
      prompt: 'Once',
      max_tokens: 8,
      stream: true,
    });
  });
});
