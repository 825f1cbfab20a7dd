// NimClient's streams as a module caller meets them: with no AbortSignal (its options are optional),
// to the end, and broken off by the upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { footprint, settle, settledLike } from '../support/leaks.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

describe('NimClient streams without an AbortSignal', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({}, { tokenDelayMs: 0 });
  });
  afterAll(() => stack.close());

  const parts = async <T>(stream: AsyncGenerator<T[]>) => {
    const seen: T[] = [];
    for await (const read of stream) seen.push(...read);
    return seen;
  };

  it('a completion: its deltas, then the assembled result', async () => {
    const seen = await parts(
      stack.gateway.services.nim.streamCompletion({
        model: MODEL,
        prompt: 'Once',
        maxTokens: 3,
        params: { ignoreEos: true },
      }),
    );
    expect(seen.map((p) => p.type)).toEqual(['delta', 'delta', 'delta', 'done']);
    const done = seen.at(-1)!;
    expect(done.type === 'done' && done.result.choices[0]!.finish_reason).toBe('length');
  });

  it('a chat: the same', async () => {
    const seen = await parts(
      stack.gateway.services.nim.streamChat({
        model: MODEL,
        messages: [{ role: 'user', content: 'Hi' }],
        maxTokens: 2,
        params: { ignoreEos: true },
      }),
    );
    expect(seen.at(-1)!.type).toBe('done');
    expect(seen.filter((p) => p.type === 'delta').length).toBeGreaterThanOrEqual(2);
  });

  it('broken off by the upstream: the typed error, and nothing left behind', async () => {
    const before = footprint();
    stack.sim.inject({ path: '/v1/completions', stream: 'no-done' });
    await expect(
      parts(
        stack.gateway.services.nim.streamCompletion({ model: MODEL, prompt: 'Once', maxTokens: 4 }),
      ),
    ).rejects.toMatchObject({
      kind: 'upstream',
      message: 'upstream stream closed before [DONE]: the answer may be truncated',
    });
    expect(await settle(stack, before)).toMatchObject(settledLike(before));
  });
});
