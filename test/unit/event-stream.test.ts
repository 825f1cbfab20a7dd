// upstreamEvents (src/nim/event-stream.ts) over a fake NimTransport: chunks batched per read until
// [DONE], bad events and ends without [DONE], what is recorded as a stream failure, the caller's
// abort, failing over before a stream opened, and the first-token and idle clocks (StreamClock).
import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { NimError } from '../../src/nim/errors.ts';
import { upstreamEvents, type StreamAttempt } from '../../src/nim/event-stream.ts';
import type { Call, NimTransport, OpeningClock } from '../../src/nim/transport.ts';

const chunk = z.object({ text: z.string() });
type Chunk = z.output<typeof chunk>;
/** A chunk with empty text is a role preamble: no content. */
const hasContent = (c: Chunk) => c.text !== '';

/** One upstream read (the data of one or more events), or that many ms of upstream silence. */
type Step = string | number;
const event = (text: string) => `data: ${JSON.stringify({ text })}\n\n`;
const DONE = 'data: [DONE]\n\n';

interface Timeouts {
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
}

interface Upstream {
  transport: NimTransport;
  /** The signal each openStream was given. */
  opened: AbortSignal[];
  recorded: unknown[];
  settled: boolean[];
}

/** A body read by read as `steps` say, ending (or failing) as the real one does once aborted. */
async function* body(steps: Step[], signal: AbortSignal): AsyncGenerator<Buffer> {
  for (const step of steps) {
    signal.throwIfAborted();
    if (typeof step === 'number') await sleep(step, undefined, { signal });
    else yield Buffer.from(step);
  }
}

/** A transport that opens a stream replying `reply`, or fails to open with what `reply` gives. */
function upstream(timeouts: Timeouts, reply: Step[] | (() => Error)): Upstream {
  const opened: AbortSignal[] = [];
  const recorded: unknown[] = [];
  const settled: boolean[] = [];
  const transport = {
    options: { ...timeouts, maxResponseBytes: 1024 * 1024 },
    redact: (text: string) => text,
    recordStreamFailure: (failure: unknown) => void recorded.push(failure),
    // As NimTransport's: the first-token clock armed for the attempt, stopped when it fails.
    openStream: async (_call: Call, signal: AbortSignal, clock: OpeningClock) => {
      opened.push(signal);
      clock.startFirstToken();
      await Promise.resolve();
      if (typeof reply === 'function') {
        clock.stop();
        throw reply();
      }
      return { body: body(reply, signal), settle: (complete: boolean) => settled.push(complete) };
    },
  };
  return { transport: transport as unknown as NimTransport, opened, recorded, settled };
}

const fast: Timeouts = { firstTokenTimeoutMs: 1000, idleTimeoutMs: 1000 };
const call = (signal?: AbortSignal): Call => ({
  method: 'POST',
  path: '/v1/chat/completions',
  model: 'm',
  signal,
});
const attempt = (u: Upstream, signal?: AbortSignal): StreamAttempt => ({
  transport: u.transport,
  call: call(signal),
});

/** Every batch the stream gives, the consumer holding `holdMs` after each, and how it ended. */
async function read(
  stream: AsyncGenerator<Chunk[]>,
  holdMs = 0,
  onBatch?: (batch: Chunk[]) => void,
): Promise<{ batches: string[][]; error: unknown }> {
  const batches: string[][] = [];
  try {
    for await (const batch of stream) {
      batches.push(batch.map((c) => c.text));
      onBatch?.(batch);
      if (holdMs > 0) await sleep(holdMs);
    }
    return { batches, error: undefined };
  } catch (error) {
    return { batches, error };
  }
}

const stream = (u: Upstream, signal?: AbortSignal) =>
  upstreamEvents([attempt(u, signal)], chunk, hasContent);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('upstreamEvents: chunks per read', () => {
  it("gives each read's chunks together, joins an event split across reads, and ends at [DONE]", async () => {
    const u = upstream(fast, [
      event('a'),
      event('b') + event('c'),
      'data: {"te',
      'xt":"d"}\n\n',
      DONE,
    ]);
    // Neither the read that completes no event nor the one of [DONE] alone gives an empty batch.
    expect(await read(stream(u))).toEqual({
      batches: [['a'], ['b', 'c'], ['d']],
      error: undefined,
    });
    expect(u.settled).toEqual([true]);
    expect(u.recorded).toEqual([]);
  });

  it('throws a bad event first in a read without an empty batch, and records it once', async () => {
    const u = upstream(fast, [event('a'), 'data: not json\n\n' + event('b')]);
    const { batches, error } = await read(stream(u));
    expect(batches).toEqual([['a']]);
    expect(error).toBeInstanceOf(NimError);
    expect((error as NimError).message).toBe('upstream stream sent an event that is not JSON');
    expect(u.recorded).toEqual([error]);
    expect(u.settled).toEqual([false]);
  });

  it('gives the good chunks before a bad event of the same read, then throws it', async () => {
    const u = upstream(fast, [event('a') + event('b') + 'data: {"text":1}\n\n' + event('c')]);
    const { batches, error } = await read(stream(u));
    expect(batches).toEqual([['a', 'b']]);
    expect((error as NimError).message).toBe('upstream stream sent a malformed chunk');
    expect(u.recorded).toEqual([error]);
  });

  it('throws a stream closed before [DONE] as broken, records it, and leaves no timer behind', async () => {
    const u = upstream({ firstTokenTimeoutMs: 50, idleTimeoutMs: 50 }, [event('a')]);
    const { batches, error } = await read(stream(u));
    expect(batches).toEqual([['a']]);
    expect((error as NimError).message).toMatch(/closed before \[DONE\]/);
    expect(u.recorded).toEqual([error]);
    expect(u.settled).toEqual([false]);
    // The idle clock was running when the body ended: stopped, it never aborts the call later.
    await sleep(300);
    expect(u.opened[0]!.aborted).toBe(false);
  });

  it('throws a failure to open as it is, not recorded as a stream failure', async () => {
    const refused = new NimError({ kind: 'unavailable', model: 'm', message: 'refused' });
    const u = upstream(fast, () => refused);
    expect(await read(stream(u))).toEqual({ batches: [], error: refused });
    expect(u.recorded).toEqual([]);
    expect(u.settled).toEqual([]);
  });
});

describe("upstreamEvents: the caller's signal", () => {
  it('gives a caller that aborts mid-stream its own reason, and records nothing', async () => {
    const caller = new AbortController();
    const reason = new Error('the client left');
    const u = upstream(fast, [event('a'), 5000, DONE]);
    const { batches, error } = await read(stream(u, caller.signal), 0, () => caller.abort(reason));
    expect(batches).toEqual([['a']]);
    expect(error).toBe(reason);
    expect(u.opened[0]!.reason).toBe(reason);
    expect(u.recorded).toEqual([]);
    expect(u.settled).toEqual([false]);
  });

  it('gives a caller that aborted before it began its reason, and opens nothing', async () => {
    const caller = new AbortController();
    const reason = new Error('gone already');
    caller.abort(reason);
    const u = upstream(fast, [event('a'), DONE]);
    expect(await read(stream(u, caller.signal))).toEqual({ batches: [], error: reason });
    expect(u.opened).toEqual([]);
  });

  it("takes its listener off the caller's signal when the stream ends", async () => {
    const caller = new AbortController();
    const u = upstream(fast, [event('a'), DONE]);
    expect(await read(stream(u, caller.signal))).toEqual({ batches: [['a']], error: undefined });
    expect(getEventListeners(caller.signal, 'abort')).toEqual([]);
    caller.abort();
    expect(u.opened[0]!.aborted).toBe(false);
  });
});

describe('upstreamEvents: failing over before a stream opened', () => {
  const failing = (message: string) => {
    const error = new NimError({ kind: 'unavailable', model: 'm', message });
    return { error, upstream: upstream(fast, () => error) };
  };

  it('tries the attempts in order while failOver allows it, telling it the error and both attempts', async () => {
    const one = failing('one down');
    const two = failing('two down');
    const three = upstream(fast, [event('a'), DONE]);
    const attempts = [attempt(one.upstream), attempt(two.upstream), attempt(three)] as const;
    const failOver = vi.fn(() => true);
    const { batches, error } = await read(upstreamEvents(attempts, chunk, hasContent, failOver));
    expect({ batches, error }).toEqual({ batches: [['a']], error: undefined });
    expect(failOver.mock.calls).toEqual([
      [one.error, attempts[0], attempts[1]],
      [two.error, attempts[1], attempts[2]],
    ]);
    expect([one, two].map((f) => f.upstream.opened.length)).toEqual([1, 1]);
    expect(three.opened.length).toBe(1);
    expect(three.settled).toEqual([true]);
  });

  it('throws the last failure when no attempt is left', async () => {
    const one = failing('one down');
    const two = failing('two down');
    const attempts = [attempt(one.upstream), attempt(two.upstream)] as const;
    const { error } = await read(upstreamEvents(attempts, chunk, hasContent, () => true));
    expect(error).toBe(two.error);
    expect([one, two].map((f) => f.upstream.opened.length)).toEqual([1, 1]);
    expect([one, two].map((f) => f.upstream.recorded)).toEqual([[], []]);
  });

  it('does not fail over without a failOver, nor when it refuses', async () => {
    for (const failOver of [undefined, () => false]) {
      const one = failing('one down');
      const two = upstream(fast, [event('a'), DONE]);
      const attempts = [attempt(one.upstream), attempt(two)] as const;
      const { error } = await read(upstreamEvents(attempts, chunk, hasContent, failOver));
      expect(error).toBe(one.error);
      expect(two.opened).toEqual([]);
    }
  });

  it('does not fail over once the caller aborted', async () => {
    const caller = new AbortController();
    const reason = new Error('the client left');
    const one = upstream(fast, () => (caller.abort(reason), new Error('cut')));
    const two = upstream(fast, [event('a'), DONE]);
    const attempts = [attempt(one, caller.signal), attempt(two, caller.signal)] as const;
    const { error } = await read(upstreamEvents(attempts, chunk, hasContent, () => true));
    expect(error).toBe(reason);
    expect(two.opened).toEqual([]);
  });

  it('applies the timeouts of the upstream failed over to', async () => {
    const one = failing('one down');
    const two = upstream({ firstTokenTimeoutMs: 50, idleTimeoutMs: 50 }, [300, event('a'), DONE]);
    const attempts = [attempt(one.upstream), attempt(two)] as const;
    const { batches, error } = await read(upstreamEvents(attempts, chunk, hasContent, () => true));
    expect(batches).toEqual([]);
    expect(error).toMatchObject({ kind: 'timeout', phase: 'first_token' });
    expect((error as NimError).message).toBe('upstream sent no first token for 50 ms');
    expect(two.recorded).toEqual([error]);
    expect(one.upstream.recorded).toEqual([]);
  });

  it("still stops on the caller's abort, and leaves its signal, when the attempt failed over to has no signal", async () => {
    const caller = new AbortController();
    const one = failing('one down');
    const two = upstream({ firstTokenTimeoutMs: 5000, idleTimeoutMs: 5000 }, [
      event('a'),
      500,
      DONE,
    ]);
    const attempts = [attempt(one.upstream, caller.signal), attempt(two)] as const;
    const { batches, error } = await read(
      upstreamEvents(attempts, chunk, hasContent, () => true),
      0,
      () => caller.abort(new Error('the client left')),
    );
    expect(batches).toEqual([['a']]);
    expect(error).toBeDefined();
    expect(two.opened[0]!.aborted).toBe(true);
    expect(getEventListeners(caller.signal, 'abort')).toEqual([]);
  });
});

describe('upstreamEvents: the first-token and idle clocks', () => {
  const short: Timeouts = { firstTokenTimeoutMs: 50, idleTimeoutMs: 50 };

  it('times out an upstream that sends no first token, a role preamble being none', async () => {
    const u = upstream(short, [event(''), 300, event('a'), DONE]);
    const { batches, error } = await read(stream(u));
    expect(batches).toEqual([['']]);
    expect(error).toMatchObject({ kind: 'timeout', phase: 'first_token' });
    expect((error as NimError).message).toBe('upstream sent no first token for 50 ms');
    expect(u.recorded).toEqual([error]);
    expect(u.settled).toEqual([false]);
  });

  it("counts the consumer's time on a preamble against the first-token timeout", async () => {
    const u = upstream(short, [event(''), event('a'), DONE]);
    const { batches, error } = await read(stream(u), 300);
    expect(batches).toEqual([['']]);
    expect(error).toMatchObject({ kind: 'timeout', phase: 'first_token' });
  });

  it("once content came, counts only upstream silence: not the consumer's time between pulls", async () => {
    // The first read has content (the first-token clock is due during the hold), the second not
    // (the idle clock is due during the hold): neither counts.
    const u = upstream(short, [event('a'), event('b'), DONE]);
    expect(await read(stream(u), 300)).toEqual({ batches: [['a'], ['b']], error: undefined });
    expect(u.opened[0]!.aborted).toBe(false);
    expect(u.settled).toEqual([true]);
  });

  it('times out an upstream silent between reads with the idle timeout, though the first-token one is longer', async () => {
    const u = upstream({ firstTokenTimeoutMs: 1000, idleTimeoutMs: 50 }, [
      event('a'),
      300,
      event('b'),
      DONE,
    ]);
    const { batches, error } = await read(stream(u));
    expect(batches).toEqual([['a']]);
    expect(error).toMatchObject({ kind: 'timeout', phase: 'idle' });
    expect((error as NimError).message).toBe('upstream sent nothing more for 50 ms');
    expect(u.recorded).toEqual([error]);
  });

  it('lets an upstream be silent between reads for less than the idle timeout, though the first-token one is shorter', async () => {
    const u = upstream({ firstTokenTimeoutMs: 50, idleTimeoutMs: 1000 }, [
      event('a'),
      300,
      event('b'),
      DONE,
    ]);
    expect(await read(stream(u))).toEqual({ batches: [['a'], ['b']], error: undefined });
  });

  it('does not count a read that completes no event as upstream activity', async () => {
    // One event dribbled in ten pieces, 30 ms apart: the idle clock runs on from the last event.
    const text = event('b');
    const pieces = Array.from({ length: 10 }, (_, i) =>
      text.slice(i * 2, i === 9 ? undefined : i * 2 + 2),
    );
    const dribble = pieces.flatMap((piece) => [30, piece]);
    const u = upstream({ firstTokenTimeoutMs: 1000, idleTimeoutMs: 100 }, [
      event('a'),
      ...dribble,
      DONE,
    ]);
    const { batches, error } = await read(stream(u));
    expect(batches).toEqual([['a']]);
    expect(error).toMatchObject({ kind: 'timeout', phase: 'idle' });
  });

  it('refreshes one timer between reads when both timeouts are the same', async () => {
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    const u = upstream({ firstTokenTimeoutMs: 4321, idleTimeoutMs: 4321 }, [
      event('a'),
      event('b'),
      event('c'),
      event('d'),
      DONE,
    ]);
    expect(await read(stream(u))).toEqual({
      batches: [['a'], ['b'], ['c'], ['d']],
      error: undefined,
    });
    expect(setTimer.mock.calls.filter(([, ms]) => ms === 4321)).toHaveLength(1);
  });
});
