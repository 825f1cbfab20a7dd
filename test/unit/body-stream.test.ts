// The Node-stream ReadableStream the gateway's response bodies are built with: what Yoga's SSE
// processor, graphql-sse's handler and the multipart writer rely on of a WHATWG stream.
import { createSchema, createYoga, getSSEProcessor } from 'graphql-yoga';
import { request } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyStream } from '../../src/plugins/body-stream.ts';
import { listen } from '../../src/server.ts';
import type { Gateway } from '../../src/yoga.ts';

const text = async (stream: Readable): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
};
// Yoga's own Fetch API, as the gateway gets it without the option.
const defaultFetchAPI = createYoga({
  schema: createSchema({ typeDefs: 'type Query { a: Int }' }),
}).fetchAPI;
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('BodyStream', () => {
  it('starts before the first pull, pulls while it is read, ends on close', async () => {
    const calls: string[] = [];
    let n = 0;
    const stream = new BodyStream({
      start(controller) {
        calls.push('start');
        controller.enqueue(new TextEncoder().encode('a'));
      },
      async pull(controller) {
        calls.push('pull');
        await tick();
        n += 1;
        controller.enqueue(Buffer.from(String(n)));
        if (n === 3) controller.close();
      },
    });
    expect(calls).toEqual(['start']);
    expect(await text(stream)).toBe('a123');
    expect(calls).toEqual(['start', 'pull', 'pull', 'pull']);
  });

  it('waits for an asynchronous start, and pulls again after a pull that gave nothing', async () => {
    const calls: string[] = [];
    let empty = 2;
    const stream = new BodyStream({
      async start() {
        await tick();
        calls.push('started');
      },
      pull(controller) {
        calls.push('pull');
        // Twice nothing (once at once, once later), then the end.
        if (empty-- === 2) return;
        if (empty === 0) return tick();
        controller.enqueue('x');
        controller.close();
      },
    });
    expect(await text(stream)).toBe('x');
    expect(calls).toEqual(['started', 'pull', 'pull', 'pull']);
  });

  it('tells its room, null once destroyed, and calls cancel when its reader goes', async () => {
    let cancelled: unknown = 'not yet';
    let size: (() => number | null) | undefined;
    const stream = new BodyStream({
      start(controller) {
        size = () => controller.desiredSize;
      },
      pull: () => new Promise(() => undefined),
      cancel(reason) {
        cancelled = reason;
      },
    });
    expect(size!()).toBe(stream.readableHighWaterMark);
    stream.resume();
    // As the server does when the client leaves: destroyed without an error.
    stream.destroy();
    await tick();
    expect(cancelled).toBeUndefined();
    expect(size!()).toBeNull();
    const errored = new BodyStream({ cancel: (reason) => void (cancelled = reason) });
    errored.on('error', () => undefined);
    const reason = new Error('broken');
    errored.destroy(reason);
    await tick();
    expect(cancelled).toBe(reason);
  });

  it('refuses to enqueue after close, and errors the stream from controller.error or a throwing pull', async () => {
    const closed = new BodyStream({
      start(controller) {
        controller.close();
        expect(() => controller.enqueue('late')).toThrow(TypeError);
        expect(() => controller.close()).toThrow(TypeError);
      },
    });
    expect(await text(closed)).toBe('');
    const failed = new BodyStream({
      pull(controller) {
        controller.error(new Error('broken'));
      },
    });
    await expect(text(failed)).rejects.toThrow('broken');
    const thrown = new BodyStream({
      pull() {
        throw new Error('thrown');
      },
    });
    await expect(text(thrown)).rejects.toThrow('thrown');
  });

  it('counts what it holds in its room, and names a closed stream in its refusals', async () => {
    let controller: { desiredSize: number | null; enqueue(c: string): void; close(): void };
    const stream = new BodyStream({
      start(c) {
        controller = c;
        c.enqueue('abc');
      },
    });
    expect(controller!.desiredSize).toBe(stream.readableHighWaterMark - 3);
    controller!.close();
    expect(controller!.desiredSize).toBe(0);
    expect(() => controller!.enqueue('x')).toThrow('The stream is closed');
    expect(() => controller!.close()).toThrow('The stream is closed');
    expect(await text(stream)).toBe('abc');
  });

  it('pulls once per read when each pull enqueues at once, and never before it is read', async () => {
    let pulls = 0;
    const stream = new BodyStream({
      pull(controller) {
        pulls += 1;
        controller.enqueue(String(pulls));
        if (pulls === 3) controller.close();
      },
    });
    await tick();
    expect(pulls).toBe(0);
    expect(await text(stream)).toBe('123');
    expect(pulls).toBe(3);
  });

  it('with an asynchronous start: no pull before it settles, none without a reader, its failure errors the stream', async () => {
    let pulls = 0;
    let started = () => undefined as void;
    const waiting = new BodyStream({
      start: () => new Promise<void>((resolve) => (started = resolve)),
      pull(controller) {
        pulls += 1;
        controller.enqueue('x');
        controller.close();
      },
    });
    started();
    await tick();
    expect(pulls).toBe(0);
    expect(await text(waiting)).toBe('x');
    expect(pulls).toBe(1);
    const failing = new BodyStream({ start: () => Promise.reject(new Error('no start')) });
    await expect(text(failing)).rejects.toThrow('no start');
    const rejected = new BodyStream({ pull: () => Promise.reject(new Error('no pull')) });
    await expect(text(rejected)).rejects.toThrow('no pull');
  });

  it('takes a start or pull that returns something that is no promise as done at once', async () => {
    let pulls = 0;
    const stream = new BodyStream({
      start: () => null,
      pull(controller) {
        pulls += 1;
        controller.enqueue('y');
        controller.close();
        return { then: 'not a function' };
      },
    });
    expect(await text(stream)).toBe('y');
    expect(pulls).toBe(1);
    // Nothing to pull from: it waits for what start gives.
    let later: ((chunk: string) => void) | undefined;
    const pushed = new BodyStream({
      start: (c) => void (later = (x) => (c.enqueue(x), c.close())),
    });
    setTimeout(() => later!('z'), 5);
    expect(await text(pushed)).toBe('z');
  });

  it('waits for an asynchronous cancel before it closes, and reports a cancel that fails', async () => {
    const order: string[] = [];
    const slow = new BodyStream({
      pull: () => new Promise(() => undefined),
      cancel: () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            order.push('cancelled');
            resolve();
          }, 5),
        ),
    });
    slow.resume();
    await tick();
    slow.on('close', () => order.push('closed'));
    slow.destroy();
    await new Promise((resolve) => slow.once('close', resolve));
    expect(order).toEqual(['cancelled', 'closed']);
    const refusing = new BodyStream({
      pull: () => new Promise(() => undefined),
      cancel: () => Promise.reject(new Error('cancel failed')),
    });
    refusing.resume();
    await tick();
    refusing.destroy();
    await new Promise((resolve) => refusing.once('close', resolve));
    expect((refusing.errored as Error | null)?.message).toBe('cancel failed');
    const throwing = new BodyStream({
      cancel() {
        throw new Error('cancel threw');
      },
    });
    throwing.destroy();
    await new Promise((resolve) => throwing.once('close', resolve));
    expect((throwing.errored as Error | null)?.message).toBe('cancel threw');
    let cancels = 0;
    const closed = new BodyStream({
      start: (c) => c.close(),
      cancel: () => void (cancels += 1),
    });
    expect(await text(closed)).toBe('');
    closed.destroy();
    expect(cancels).toBe(0);
  });

  it('errors the stream when start throws', async () => {
    const stream = new BodyStream({
      start() {
        throw new Error('start threw');
      },
    });
    await new Promise((resolve) => stream.once('close', resolve));
    expect((stream.errored as Error | null)?.message).toBe('start threw');
  });

  it("gives Yoga's SSE processor the same bytes as the Fetch ponyfill's stream does", async () => {
    const results = [{ data: { a: 1 } }, { errors: [{ message: 'bad' }] }, { data: { a: 'é' } }];
    async function* events() {
      for (const result of results) {
        await tick();
        yield result;
      }
    }
    const sse = getSSEProcessor();
    const ours = sse(
      events() as never,
      {
        ...defaultFetchAPI,
        ReadableStream: BodyStream as unknown as typeof ReadableStream,
      } as never,
      'text/event-stream',
    ) as unknown as Response;
    const theirs = sse(
      events() as never,
      defaultFetchAPI as never,
      'text/event-stream',
    ) as unknown as Response;
    const body = (await ours.text()) as string;
    expect(body).toBe(await theirs.text());
    expect(body).toContain('event: complete');
    expect(ours.headers.get('content-type')).toBe('text/event-stream');
  });

  it('is taken by the Fetch ponyfill as a Node stream, piped as it is', () => {
    const stream = new BodyStream({});
    expect(stream).toBeInstanceOf(Readable);
    const response = new defaultFetchAPI.Response(stream as never);
    // The body the server pipes to the socket is this stream itself, not a bridge around it.
    expect((response.body as unknown as { readable?: unknown }).readable).toBe(stream);
  });

  it('fails without ending the process when nobody listens for its error (piped, as the server does)', async () => {
    const stream = new BodyStream({
      pull(controller) {
        controller.enqueue('a');
        controller.error(new Error('broken'));
      },
    });
    const out = new PassThrough();
    stream.pipe(out);
    // An unheard 'error' would be an uncaught exception: vitest fails the run on one.
    await new Promise((resolve) => stream.once('close', resolve));
    expect(stream.destroyed).toBe(true);
    expect(stream.errored).toBeInstanceOf(Error);
  });

  it('cuts the response it is piped into, through the server, when it fails after it began', async () => {
    const gateway = {
      handle(_request, response) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        let pulls = 0;
        new BodyStream({
          async pull(controller) {
            await tick();
            if (pulls++ === 0) controller.enqueue('data: first\n\n');
            else controller.error(new Error('broken'));
          },
        }).pipe(response);
      },
      drain: () => undefined,
      close: async () => undefined,
    } as Pick<Gateway, 'handle' | 'drain' | 'close'> as Gateway;
    const running = await listen(gateway, '127.0.0.1', 0);
    try {
      const got = await new Promise<{ body: string; cut: boolean }>((resolve, reject) => {
        request(running.url, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ body, cut: false }));
          res.on('error', () => resolve({ body, cut: true }));
        })
          .on('error', reject)
          .end();
      });
      expect(got).toEqual({ body: 'data: first\n\n', cut: true });
    } finally {
      await running.close();
    }
  });
});
