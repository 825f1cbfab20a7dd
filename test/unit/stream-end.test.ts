// One wrapper per subscription stream for the plugins that account for its end (src/plugins/stream-end.ts).
import { describe, expect, it } from 'vitest';
import { whenStreamEnds } from '../../src/plugins/stream-end.ts';

type Source = AsyncIterable<number>;

/** Wraps `source` as a plugin would: the result after every listener has joined. */
function wrapped(source: Source, ...listeners: ((gone: boolean) => void | Promise<void>)[]) {
  let result: Source = source;
  let sets = 0;
  for (const listener of listeners)
    whenStreamEnds(result, (next) => ((result = next), sets++), listener);
  return { stream: result as AsyncIterableIterator<number>, sets };
}

async function* numbers(n: number, failAt?: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    if (i === failAt) throw new Error(`failed at ${i}`);
    yield i;
  }
}

/** A source of ones with no return() or throw(). */
const bare = (): Source => ({
  [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: false, value: 1 }) }),
});

/** A source of ones whose return() resolves to `value` and is seen through `closed()`. */
function closable(value?: string) {
  let closed = false;
  const source: Source = {
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.resolve({ done: false, value: 1 }),
      return: () => ((closed = true), Promise.resolve({ done: true, value })),
    }),
  };
  return { source, closed: () => closed };
}

describe('whenStreamEnds', () => {
  it('passes every event through and tells every listener once when the stream ends', async () => {
    const heard: string[] = [];
    const { stream, sets } = wrapped(
      numbers(3),
      (gone) => void heard.push(`a:${gone}`),
      (gone) => void heard.push(`b:${gone}`),
    );
    // The second listener joins the first one's wrapper.
    expect(sets).toBe(1);
    const seen: number[] = [];
    for await (const n of stream) {
      seen.push(n);
      expect(heard).toEqual([]);
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(heard).toEqual(['a:false', 'b:false']);
    await stream.next();
    expect(heard).toHaveLength(2);
  });

  it('answers the last step only after the listeners have settled', async () => {
    let settled = false;
    const { stream } = wrapped(numbers(1), async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      settled = true;
    });
    expect(await stream.next()).toEqual({ done: false, value: 0 });
    expect(settled).toBe(false);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(settled).toBe(true);
  });

  it('tells the listeners of a failing stream, then passes the error on', async () => {
    const heard: boolean[] = [];
    let settled = false;
    const { stream } = wrapped(numbers(3, 1), async (gone) => {
      heard.push(gone);
      await new Promise((resolve) => setTimeout(resolve, 10));
      settled = true;
    });
    expect(await stream.next()).toEqual({ done: false, value: 0 });
    await expect(stream.next()).rejects.toThrow('failed at 1');
    expect(settled).toBe(true);
    expect(heard).toEqual([false]);
  });

  it('a listener that fails fails the last step', async () => {
    const { stream } = wrapped(numbers(0), () => Promise.reject(new Error('store down')));
    await expect(stream.next()).rejects.toThrow('store down');
  });

  it('return() from the reader tells the listeners the client is gone, and closes the source', async () => {
    const heard: boolean[] = [];
    const { source, closed } = closable('closed');
    const { stream } = wrapped(source, (gone) => void heard.push(gone));
    await stream.next();
    expect(await stream.return!()).toEqual({ done: true, value: 'closed' });
    expect(closed()).toBe(true);
    expect(heard).toEqual([true]);
    // Once, however the stream goes on ending.
    await stream.return!();
    await stream.next();
    expect(heard).toEqual([true]);
  });

  it('return() of a source without one, and a listener failing then, end quietly', async () => {
    const heard: boolean[] = [];
    const { stream } = wrapped(
      bare(),
      (gone) => void heard.push(gone),
      () => Promise.reject(new Error('nobody to tell')),
    );
    expect(await stream.return!()).toEqual({ done: true, value: undefined });
    expect(heard).toEqual([true]);
    // An unhandled rejection would fail this test run.
    await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it('throw() from the reader tells the listeners the client is gone, and throws into the source', async () => {
    const heard: boolean[] = [];
    const { stream } = wrapped(numbers(3), (gone) => void heard.push(gone));
    await stream.next();
    await expect(stream.throw!(new Error('reader gave up'))).rejects.toThrow('reader gave up');
    expect(heard).toEqual([true]);
    expect(await stream.next()).toEqual({ done: true, value: undefined });

    const other = wrapped(bare(), (gone) => void heard.push(gone)).stream;
    await expect(other.throw!(new Error('no throw here'))).rejects.toThrow('no throw here');
    expect(heard).toEqual([true, true]);
  });

  it('closes the source before telling the listeners, and a listener that throws stops neither the others nor the close', async () => {
    const heard: string[] = [];
    const { source, closed } = closable();
    const { stream } = wrapped(
      source,
      () => {
        heard.push(`first, source closed: ${closed()}`);
        throw new Error('listener bug');
      },
      (gone) => void heard.push(`second: ${gone}`),
    );
    await stream.return!();
    expect(closed()).toBe(true);
    expect(heard).toEqual(['first, source closed: true', 'second: true']);
    // Told once: a later ending tells nobody again.
    await stream.return!();
    expect(heard).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it('a listener that throws fails the last step of a stream that ended by itself', async () => {
    const { stream } = wrapped(numbers(0), () => {
      throw new Error('listener bug');
    });
    await expect(stream.next()).rejects.toThrow('listener bug');
  });

  it('is its own async iterator', () => {
    const { stream } = wrapped(numbers(1), () => {});
    expect(stream[Symbol.asyncIterator]()).toBe(stream);
  });
});
