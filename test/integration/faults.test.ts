// The upstream fault suite over real sockets: each fault ends in the expected typed error, or in a
// correct answer after a safe retry (counted at the simulator), never in a truncated success;
// the gateway keeps serving; and nothing stays open afterwards. Stream faults that happen after
// the stream opened are in streaming-faults.test.ts; retry budget, breaker and queue in resilience.test.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODELS, type Fault } from '../../src/simulator/server.ts';
import { footprint, settle, settledLike } from '../support/leaks.ts';
import { collect } from '../support/sse.ts';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';
import { CHAT_STREAM, COMPLETION_STREAM } from '../support/streams.ts';

const TINY = 'sim/tiny-context';
const HTML_502 =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';

interface Case {
  name: string;
  /** None: the upstream itself refuses (the simulator enforces context windows). */
  fault?: Fault;
  /** The typed error, or the success typename. */
  expected: Record<string, unknown>;
  /** Upstream requests the call made: more than 1 only where a retry was safe. */
  requests: number;
  model?: string;
}

const ok = (typename: string) => ({ __typename: typename });

/** `complete`: every class that a non-streamed call can meet. */
const completeCases: Case[] = [
  {
    name: '429 with Retry-After within the cap: waited for, then answered',
    fault: { status: 429, retryAfter: '1' },
    expected: ok('Completion'),
    requests: 2,
  },
  {
    name: '429 with Retry-After on every attempt → RATE_LIMITED',
    fault: { status: 429, retryAfter: '1', times: 3 },
    expected: { __typename: 'RateLimitedError', code: 'RATE_LIMITED', retryAfterSeconds: 1 },
    requests: 3,
  },
  {
    name: '429 without Retry-After on every attempt → RATE_LIMITED, null retryAfterSeconds',
    fault: { status: 429, times: 3 },
    expected: { __typename: 'RateLimitedError', code: 'RATE_LIMITED', retryAfterSeconds: null },
    requests: 3,
  },
  {
    name: '500: the model may have run, so never retried',
    fault: { status: 500, message: 'engine exploded' },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_ERROR', upstreamStatus: 500 },
    requests: 1,
  },
  {
    name: '503 once: refused outright, retried, answered',
    fault: { status: 503 },
    expected: ok('Completion'),
    requests: 2,
  },
  {
    name: 'connection reset before the response: ambiguous for a POST, not retried',
    fault: { drop: 'before-headers' },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', upstreamStatus: null },
    requests: 1,
  },
  {
    name: 'no response at all → UPSTREAM_TIMEOUT in the HEADERS phase',
    fault: { delayMs: 5_000 },
    expected: { __typename: 'UpstreamTimeoutError', code: 'UPSTREAM_TIMEOUT', phase: 'HEADERS' },
    requests: 1,
  },
  {
    name: 'a slow answer within the timeouts is answered',
    fault: { delayMs: 200 },
    expected: ok('Completion'),
    requests: 1,
  },
  {
    name: 'body cut mid-way → an error, not a truncated completion',
    fault: { drop: 'mid-body' },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', upstreamStatus: null },
    requests: 1,
  },
  {
    name: 'malformed JSON body → UPSTREAM_ERROR',
    fault: {
      status: 200,
      contentType: 'application/json',
      rawBody: '{"id":"cmpl-1","choices":[{"te',
    },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_ERROR', upstreamStatus: 200 },
    requests: 1,
  },
  {
    name: 'context length exceeded → CONTEXT_LENGTH_EXCEEDED',
    model: TINY,
    expected: {
      __typename: 'ContextLengthExceededError',
      code: 'CONTEXT_LENGTH_EXCEEDED',
      maxContextLength: 16,
    },
    requests: 1,
  },
  {
    name: 'HTML 502 page from a proxy → UPSTREAM_UNAVAILABLE without markup',
    fault: { status: 502, contentType: 'text/html', rawBody: HTML_502 },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', upstreamStatus: 502 },
    requests: 1,
  },
  {
    name: 'oversized body → UPSTREAM_ERROR',
    fault: { oversizedBytes: 1_000_000 },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_ERROR' },
    requests: 1,
  },
  {
    name: 'flapping upstream: refused twice, then recovers → answered',
    fault: { status: 503, times: 2 },
    expected: ok('Completion'),
    requests: 3,
  },
];

/** Streams: the faults before the stream opens, where the retry rules apply (the rest: streaming-faults.test.ts). */
const streamCases: Case[] = [
  {
    name: '429 with Retry-After within the cap: waited for, then streamed',
    fault: { status: 429, retryAfter: '1' },
    expected: ok('Done'),
    requests: 2,
  },
  {
    name: '429 without Retry-After on every attempt → RATE_LIMITED',
    fault: { status: 429, times: 3 },
    expected: { __typename: 'RateLimitedError', code: 'RATE_LIMITED', retryAfterSeconds: null },
    requests: 3,
  },
  {
    name: '500 before the stream: not retried',
    fault: { status: 500 },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_ERROR', upstreamStatus: 500 },
    requests: 1,
  },
  {
    name: '503 once before the stream: retried, then streamed',
    fault: { status: 503 },
    expected: ok('Done'),
    requests: 2,
  },
  {
    name: 'connection reset before headers: not retried',
    fault: { drop: 'before-headers' },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', upstreamStatus: null },
    requests: 1,
  },
  {
    name: 'no response at all → FIRST_TOKEN timeout',
    fault: { delayMs: 5_000 },
    expected: {
      __typename: 'UpstreamTimeoutError',
      code: 'UPSTREAM_TIMEOUT',
      phase: 'FIRST_TOKEN',
    },
    requests: 1,
  },
  {
    name: 'a 503 error event inside the 200 stream: after headers, never retried',
    fault: { stream: 'error-event', status: 503 },
    expected: { __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', upstreamStatus: 503 },
    requests: 1,
  },
  {
    name: 'context length exceeded → CONTEXT_LENGTH_EXCEEDED',
    model: TINY,
    expected: {
      __typename: 'ContextLengthExceededError',
      code: 'CONTEXT_LENGTH_EXCEEDED',
      maxContextLength: 16,
    },
    requests: 1,
  },
  {
    name: 'flapping upstream: refused twice, then recovers → streamed',
    fault: { status: 503, times: 2 },
    expected: ok('Done'),
    requests: 3,
  },
];

describe('upstream faults', () => {
  let stack: Stack;
  let initial: ReturnType<typeof footprint>;

  beforeAll(async () => {
    initial = footprint();
    stack = await startStack(
      {
        UPSTREAM_HEADERS_TIMEOUT_MS: '500',
        STREAM_FIRST_TOKEN_TIMEOUT_MS: '500',
        STREAM_IDLE_TIMEOUT_MS: '300',
        UPSTREAM_MAX_RESPONSE_BYTES: '65536',
        UPSTREAM_RETRY_BASE_DELAY_MS: '20',
        UPSTREAM_RETRY_MAX_DELAY_MS: '100',
        // Budget and breaker have their own tests; here each fault is judged alone.
        UPSTREAM_RETRY_BUDGET_RATIO: '1',
        UPSTREAM_BREAKER_FAILURES: '1000',
      },
      { tokenDelayMs: 2, models: [...DEFAULT_MODELS, { id: TINY, maxModelLength: 16 }] },
    );
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    stack.sim.clearFaults();
    // Warm the model list so that the fault meets the generation call.
    await stack.gql('{ models { id } }');
    stack.sim.requests.length = 0;
  });

  const complete = async (model: string) =>
    (await stack.gql(COMPLETE, { model, prompt: 'one two three four five six', maxTokens: 12 }))
      .data!.complete;

  for (const { name, fault, expected, requests, model = MODEL } of completeCases) {
    it(`complete: ${name}`, async () => {
      const before = footprint();
      if (fault) stack.sim.inject({ path: '/v1/completions', ...fault });
      const result = await complete(model);
      expect(result).toMatchObject(expected);
      if (result.__typename === 'Completion') {
        // A full answer: every choice finished, usage counted.
        expect(result.choices[0].finishReason).toMatch(/STOP|LENGTH/);
        expect(result.usage.completionTokens).toBeGreaterThan(0);
      }
      expect(result.message ?? '').not.toContain('<');
      expect(stack.sim.countRequests('/v1/completions')).toBe(requests);
      // Still serving: the next call on the same path is answered.
      expect(await complete(MODEL)).toMatchObject({ __typename: 'Completion' });
      expect(await settle(stack, before)).toMatchObject(settledLike(before));
    });
  }

  for (const [kind, query, path] of [
    ['completionStream', COMPLETION_STREAM, '/v1/completions'],
    ['chatStream', CHAT_STREAM, '/v1/chat/completions'],
  ] as const) {
    const variables = (model: string) =>
      kind === 'completionStream'
        ? {
            model,
            prompt: 'one two three four five six',
            maxTokens: 12,
            options: { ignoreEos: true },
          }
        : {
            model,
            messages: [{ role: 'USER', content: 'one two three four five six' }],
            maxTokens: 12,
            options: { ignoreEos: true },
          };

    for (const { name, fault, expected, requests, model = MODEL } of streamCases) {
      it(`${kind}: ${name}`, async () => {
        const before = footprint();
        if (fault) stack.sim.inject({ path, ...fault });
        const events = await collect(stack.endpoint, query, variables(model));
        const terminal = events.filter((e) => /Done$|Error$/.test(e.__typename));
        expect(terminal).toHaveLength(1);
        const last = events.at(-1)!;
        if (expected.__typename === 'Done') expect(last.__typename).toMatch(/Done$/);
        else {
          expect(last).toMatchObject(expected);
          expect(events.some((e) => e.__typename.endsWith('Done'))).toBe(false);
        }
        expect(stack.sim.countRequests(path)).toBe(requests);
        const after = await collect(stack.endpoint, query, variables(MODEL));
        expect(after.at(-1)!.__typename).toMatch(/Done$/);
        expect(await settle(stack, before)).toMatchObject(settledLike(before));
      });
    }
  }

  it('every socket closes once idle: nothing a fault opened stays', async () => {
    const final = await settle(stack, initial, { socketSlack: 0, timeoutMs: 14_000 });
    expect(final).toMatchObject(settledLike(initial, 0));
  }, 20_000);
});
