import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL } from '../support/gateways.ts';
import { collect } from '../support/sse.ts';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';
import { COMPLETION_STREAM } from '../support/operations.ts';

const KEY = 'client-key-0123456789abcdef';
const OTHER_KEY = 'second-client-key-fedcba9876543210';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const completions = (stack: Stack) => stack.sim.countRequests('/v1/completions');

function expectUnauthenticated(result: {
  status: number;
  headers: Headers;
  errors?: { extensions?: Record<string, unknown> }[];
  data?: unknown;
}) {
  expect(result.status).toBe(401);
  expect(result.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
  expect(result.errors).toHaveLength(1);
  expect(result.errors![0]!.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  expect(result.data).toBeUndefined();
}

describe('client auth (GATEWAY_API_KEYS)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ GATEWAY_API_KEYS: `${KEY}, ${OTHER_KEY}` }, { tokenDelayMs: 0 });
  });
  afterAll(() => stack.close());

  const complete = (headers: Record<string, string>) =>
    postGraphQL(
      stack.endpoint,
      COMPLETE,
      { model: MODEL, prompt: 'Once', maxTokens: 4 },
      { headers },
    );

  it('refuses a request without a key: 401, WWW-Authenticate: Bearer, UNAUTHENTICATED, no upstream call', async () => {
    const before = completions(stack);
    const result = await complete({});
    expectUnauthenticated(result);
    expect(result.headers.get('www-authenticate')).toBe('Bearer realm="nim-graphql"');
    expect(result.errors![0]!.message).toMatch(/Authorization: Bearer/);
    expect(completions(stack)).toBe(before);
  });

  it('refuses a wrong key of the same length, of another length, and other schemes', async () => {
    const before = completions(stack);
    const sameLength = `${KEY.slice(0, -1)}${KEY.endsWith('f') ? 'e' : 'f'}`;
    expect(sameLength).toHaveLength(KEY.length);
    for (const headers of [
      bearer(sameLength),
      bearer(`${KEY}0`),
      bearer(KEY.slice(0, 8)),
      { authorization: `Basic ${KEY}` },
      { authorization: KEY },
    ]) {
      const result = await complete(headers);
      expectUnauthenticated(result);
      expect(result.errors![0]!.message).not.toContain(KEY);
    }
    const wrong = await complete(bearer(sameLength));
    expect(wrong.headers.get('www-authenticate')).toBe(
      'Bearer realm="nim-graphql", error="invalid_token"',
    );
    expect(completions(stack)).toBe(before);
  });

  it('runs the operation with any configured key (scheme case-insensitive)', async () => {
    for (const headers of [bearer(KEY), bearer(OTHER_KEY), { authorization: `bearer ${KEY}` }]) {
      const result = await complete(headers);
      expect(result.status).toBe(200);
      expect(result.data!.complete.__typename).toBe('Completion');
    }
  });

  it('guards GET queries too', async () => {
    const url = `${stack.endpoint}?query=${encodeURIComponent('{ models { id } }')}`;
    const headers = { accept: 'application/graphql-response+json', 'x-graphql-yoga-csrf': '1' };
    const refused = await fetch(url, { headers });
    expect(refused.status).toBe(401);
    const allowed = await fetch(url, { headers: { ...headers, ...bearer(KEY) } });
    expect(allowed.status).toBe(200);
    expect(
      ((await allowed.json()) as { data: { models: unknown[] } }).data.models.length,
    ).toBeGreaterThan(0);
  });

  it('serves GraphQL on its endpoints only: other URLs that end like them are 404, key or not', async () => {
    const origin = new URL(stack.endpoint).origin;
    for (const path of [
      '/x/graphql',
      '/health/graphql',
      '/?q=/graphql',
      '/x/graphql/stream',
      '/graphql/x',
    ]) {
      for (const auth of [{}, bearer(KEY)]) {
        const response = await fetch(`${origin}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...auth },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        expect(response.status, path).toBe(404);
        expect(await response.text(), path).toContain('NOT_FOUND');
      }
    }
    const slash = await fetch(`${origin}/graphql/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(slash.status).toBe(401);
  });

  it('serves GraphiQL without a key, with the Authorization header ready to fill in', async () => {
    const response = await fetch(stack.endpoint, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('nim-graphql');
    // Inside the page's script, `<` and `>` are escaped so that no value can close it.
    expect(html).toContain('Bearer \\u003cyour key\\u003e');
  });

  it('leaves health checks open', async () => {
    for (const path of ['/health', '/health/live', '/health/ready']) {
      const response = await fetch(new URL(path, stack.endpoint));
      expect(response.status, path).not.toBe(401);
      expect(await response.text(), path).not.toContain('UNAUTHENTICATED');
    }
  });

  it('SSE subscriptions: 401 before any upstream call without the key, the stream with it', async () => {
    const variables = { model: MODEL, prompt: 'Once', maxTokens: 4 };
    const before = completions(stack);
    const refused = await fetch(stack.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: COMPLETION_STREAM, variables }),
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    expect(
      ((await refused.json()) as { errors: { extensions: unknown }[] }).errors[0]!.extensions,
    ).toEqual({ code: 'UNAUTHENTICATED' });
    await expect(
      collect(stack.endpoint, COMPLETION_STREAM, variables, { headers: bearer(`${KEY}x`) }),
    ).rejects.toThrow(/answered 401/);
    expect(completions(stack)).toBe(before);

    const events = await collect(stack.endpoint, COMPLETION_STREAM, variables, {
      headers: bearer(KEY),
    });
    expect(events.at(-1)!.__typename).toBe('CompletionDone');
  });

  it('graphql-sse single-connection mode on /graphql/stream: refused without the key, works with it', async () => {
    const url = `${stack.endpoint}/stream`;
    const reservation = await fetch(url, { method: 'PUT' });
    expect(reservation.status).toBe(401);

    const client = createClient({
      url,
      singleConnection: true,
      retryAttempts: 0,
      headers: bearer(KEY),
    });
    const names: string[] = [];
    for await (const result of client.iterate({
      query: COMPLETION_STREAM,
      variables: { model: MODEL, prompt: 'Once', maxTokens: 3 },
    })) {
      names.push((result.data!.completionStream as { __typename: string }).__typename);
    }
    client.dispose();
    expect(names.at(-1)).toBe('CompletionDone');
  });
});

describe('client auth from GATEWAY_API_KEYS_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nim-graphql-keys-'));
  const file = join(dir, 'keys');
  let stack: Stack;
  beforeAll(async () => {
    writeFileSync(file, `# one key a line\n${KEY}\n\n  ${OTHER_KEY}  \n`);
    stack = await startStack({ GATEWAY_API_KEYS_FILE: file }, { tokenDelayMs: 0 });
  });
  afterAll(async () => {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts every key of the file and nothing else', async () => {
    for (const key of [KEY, OTHER_KEY]) {
      const result = await postGraphQL(stack.endpoint, '{ __typename }', undefined, {
        headers: bearer(key),
      });
      expect(result.status, key).toBe(200);
    }
    expectUnauthenticated(
      await postGraphQL(stack.endpoint, '{ __typename }', undefined, {
        headers: bearer('# one key a line'),
      }),
    );
    expectUnauthenticated(await postGraphQL(stack.endpoint, '{ __typename }'));
  });
});

describe('without client keys', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({}, { tokenDelayMs: 0 });
  });
  afterAll(() => stack.close());

  it('needs no Authorization header and ignores one', async () => {
    expect((await postGraphQL(stack.endpoint, '{ __typename }')).status).toBe(200);
    expect(
      (
        await postGraphQL(stack.endpoint, '{ __typename }', undefined, {
          headers: bearer('anything-at-all-here'),
        })
      ).status,
    ).toBe(200);
  });
});
