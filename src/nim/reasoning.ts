// Reasoning text, wherever the upstream puts it: `reasoning` (vLLM ≥ 0.11, NIM 2.x),
// `reasoning_content` (NIM 1.x, DeepSeek, Dynamo), or inline `<think>…</think>` at the start of the
// content (no reasoning parser configured). The answer's content never carries it.
const OPEN = '<think>';
const CLOSE = '</think>';

/** A whole message's content and reasoning, the inline form split out. */
export function splitReasoning(
  content: string | null,
  reasoning: string | null,
): { content: string | null; reasoning: string | null } {
  if (reasoning !== null || content === null) return { content, reasoning };
  const splitter = new ThinkSplitter();
  const head = splitter.feed(content);
  const tail = splitter.end();
  // Without a thought there is no reasoning, and the content is as it came.
  if (!splitter.thought) return { content, reasoning };
  return { content: head.content + tail.content, reasoning: head.reasoning + tail.reasoning };
}

/**
 * Splits a streamed content into reasoning and answer: text inside a `<think>` that opens the
 * content (after whitespace) is reasoning. A tag split across chunks is held back until it is
 * whole, so neither side ever shows part of one.
 */
export class ThinkSplitter {
  /** after-think: the thought ended; the whitespace before the answer is dropped. */
  #state: 'start' | 'thinking' | 'after-think' | 'answer' = 'start';
  #held = '';
  /** Whether the content opened with `<think>`. */
  thought = false;

  feed(text: string): { content: string; reasoning: string } {
    let rest = this.#held + text;
    this.#held = '';
    let reasoning = '';
    if (this.#state === 'start') {
      const trimmed = rest.trimStart();
      if (trimmed.startsWith(OPEN)) {
        this.#state = 'thinking';
        this.thought = true;
        rest = trimmed.slice(OPEN.length);
      } else if (OPEN.startsWith(trimmed)) {
        // Whitespace or a part of the tag: wait for more.
        this.#held = rest;
        return { content: '', reasoning: '' };
      } else {
        // Stryker disable next-line StringLiteral: 'answer' is the state no branch tests for: any other name not tested for does the same
        this.#state = 'answer';
        return { content: rest, reasoning: '' };
      }
    }
    if (this.#state === 'thinking') {
      const close = rest.indexOf(CLOSE);
      if (close < 0) {
        const keep = partialSuffix(rest, CLOSE);
        this.#held = rest.slice(rest.length - keep);
        return { content: '', reasoning: rest.slice(0, rest.length - keep) };
      }
      reasoning = rest.slice(0, close);
      this.#state = 'after-think';
      rest = rest.slice(close + CLOSE.length);
    }
    if (this.#state === 'after-think') {
      // The answer usually starts on a new line after the tag, which may come in a later chunk.
      rest = rest.replace(/^\s+/, '');
      if (rest !== '') {
        // Stryker disable next-line StringLiteral: 'answer' is the state no branch tests for: any other name not tested for does the same
        this.#state = 'answer';
      }
    }
    return { content: rest, reasoning };
  }

  /** The stream ended: what was held back goes where it was heading. */
  end(): { content: string; reasoning: string } {
    const held = this.#held;
    // Stryker disable next-line StringLiteral: nothing is fed after the end
    this.#held = '';
    return this.#state === 'thinking'
      ? { content: '', reasoning: held }
      : { content: held, reasoning: '' };
  }
}

/** How many characters at the end of `text` could begin `tag`. */
function partialSuffix(text: string, tag: string): number {
  // Stryker disable next-line MethodExpression,ArithmeticOperator: a longer look-back finds nothing more (the text holds no whole tag)
  const longest = Math.min(tag.length - 1, text.length);
  for (let n = longest; n > 0; n--) if (tag.startsWith(text.slice(text.length - n))) return n;
  return 0;
}
