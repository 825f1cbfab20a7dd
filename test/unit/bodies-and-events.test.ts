// Upstream bodies (src/nim/body.ts) and server-sent events off them (src/nim/sse.ts), on real undici
// bodies from a loopback server: the byte limits to the byte, what is kept of a cut body, that a
// body left is closed and its late errors never escape, and how events are batched per read.
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BodyTooLarge,
  discard,
  drain,
  readExcerpt,
  readText,
  type UpstreamBody,
} from '../../src/nim/body.ts';
import { EventReader, EventTooLarge } from '../../src/nim/sse.ts';

/** What the server writes for a path: pieces, each flushed apart, and whether it ends. */
const replies = new Map<string, { pieces: (string | Buffer)[]; end: boolean }>();
let server: Server;
let base: string;
const open = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const reply = replies.get(req.url ?? '')!;
    open.add(res);
    res.on('close', () => open.delete(res));
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (const piece of reply.pieces) {
      res.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    if (reply.end) res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of open) res.destroy();
  server.close();
});

let next = 0;
async function body(pieces: (string | Buffer)[], end = true): Promise<UpstreamBody> {
  const path = `/${next++}`;
  replies.set(path, { pieces, end });
  return (await request(`${base}${path}`)).body;
}

describe('readText', () => {
  it('reads a body of exactly the limit, in several pieces', async () => {
    expect(await readText(await body(['abc', 'de']), 5)).toBe('abcde');
  });

  it('refuses one byte more as BodyTooLarge, naming the limit, and closes the body', async () => {
    const b = await body(['abc', 'def'], false);
    const error = await readText(b, 5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTooLarge);
    expect((error as BodyTooLarge).message).toBe('exceeded 5 bytes');
    expect((error as BodyTooLarge).limit).toBe(5);
    expect(b.destroyed).toBe(true);
  });
});

describe('readExcerpt', () => {
  it('keeps exactly the first limit bytes of a longer body, and says it was cut', async () => {
    const b = await body(['0123', '4567', '89'], false);
    expect(await readExcerpt(b, 6)).toEqual({ text: '012345', truncated: true });
    expect(b.destroyed).toBe(true);
  });

  it('keeps a whole body within the limit, uncut, read to its end', async () => {
    const b = await body(['01', '23']);
    expect(await readExcerpt(b, 4)).toEqual({ text: '0123', truncated: false });
    expect(b.readableEnded).toBe(true);
  });
});

describe('discard and drain', () => {
  it('discard closes an unread body, and an error the body emits afterwards goes nowhere', async () => {
    const b = await body(['x'], false);
    discard(b);
    expect(b.destroyed).toBe(true);
    b.emit('error', new Error('late'));
    discard(b);
    expect(b.listenerCount('error')).toBe(1);
  });

  it('drain reads what is left and keeps the connection; past its limit the body is closed', async () => {
    const kept = await body(['ab', 'cd']);
    drain(kept, 1024, 1000);
    await expect.poll(() => kept.readableEnded).toBe(true);
    const long = await body(['ab', 'cd', 'ef', 'gh'], false);
    drain(long, 2, 1000);
    await expect.poll(() => long.destroyed).toBe(true);
    expect(long.readableEnded).toBe(false);
  });

  it('drain of a body read to its end, or closed, reads nothing and makes no timer', async () => {
    const timeout = vi.spyOn(AbortSignal, 'timeout');
    try {
      const ended = await body(['ab']);
      for await (const _ of ended as AsyncIterable<Buffer>);
      expect(ended.readableEnded).toBe(true);
      drain(ended, 1024, 1000);
      const closed = await body(['ab', 'cd'], false);
      closed.destroy();
      drain(closed, 1024, 1000);
      expect(timeout).not.toHaveBeenCalled();
      const open = await body(['ab']);
      drain(open, 1024, 1000);
      expect(timeout).toHaveBeenCalledTimes(1);
      await expect.poll(() => open.readableEnded).toBe(true);
    } finally {
      timeout.mockRestore();
    }
  });
});

async function batches(pieces: (string | Buffer)[], max = 1024): Promise<string[][]> {
  const out: string[][] = [];
  const reader = new EventReader(max);
  for await (const bytes of (await body(pieces)) as AsyncIterable<Buffer>) {
    const batch = reader.feed(bytes);
    if (batch.length > 0) out.push(batch);
  }
  return out;
}

describe('EventReader', () => {
  it('gives the events each read completed, and nothing for a read that completed none', async () => {
    expect(await batches(['data: a\n\ndata: b\n\n', 'data: c', '\n\n', ': comment\n\n'])).toEqual([
      ['a', 'b'],
      ['c'],
    ]);
  });

  it('decodes a character whose UTF-8 bytes are split across two reads', async () => {
    const bytes = Buffer.from('data: é€\n\n');
    expect(await batches([bytes.subarray(0, 7), bytes.subarray(7)])).toEqual([['é€']]);
  });

  it('refuses an event over the limit as EventTooLarge, naming the limit', async () => {
    const error = await batches([`data: ${'x'.repeat(64)}`, 'y'.repeat(64)], 32).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EventTooLarge);
    expect((error as Error).message).toBe('an event over 32 bytes');
  });

  it('takes the parser’s other complaints (a bad retry, an unknown field) in stride', async () => {
    expect(await batches(['retry: soon\nbogus: 1\ndata: ok\n\n'])).toEqual([['ok']]);
  });
});
