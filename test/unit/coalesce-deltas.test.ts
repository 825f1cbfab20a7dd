// The deltas of one upstream read, joined into fewer events (coalesceDeltas in src/nim/stream.ts).
import { describe, expect, it } from 'vitest';
import { coalesceDeltas, type ChoiceDelta, type StreamPart } from '../../src/nim/stream.ts';

const delta = (fields: Partial<ChoiceDelta>): StreamPart<string> => ({
  type: 'delta',
  delta: {
    index: 0,
    text: '',
    role: null,
    reasoning: null,
    finish_reason: null,
    logprobs: null,
    toolCalls: [],
    ...fields,
  },
});
const done: StreamPart<string> = { type: 'done', result: 'the end' };
const lp = (token: string) => ({ token, logprob: -1, top: [] });
const deltas = (parts: StreamPart<string>[]) =>
  parts.map((p) => (p.type === 'delta' ? p.delta : p.result));

describe('coalesceDeltas', () => {
  it('gives a read of one part back as it is', () => {
    const one = [delta({ text: 'a' })];
    expect(coalesceDeltas(one)).toBe(one);
    expect(coalesceDeltas([])).toEqual([]);
  });

  it("joins a choice's answer deltas: texts and logprobs in order, the first role, the last finish reason", () => {
    const joined = coalesceDeltas([
      delta({ text: 'Hi', role: 'assistant', logprobs: [lp('Hi')] }),
      delta({ text: ' the' }),
      delta({ text: 're', logprobs: [lp(' the'), lp('re')], role: 'user' }),
      delta({ text: '', finish_reason: 'stop' }),
    ]);
    expect(deltas(joined)).toEqual([
      {
        index: 0,
        text: 'Hi there',
        role: 'assistant',
        reasoning: null,
        finish_reason: 'stop',
        logprobs: [lp('Hi'), lp(' the'), lp('re')],
        toolCalls: [],
      },
    ]);
  });

  it('keeps logprobs null when no delta had them, and joins reasoning apart from the answer', () => {
    const joined = coalesceDeltas([
      delta({ reasoning: 'Thi', role: 'assistant' }),
      delta({ reasoning: 'nk' }),
      delta({ text: 'A' }),
      delta({ text: 'B' }),
      // Reasoning after the answer began starts an event of its own: the order is kept.
      delta({ reasoning: 'more' }),
      delta({ reasoning: '!' }),
    ]);
    expect(deltas(joined)).toMatchObject([
      { text: '', reasoning: 'Think', role: 'assistant', logprobs: null },
      { text: 'AB', reasoning: null, role: null, logprobs: null },
      { text: '', reasoning: 'more!' },
    ]);
  });

  it('joins each choice apart, the choices in the order they first came', () => {
    const joined = coalesceDeltas([
      delta({ index: 1, text: 'b1' }),
      delta({ index: 0, text: 'a1' }),
      delta({ index: 1, text: 'b2', finish_reason: 'length' }),
      delta({ index: 0, text: 'a2' }),
    ]);
    expect(deltas(joined)).toMatchObject([
      { index: 1, text: 'b1b2', finish_reason: 'length' },
      { index: 0, text: 'a1a2', finish_reason: null },
    ]);
  });

  it('joins the fragments of a tool call, and keeps calls and new fragments with an id apart', () => {
    const call = (index: number, argumentsText: string, id: string | null = null) => ({
      index,
      id,
      name: id === null ? null : 'search',
      argumentsText,
    });
    const joined = coalesceDeltas([
      delta({ toolCalls: [call(0, '{"q', 'call-a')] }),
      delta({ toolCalls: [call(0, '":"x')] }),
      delta({ toolCalls: [call(0, '"}'), call(1, '{', 'call-b')] }),
      delta({ toolCalls: [call(1, '}')] }),
      delta({ toolCalls: [call(1, '', 'call-c')] }),
      // An id without a name, or a name without an id, is a fragment of its own too.
      delta({ toolCalls: [{ index: 1, id: 'call-d', name: null, argumentsText: '[' }] }),
      delta({ toolCalls: [{ index: 1, id: null, name: 'other', argumentsText: ']' }] }),
    ]);
    expect(deltas(joined)).toEqual([
      expect.objectContaining({
        text: '',
        toolCalls: [
          call(0, '{"q":"x"}', 'call-a'),
          call(1, '{}', 'call-b'),
          call(1, '', 'call-c'),
          { index: 1, id: 'call-d', name: null, argumentsText: '[' },
          { index: 1, id: null, name: 'other', argumentsText: ']' },
        ],
      }),
    ]);
  });

  it('joins tool-call fragments apart from answer text, and a delta carrying both kinds with nothing', () => {
    const fragment = { index: 0, id: 'c', name: 'f', argumentsText: '{}' };
    const joined = coalesceDeltas([
      delta({ text: 'a' }),
      delta({ toolCalls: [fragment] }),
      delta({ text: '', finish_reason: 'tool_calls' }),
      delta({ text: 'b', reasoning: 'r' }),
      delta({ text: 'c', reasoning: 'r' }),
      delta({ text: 'd', toolCalls: [fragment] }),
    ]);
    expect(deltas(joined)).toMatchObject([
      { text: 'a', toolCalls: [] },
      { text: '', toolCalls: [fragment] },
      { text: '', finish_reason: 'tool_calls' },
      { text: 'b', reasoning: 'r' },
      { text: 'c', reasoning: 'r' },
      { text: 'd', toolCalls: [fragment] },
    ]);
  });

  it('takes an empty reasoning for none, keeps a finish reason that came before a logprobs-only delta, and never joins two mixed deltas', () => {
    const fragment = { index: 0, id: 'c', name: 'f', argumentsText: '{}' };
    const joined = coalesceDeltas([
      delta({ text: 'a', reasoning: '' }),
      delta({ text: 'b', reasoning: '' }),
      delta({ text: '', finish_reason: 'length' }),
      delta({ text: '', logprobs: [lp('late')] }),
      done,
      delta({ text: 'c', toolCalls: [fragment] }),
      delta({ text: 'd', toolCalls: [fragment] }),
    ]);
    expect(deltas(joined)).toMatchObject([
      { text: 'ab', finish_reason: 'length', logprobs: [lp('late')] },
      'the end',
      { text: 'c' },
      { text: 'd' },
    ]);
  });

  it('joins nothing across a Done', () => {
    const joined = coalesceDeltas([
      delta({ text: 'a' }),
      delta({ text: 'b' }),
      done,
      delta({ text: 'c' }),
      delta({ text: 'd' }),
    ]);
    expect(deltas(joined)).toMatchObject([{ text: 'ab' }, 'the end', { text: 'cd' }]);
  });

  it('leaves the deltas it joins as they were', () => {
    const parts = [
      delta({ text: 'a', logprobs: [lp('a')] }),
      delta({ text: 'b', logprobs: [lp('b')] }),
    ];
    const before = structuredClone(parts);
    coalesceDeltas(parts);
    expect(parts).toEqual(before);
  });
});
