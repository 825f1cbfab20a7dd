// An upstream body's reads for a stream's loop (BodyReads, src/nim/body.ts): what Node's own
// iterator with `destroyOnReturn: false` gives, the reads in order, the end, the body's error or a
// premature close thrown, and the body left open, with none of the reader's listeners, when the
// loop is left early.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyReads, type UpstreamBody } from '../../src/nim/body.ts';

const body = () => new Readable({ read() {} }) as unknown as UpstreamBody & Readable;
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function collect(reads: AsyncIterable<Buffer>): Promise<string[]> {
  const seen: string[] = [];
  for await (const bytes of reads) seen.push(bytes.toString());
  return seen;
}

describe('BodyReads', () => {
  it('gives what each read brought, in order, then ends with the body', async () => {
    const source = body();
    source.push('before the loop ');
    const reads = new BodyReads(source);
    const seen = collect(reads);
    await tick();
    source.push('a');
    await tick();
    // One listener for each change however many reads were asked for.
    expect(['readable', 'end', 'close'].map((e) => source.listenerCount(e))).toEqual([1, 1, 1]);
    source.push('b');
    source.push('c');
    await tick();
    source.push(null);
    expect(await seen).toEqual(['before the loop ', 'a', 'bc']);
    // Ended, it listens to nothing, and asking again does not listen anew.
    expect(await reads.next()).toEqual({ value: undefined, done: true });
    expect(['readable', 'end', 'close'].map((e) => source.listenerCount(e))).toEqual([0, 0, 0]);
  });

  it('throws the error the body failed with, also while a read is awaited', async () => {
    const source = body();
    const seen = collect(new BodyReads(source));
    source.push('part');
    await tick();
    source.destroy(new Error('socket hang up'));
    await expect(seen).rejects.toThrow('socket hang up');
    // None of the reader's listeners is left (its own error listener, guard's, is).
    expect(['readable', 'end', 'close'].map((e) => source.listenerCount(e))).toEqual([0, 0, 0]);
    expect(source.listenerCount('error')).toBe(1);
  });

  it('throws a premature close for a body closed before its end without an error', async () => {
    const source = body();
    const seen = collect(new BodyReads(source));
    await tick();
    source.destroy();
    await expect(seen).rejects.toMatchObject({
      message: 'Premature close',
      code: 'ERR_STREAM_PREMATURE_CLOSE',
    });
  });

  it('leaves the body open and unlistened to when the loop is left early', async () => {
    const source = body();
    const before = ['readable', 'end', 'error', 'close'].map((e) => source.listenerCount(e));
    source.push('first');
    for await (const bytes of new BodyReads(source)) {
      expect(bytes.toString()).toBe('first');
      break;
    }
    expect(source.destroyed).toBe(false);
    // Its own error listener (guard) stays; none of the reader's do.
    expect(['readable', 'end', 'error', 'close'].map((e) => source.listenerCount(e))).toEqual([
      before[0],
      before[1],
      before[2]! + 1,
      before[3],
    ]);
    source.push('rest');
    source.push(null);
    expect(await collect(source as AsyncIterable<Buffer>)).toEqual(['rest']);
  });

  it('ends for a body that ended before the loop began', async () => {
    const source = body();
    source.push('all');
    source.push(null);
    expect(await collect(new BodyReads(source))).toEqual(['all']);
    expect(await collect(new BodyReads(source))).toEqual([]);
  });

  it('ends a read still awaited when the loop is left, and every read after', async () => {
    const reads = new BodyReads(body());
    const pending = reads.next();
    await tick();
    await reads.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(await reads.next()).toEqual({ value: undefined, done: true });
  });

  it('listens only once asked: a reader never read leaves the body free to flow', async () => {
    const source = body();
    new BodyReads(source);
    expect(source.listenerCount('readable')).toBe(0);
    const data: string[] = [];
    source.on('data', (bytes: Buffer) => data.push(bytes.toString()));
    source.push('flows');
    await tick();
    expect(data).toEqual(['flows']);
  });
});
