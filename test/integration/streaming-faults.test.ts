import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Fault } from '../../src/simulator/server.ts';
import { footprint, settle, settledLike } from '../support/leaks.ts';
import { collect } from '../support/sse.ts';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';
import { CHAT_STREAM, COMPLETION_STREAM } from '../support/streams.ts';

const FIRST_TOKEN_MS = 400;
const IDLE_MS = 300;

interface Case {
  name: string;
  fault: Fault;
  expected: Record<string, unknown>;
}

const cases: Case[] = [
  // The same loss as in a JSON call (faults.test.ts): unavailable, retryable, the answer cut.
  {
    name: 'connection cut mid-stream',
    fault: { drop: 'mid-body' },
    expected: {
      __typename: 'UpstreamError',
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: null,
      retryable: true,
      message: expect.stringMatching(/cut/),
    },
  },
  {
    name: 'last event cut in half',
    fault: { stream: 'cut' },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_ERROR' },
  },
  {
    name: 'stream stalls',
    fault: { stream: 'stall' },
    expected: { __typename: 'UpstreamTimeoutError', code: 'UPSTREAM_TIMEOUT', phase: 'IDLE' },
  },
  {
    name: 'malformed JSON chunk',
    fault: { stream: 'malformed' },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_ERROR' },
  },
  {
    name: 'closes without [DONE]',
    fault: { stream: 'no-done' },
    expected: {
      __typename: 'UpstreamError',
      code: 'UPSTREAM_ERROR',
      message: 'upstream stream closed before [DONE]: the answer may be truncated',
    },
  },
  {
    name: 'error event inside a 200 stream',
    fault: { stream: 'error-event', status: 500, message: 'engine died' },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_ERROR', upstreamStatus: 500 },
  },
  // NIM 1.x sends its errors flat, also in-band; with _NIM_API_COMPAT_SINGLE_ERROR_FIELD as a plain string.
  {
    name: 'flat error event (NIM 1.x)',
    fault: { stream: 'error-event', status: 503, message: 'engine restarting', errorStyle: 'flat' },
    expected: {
      __typename: 'UpstreamError',
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: 503,
      message: expect.stringContaining('engine restarting'),
    },
  },
  {
    name: 'string error event',
    fault: { stream: 'error-event', message: 'engine gone', errorStyle: 'string' },
    expected: {
      __typename: 'UpstreamError',
      code: 'UPSTREAM_ERROR',
      upstreamStatus: 500,
      message: expect.stringContaining('engine gone'),
    },
  },
  {
    name: 'rate-limit error event',
    fault: { stream: 'error-event', status: 429 },
    expected: { __typename: 'RateLimitedError', code: 'RATE_LIMITED' },
  },
  {
    name: 'slow first token',
    fault: { firstTokenDelayMs: FIRST_TOKEN_MS * 3 },
    expected: {
      __typename: 'UpstreamTimeoutError',
      code: 'UPSTREAM_TIMEOUT',
      phase: 'FIRST_TOKEN',
    },
  },
  // Refused before the stream opened, so retried: the error comes once every attempt (1 + 2 retries) was refused.
  {
    name: '503 before the stream',
    fault: { status: 503, times: 3 },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', upstreamStatus: 503 },
  },
  {
    name: 'HTML 502 page from a proxy',
    fault: {
      rawBody: '<html><body><h1>502 Bad Gateway</h1></body></html>',
      contentType: 'text/html',
      status: 502,
    },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE' },
  },
  {
    name: 'connection dropped before headers',
    fault: { drop: 'before-headers' },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE' },
  },
  {
    name: 'oversized event',
    fault: { oversizedBytes: 200_000 },
    expected: {
      __typename: 'UpstreamError',
      code: 'UPSTREAM_ERROR',
      message: 'upstream stream sent an event over 65536 bytes',
    },
  },
];

describe('mid-stream faults end the subscription with one typed error', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      {
        STREAM_FIRST_TOKEN_TIMEOUT_MS: String(FIRST_TOKEN_MS),
        STREAM_IDLE_TIMEOUT_MS: String(IDLE_MS),
        UPSTREAM_MAX_RESPONSE_BYTES: String(64 * 1024),
        // What each fault ends in is tested here; the retry budget in resilience.test.ts.
        UPSTREAM_RETRY_BUDGET_RATIO: '1',
      },
      { tokenDelayMs: 5 },
    );
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    stack.sim.reset();
    stack.sim.clearFaults();
  });

  for (const { name, fault, expected } of cases) {
    for (const [kind, query, variables] of [
      [
        'completion',
        COMPLETION_STREAM,
        { model: MODEL, prompt: 'Once', maxTokens: 12, options: { ignoreEos: true } },
      ],
      [
        'chat',
        CHAT_STREAM,
        {
          model: MODEL,
          messages: [{ role: 'USER', content: 'Hi' }],
          maxTokens: 12,
          options: { ignoreEos: true },
        },
      ],
    ] as const) {
      it(`${kind}: ${name}`, async () => {
        const path = kind === 'completion' ? '/v1/completions' : '/v1/chat/completions';
        const before = footprint();
        stack.sim.inject({ ...fault, path });
        const events = await collect(stack.endpoint, query, variables);
        const terminal = events.filter((e) => /Done$|Error$/.test(e.__typename));
        expect(terminal).toHaveLength(1);
        expect(events.at(-1)).toMatchObject(expected);
        expect(events.some((e) => e.__typename.endsWith('Done'))).toBe(false);
        // Once the stream is open nothing is retried; before it, only the refused 503 (times: 3).
        expect(stack.sim.countRequests(path)).toBe(fault.times ?? 1);
        // The gateway keeps serving: the next stream on the same path succeeds.
        const after = await collect(stack.endpoint, query, variables);
        expect(after.at(-1)!.__typename).toMatch(/Done$/);
        // No upstream call, timer or gateway request outlives the fault.
        expect(await settle(stack, before)).toMatchObject(settledLike(before));
      });
    }
  }

  it('one fault, one code: a connection lost mid-answer reads the same in a mutation and in a stream', async () => {
    const failures: Record<string, unknown>[] = [];
    stack.sim.inject({ path: '/v1/completions', drop: 'mid-body' });
    failures.push(
      (await stack.gql(COMPLETE, { model: MODEL, prompt: 'Once', maxTokens: 12 })).data!.complete,
    );
    stack.sim.inject({ path: '/v1/completions', drop: 'mid-body' });
    failures.push(
      (
        await collect(stack.endpoint, COMPLETION_STREAM, {
          model: MODEL,
          prompt: 'Once',
          maxTokens: 12,
          options: { ignoreEos: true },
        })
      ).at(-1)!,
    );
    const [mutation, stream] = failures.map(
      ({ __typename, code, upstreamStatus, retryable, message }) => ({
        __typename,
        code,
        upstreamStatus,
        retryable,
        message,
      }),
    );
    expect(mutation).toEqual(stream);
    expect(mutation).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
  });
});

describe('a stream that ends before its first token', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Clocks far longer than the test: a timer left armed would still be there when it ends.
    stack = await startStack(
      { STREAM_FIRST_TOKEN_TIMEOUT_MS: '60000', STREAM_IDLE_TIMEOUT_MS: '60000' },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(() => stack.close());
  const variables = { model: MODEL, prompt: 'Once', maxTokens: 4, options: { ignoreEos: true } };
  const chunk = (text: string, finish: string | null = null) =>
    `data: ${JSON.stringify({
      id: 'cmpl-1',
      object: 'text_completion',
      created: 1,
      model: MODEL,
      choices: [{ index: 0, text, finish_reason: finish }],
    })}\n\n`;

  it('fails with the typed error, and leaves no clock armed', async () => {
    // A stream first, so that the connections and their timers are there before counting.
    expect((await collect(stack.endpoint, COMPLETION_STREAM, variables)).at(-1)!.__typename).toBe(
      'CompletionDone',
    );
    const before = footprint();
    for (const fault of [
      { stream: 'malformed', afterTokens: 0 },
      { stream: 'error-event', afterTokens: 0, status: 500 },
      { stream: 'no-done', afterTokens: 0 },
    ] as const) {
      stack.sim.inject({ ...fault, path: '/v1/completions' });
      const events = await collect(stack.endpoint, COMPLETION_STREAM, variables);
      expect(events.at(-1)!.__typename).toBe('UpstreamError');
    }
    expect(await settle(stack, before, { timeoutMs: 2_000 })).toMatchObject(settledLike(before));
  });

  it('reads [DONE] with white space around it as the end', async () => {
    stack.sim.inject({
      path: '/v1/completions',
      status: 200,
      contentType: 'text/event-stream',
      rawBody: `${chunk('Once')}${chunk(' upon', 'length')}data:  [DONE] \r\n\r\n`,
    });
    const events = await collect(stack.endpoint, COMPLETION_STREAM, variables);
    // Both chunks came in one read: relayed as one.
    expect(events.map((e) => e.__typename)).toEqual(['CompletionChunk', 'CompletionDone']);
    expect(events[0]).toMatchObject({ text: 'Once upon' });
    expect(events.at(-1)).toMatchObject({
      text: 'Once upon',
      choices: [{ finishReason: 'LENGTH' }],
    });
  });
});
