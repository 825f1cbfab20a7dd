// Inline reasoning (`<think>…</think>`) split from the answer, however the stream cuts the text.
import { describe, expect, it } from 'vitest';
import { splitReasoning, ThinkSplitter } from '../../src/nim/reasoning.ts';

const TEXT = '\n<think>The user asks; I weigh it.</think>\n\nParis is the answer. <think> stays.';

/** Feeds the pieces in order, then ends; returns what each side got in all. */
function run(pieces: string[]) {
  const splitter = new ThinkSplitter();
  let content = '';
  let reasoning = '';
  for (const piece of [...pieces.map((p) => splitter.feed(p)), splitter.end()]) {
    content += piece.content;
    reasoning += piece.reasoning;
  }
  return { content, reasoning };
}

describe('ThinkSplitter', () => {
  it('splits a whole text', () => {
    expect(run([TEXT])).toEqual({
      reasoning: 'The user asks; I weigh it.',
      content: 'Paris is the answer. <think> stays.',
    });
  });

  it('gives the same split wherever the text is cut in two or three', () => {
    for (let a = 0; a <= TEXT.length; a++) {
      expect(run([TEXT.slice(0, a), TEXT.slice(a)]), `cut at ${a}`).toEqual(run([TEXT]));
      const b = Math.min(TEXT.length, a + 3);
      expect(run([TEXT.slice(0, a), TEXT.slice(a, b), TEXT.slice(b)])).toEqual(run([TEXT]));
    }
  });

  it('never shows part of a tag on either side while streaming', () => {
    const splitter = new ThinkSplitter();
    for (const ch of TEXT.slice(0, TEXT.indexOf('Paris'))) {
      const out = splitter.feed(ch);
      expect(out.content).toBe('');
      expect(out.reasoning).not.toMatch(/[<>]/);
    }
  });

  it('holds back only what could begin the closing tag, and no more', () => {
    const splitter = new ThinkSplitter();
    expect(splitter.feed('<think>abc</th')).toEqual({ content: '', reasoning: 'abc' });
    expect(splitter.feed('x and')).toEqual({ content: '', reasoning: '</thx and' });
    expect(splitter.feed(' <')).toEqual({ content: '', reasoning: ' ' });
    expect(splitter.feed('/think>Done')).toEqual({ content: 'Done', reasoning: '' });
    expect(splitter.end()).toEqual({ content: '', reasoning: '' });
  });

  it('gives back what it held when the stream ends: the answer a tag start that was none', () => {
    const splitter = new ThinkSplitter();
    expect(splitter.feed('  <thi')).toEqual({ content: '', reasoning: '' });
    expect(splitter.end()).toEqual({ content: '  <thi', reasoning: '' });
  });

  it('leaves a content that does not open with <think> alone, tags and all', () => {
    expect(run(['An <think>x</think> answer'])).toEqual({
      content: 'An <think>x</think> answer',
      reasoning: '',
    });
    expect(run(['<', 'b>bold</b>'])).toEqual({ content: '<b>bold</b>', reasoning: '' });
    // Once the answer began, a later chunk that opens with <think> is answer too.
    expect(run(['An ', '<think>x</think> answer'])).toEqual({
      content: 'An <think>x</think> answer',
      reasoning: '',
    });
  });

  it('keeps a thought cut short (no </think>) as reasoning, a held "</thi" included', () => {
    expect(run(['<think>still thinking </thi'])).toEqual({
      content: '',
      reasoning: 'still thinking </thi',
    });
  });
});

describe('splitReasoning', () => {
  it('takes the upstream field when there is one, and splits the inline form otherwise', () => {
    expect(splitReasoning('<think>a</think>b', 'given')).toEqual({
      content: '<think>a</think>b',
      reasoning: 'given',
    });
    expect(splitReasoning('<think>a</think>b', null)).toEqual({ content: 'b', reasoning: 'a' });
    expect(splitReasoning('<think></think>b', null)).toEqual({ content: 'b', reasoning: '' });
    expect(splitReasoning('plain', null)).toEqual({ content: 'plain', reasoning: null });
    expect(splitReasoning(null, null)).toEqual({ content: null, reasoning: null });
  });
});
