// The events of one upstream read leave the gateway in one write (src/server.ts, coalesceWrites),
// not one write each (without it, Node's chunked framing made 1,039 socket writes of 257 events);
// a client that stops reading gets every event, in order, once it reads again.
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const STREAM = (maxTokens: number) =>
  JSON.stringify({
    query: `subscription { completionStream(model: "${MODEL}", prompt: "x", maxTokens: ${maxTokens}, options: { ignoreEos: true }) { __typename ... on CompletionChunk { text } } }`,
  });

/** The body of a GraphQL-over-SSE stream, read with node:http; `pauseMs` stops reading at the start. */
function stream(stack: Stack, maxTokens: number, pauseMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      stack.endpoint,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        if (pauseMs > 0) {
          res.pause();
          setTimeout(() => res.resume(), pauseMs);
        }
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(body));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(STREAM(maxTokens));
  });
}

const events = (body: string) =>
  body
    .split('\n\n')
    .filter((block) => block.startsWith('event: next'))
    .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)));

describe('writes of an event stream', () => {
  let stack: Stack;
  let writes = 0;
  beforeAll(async () => {
    stack = await startStack({}, { tokenDelayMs: 0 });
    stack.server.server.on('connection', (socket: Socket) => {
      const write = socket.write;
      socket.write = function (this: Socket, ...args: Parameters<typeof write>) {
        writes++;
        return write.apply(this, args);
      } as typeof write;
    });
  });
  afterAll(() => stack.close());

  it('sends the events of a burst in a few writes, every one of them, in order', async () => {
    writes = 0;
    const body = await stream(stack, 256);
    const received = events(body);
    // 256 chunks and the Done.
    expect(received.length).toBe(257);
    expect(received.at(-1).data.completionStream.__typename).toBe('CompletionDone');
    const text = received
      .slice(0, -1)
      .map((e) => e.data.completionStream.text)
      .join('');
    // The same text, token by token, as the unary completion of the same request.
    const unary = await stack.gql<{ complete: { text: string } }>(
      `mutation { complete(model: "${MODEL}", prompt: "x", maxTokens: 256, options: { ignoreEos: true }) { ... on Completion { text } } }`,
    );
    expect(text).toBe(unary.data!.complete.text);
    // One write per event would be over 257; the simulator's burst arrives in a few reads.
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(257 / 4);
  });

  it('gives a client that stopped reading every event once it reads again', async () => {
    const body = await stream(stack, 2048, 300);
    const received = events(body);
    expect(received.length).toBe(2049);
    expect(received.at(-1).data.completionStream.__typename).toBe('CompletionDone');
  });
});
