// The events ready in one turn leave the gateway in one write (src/server.ts, coalesceWrites),
// not one write each (without it, Node's chunked framing made 1,039 socket writes of 257 events);
// the tokens of one upstream read leave as one event (coalesceDeltas in src/nim/stream.ts); a
// client that stops reading gets every event, in order, once it reads again.
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StreamPart } from '../../src/nim/stream.ts';
import type { CompletionResponse } from '../../src/nim/wire.ts';
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

  /** The next stream's upstream: `n` reads of one token each, all at once, then its end. */
  const separateReads = (n: number) =>
    vi
      .spyOn(stack.gateway.services.nim, 'streamCompletion')
      .mockImplementationOnce(async function* () {
        for (let i = 0; i < n; i++)
          yield [
            {
              type: 'delta',
              delta: {
                index: 0,
                text: ` t${i}`,
                role: null,
                reasoning: null,
                finish_reason: i === n - 1 ? 'length' : null,
                logprobs: null,
                toolCalls: [],
              },
            },
          ] satisfies StreamPart<CompletionResponse>[];
        yield [
          {
            type: 'done',
            result: {
              id: 'cmpl-1',
              created: 1,
              model: MODEL,
              choices: [{ index: 0, text: '', finish_reason: 'length', logprobs: null }],
              usage: null,
            },
          },
        ] satisfies StreamPart<CompletionResponse>[];
      });
  const tokens = (n: number) => Array.from({ length: n }, (_, i) => ` t${i}`);

  it('sends the events of many reads at once in a few writes, every one of them, in order', async () => {
    separateReads(256);
    writes = 0;
    const received = events(await stream(stack, 256));
    // 256 chunks (a read each) and the Done.
    expect(received.length).toBe(257);
    expect(received.at(-1).data.completionStream.__typename).toBe('CompletionDone');
    expect(received.slice(0, -1).map((e) => e.data.completionStream.text)).toEqual(tokens(256));
    // One write per event would be over 257.
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(257 / 4);
  });

  it('relays the tokens of one upstream read as one chunk, the same text as the unary answer', async () => {
    const received = events(await stream(stack, 256));
    expect(received.at(-1).data.completionStream.__typename).toBe('CompletionDone');
    // The simulator's burst arrives in a few reads: far fewer chunks than tokens.
    const chunks = received.slice(0, -1);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.length).toBeLessThan(256 / 4);
    const unary = await stack.gql<{ complete: { text: string } }>(
      `mutation { complete(model: "${MODEL}", prompt: "x", maxTokens: 256, options: { ignoreEos: true }) { ... on Completion { text } } }`,
    );
    expect(chunks.map((e) => e.data.completionStream.text).join('')).toBe(
      unary.data!.complete.text,
    );
  });

  it('gives a client that stopped reading every event once it reads again', async () => {
    separateReads(2048);
    const received = events(await stream(stack, 2048, 300));
    expect(received.length).toBe(2049);
    expect(received.at(-1).data.completionStream.__typename).toBe('CompletionDone');
    expect(received.slice(0, -1).map((e) => e.data.completionStream.text)).toEqual(tokens(2048));
  });
});
