// What the gateway reads of upstream bodies that leave fields out or null, as servers behind NIM do:
// each missing field gets the value the rest of the gateway counts on.
import { describe, expect, it } from 'vitest';
import {
  chatChunk,
  chatCompletionResponse,
  completionChunk,
  completionResponse,
  embeddingResponse,
  readInBandError,
} from '../../src/nim/wire.ts';

describe('unary bodies with fields left out', () => {
  it('a completion without id or usage', () => {
    expect(
      completionResponse.parse({
        id: null,
        model: 'm',
        choices: [{ index: 0, text: 'x', finish_reason: 'stop' }],
      }),
    ).toMatchObject({ id: '', created: null, usage: null });
  });

  it('a chat message without role, and tool calls without id or arguments', () => {
    const parsed = chatCompletionResponse.parse({
      id: undefined,
      model: 'm',
      choices: [
        {
          index: 0,
          message: {
            role: null,
            content: null,
            tool_calls: [{ id: null, function: { name: 'f', arguments: null } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
    });
    expect(parsed.id).toBe('');
    expect(parsed.choices[0]!.message).toMatchObject({
      role: 'assistant',
      // No arguments at all do not parse: an incomplete call, as if cut.
      tool_calls: [{ id: '', name: 'f', argumentsText: '', arguments: null, complete: false }],
    });
  });

  it('an embedding answer without usage', () => {
    expect(
      embeddingResponse.parse({ data: [{ index: 0, embedding: [0.5] }], model: 'e' }),
    ).toMatchObject({ usage: null });
  });
});

describe('stream chunks with fields left out', () => {
  it('a completion chunk without choices (the usage chunk) or text', () => {
    expect(completionChunk.parse({ id: 'c' })).toMatchObject({ choices: [], usage: null });
    expect(completionChunk.parse({ choices: [{ index: 0, text: null }] }).choices).toEqual([
      { index: 0, text: '', finish_reason: null, logprobs: null },
    ]);
  });

  it('a tool call fragment without its function', () => {
    const parsed = chatChunk.parse({
      choices: [{ index: 0, delta: { tool_calls: [{ index: 1, id: null }] } }],
    });
    expect(parsed.choices[0]!.delta.tool_calls).toEqual([
      { index: 1, id: null, function: { name: null, arguments: null } },
    ]);
  });
});

describe('readInBandError', () => {
  it('is null for anything that is no object: a string, a number, null, an array', () => {
    for (const json of ['error', 500, null, [{ error: { message: 'x' } }]])
      expect(readInBandError(json)).toBeNull();
  });

  it('reads the code of an error flagged in no known shape, at the top when the error is no object', () => {
    expect(readInBandError({ error: 42, code: 503 })).toEqual({
      message: 'an error event in an unknown shape',
      type: null,
      param: null,
      code: 503,
      contextLength: null,
    });
    expect(readInBandError({ error: { code: 429, detail: [] } })).toMatchObject({ code: 429 });
  });
});
