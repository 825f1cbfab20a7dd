// NIM_PROXY_API_KEY goes to NIM Proxy and nowhere else: not in any response (bodies and headers,
// successes and every kind of error), not in any log line.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postGraphQL } from '../support/gateways.ts';
import { COMPLETE_WITH_OPTIONS, COMPLETION_STREAM } from '../support/operations.ts';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';

const UPSTREAM_KEY = 'nvapi-UPSTREAM-SECRET-7f3a9c1e5b';
const CLIENT_KEY = 'client-key-0123456789abcdef';

describe('the upstream API key', () => {
  let stack: Stack;
  const seen: string[] = [];
  const logged: string[] = [];

  beforeAll(async () => {
    const capture = (...args: unknown[]) => {
      logged.push(
        args
          .map((a) =>
            a instanceof Error
              ? `${a.message} ${a.stack}`
              : typeof a === 'string'
                ? a
                : JSON.stringify(a),
          )
          .join(' '),
      );
    };
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
      vi.spyOn(console, method).mockImplementation(capture);
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, 'write').mockImplementation(((
        chunk: string | Uint8Array,
        ...rest: never[]
      ) => {
        logged.push(String(chunk));
        return write(chunk, ...rest);
      }) as typeof stream.write);
    }
    stack = await startStack(
      {
        NIM_PROXY_API_KEY: UPSTREAM_KEY,
        GATEWAY_API_KEYS: CLIENT_KEY,
        RATE_LIMIT_REQUESTS_PER_MINUTE: '1000',
        UPSTREAM_MAX_RETRIES: '0',
      },
      { tokenDelayMs: 0, apiKey: UPSTREAM_KEY },
    );
  });
  afterAll(async () => {
    await stack.close();
    vi.restoreAllMocks();
  });

  async function record(response: Response): Promise<string> {
    const body = await response.text();
    seen.push(body, ...[...response.headers].map(([name, value]) => `${name}: ${value}`));
    return body;
  }
  const send = (
    body: unknown,
    headers: Record<string, string> = { authorization: `Bearer ${CLIENT_KEY}` },
  ) =>
    fetch(stack.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...headers,
      },
      body: JSON.stringify(body),
    }).then(record);
  const complete = (variables: Record<string, unknown> = {}) =>
    send({
      query: COMPLETE,
      variables: { model: MODEL, prompt: 'Once', maxTokens: 4, ...variables },
    });

  it('is sent upstream, and appears in no response or log line', async () => {
    expect(await complete()).toContain('"Completion"');
    expect(
      stack.sim.requests.some((r) => r.headers.authorization === `Bearer ${UPSTREAM_KEY}`),
    ).toBe(true);

    // Typed errors, upstream faults, an upstream that refuses the key, request-level refusals.
    await complete({ model: 'sim/no-such-model' });
    await complete({ maxTokens: 0 });
    for (const fault of [
      { status: 500, message: 'internal' },
      { status: 429, retryAfter: '3' },
      { status: 503 },
      { rawBody: '<html><body>502 Bad Gateway</body></html>', contentType: 'text/html' },
      { drop: 'before-headers' as const },
      // An upstream (or a proxy in between) that echoes the key in its error message.
      { status: 400, message: `bad header Authorization: Bearer ${UPSTREAM_KEY}` },
      { status: 500, message: `upstream key ${UPSTREAM_KEY} rejected` },
    ]) {
      stack.sim.inject({ ...fault, path: '/v1/completions', times: 1 });
      await complete();
    }
    stack.sim.configure({ apiKey: 'a-different-upstream-key' });
    expect(await complete()).toContain('UPSTREAM_ERROR');
    await send({ query: '{ models { id } }' });
    stack.sim.configure({ apiKey: UPSTREAM_KEY });
    await send({ query: 'mutation { complete(' });
    await send({ query: '{ nope }' });
    await send({ query: '{ __typename }' }, {});
    await send({ query: '{ __typename }' }, { authorization: `Bearer ${UPSTREAM_KEY}` });

    // Streams: a good one, and one the upstream cuts.
    const stream = (fault?: Parameters<Stack['sim']['inject']>[0]) => {
      if (fault) stack.sim.inject(fault);
      return fetch(stack.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          authorization: `Bearer ${CLIENT_KEY}`,
        },
        body: JSON.stringify({
          query: COMPLETION_STREAM,
          variables: { model: MODEL, prompt: 'Once', maxTokens: 4 },
        }),
      }).then(record);
    };
    expect(await stream()).toContain('CompletionDone');
    await stream({ path: '/v1/completions', stream: 'cut', afterTokens: 1 });
    await stream({ path: '/v1/completions', stream: 'error-event' });
    expect(
      await stream({
        path: '/v1/completions',
        stream: 'error-event',
        status: 400,
        message: `key ${UPSTREAM_KEY} echoed`,
      }),
    ).toContain('[redacted]');

    // GraphiQL, other routes.
    await fetch(stack.endpoint, { headers: { accept: 'text/html' } }).then(record);
    await fetch(new URL('/nowhere', stack.endpoint)).then(record);
    const withOptions = await postGraphQL(
      stack.endpoint,
      COMPLETE_WITH_OPTIONS,
      { model: MODEL, prompt: 'x', maxTokens: 2, options: { temperature: 9 } },
      { headers: { authorization: `Bearer ${CLIENT_KEY}` } },
    );
    seen.push(JSON.stringify(withOptions));

    expect(seen.length).toBeGreaterThan(20);
    for (const text of seen) expect(text).not.toContain(UPSTREAM_KEY);
    for (const line of logged) expect(line).not.toContain(UPSTREAM_KEY);
  });
});

// A key with `/` in it, sent back JSON-escaped (`\/`, `\u002f`), percent- or entity-encoded, or cut
// by a length limit: no spelling and no part of it may reach a client.
describe('an upstream key the upstream echoes in another spelling', () => {
  const KEY = 'nvapi-K3y/With/Slashes+x9Q==';
  const spellings = {
    'JSON-escaped \\/': KEY.replaceAll('/', '\\/'),
    'JSON-escaped \\u002f': KEY.replaceAll('/', '\\u002f'),
  };
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      { NIM_PROXY_API_KEY: KEY, UPSTREAM_MAX_RETRIES: '0' },
      { tokenDelayMs: 0, apiKey: KEY },
    );
  });
  afterAll(() => stack.close());

  /** Every response must be free of the key and of any piece of it. */
  const expectClean = (text: string) => expect(text).not.toMatch(/K3y|Slashes|x9Q/);
  const complete = async () =>
    JSON.stringify(await stack.gql(COMPLETE, { model: MODEL, prompt: 'Once', maxTokens: 4 }));
  const stream = async () => {
    const response = await fetch(stack.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: COMPLETION_STREAM,
        variables: { model: MODEL, prompt: 'Once', maxTokens: 4 },
      }),
    });
    return response.text();
  };

  for (const [name, spelled] of Object.entries(spellings)) {
    it(`is redacted from every field of an HTTP error body (${name})`, async () => {
      for (const status of [400, 500]) {
        stack.sim.inject({
          path: '/v1/completions',
          status,
          contentType: 'application/json',
          rawBody: `{"error":{"message":"bad key ${spelled}","type":"${spelled}","param":"${spelled}","code":${status}}}`,
        });
        const text = await complete();
        expect(text).toContain('[redacted]');
        expectClean(text);
      }
    });

    it(`is redacted from an in-band stream error event (${name})`, async () => {
      for (const event of [
        `{"error":{"message":"bad key ${spelled}","type":"${spelled}","code":400}}`,
        `{"error":"bad key ${spelled}"}`,
      ]) {
        stack.sim.inject({
          path: '/v1/completions',
          status: 200,
          contentType: 'text/event-stream',
          rawBody: `data: ${event}\n\ndata: [DONE]\n\n`,
        });
        const text = await stream();
        expect(text).toContain('[redacted]');
        expectClean(text);
      }
    });
  }

  it('is redacted from a page before its excerpt is cut, in plain, percent- and entity-encoded spelling', async () => {
    // The key straddles the 200-character excerpt: redacting the excerpt would miss its first half.
    for (const spelled of [
      KEY,
      encodeURIComponent(KEY),
      encodeURIComponent(KEY).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
      KEY.replaceAll('/', '&#x2F;'),
    ]) {
      stack.sim.inject({
        path: '/v1/completions',
        status: 502,
        contentType: 'text/html',
        rawBody: `<html><body>${'a'.repeat(190)} ${spelled} </body></html>`,
      });
      expectClean(await complete());
    }
  });

  it('leaves no part of a key cut off by the error-body read limit', async () => {
    // 64 KiB of markup, then the key: the read stops inside the key, and stripping the markup puts what is left of it at the start of the excerpt.
    const markup = '<p>'.repeat(Math.floor((64 * 1024 - 10) / 3));
    stack.sim.inject({
      path: '/v1/completions',
      status: 500,
      contentType: 'text/html',
      rawBody: `${markup}${'-'.repeat(64 * 1024 - 10 - markup.length)}${KEY}`,
    });
    expectClean(await complete());
  });
});
