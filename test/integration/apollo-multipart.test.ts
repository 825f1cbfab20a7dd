// Apollo Client's own HttpLink, with its defaults, against the gateway: queries as JSON, and
// subscriptions over Apollo's multipart protocol on the same endpoint, typed errors included.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createSchema, createYoga, isAsyncIterable } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import possibleTypes from '../../examples/gql/possible-types.ts';
import { useMultipartSubscriptions } from '../../src/plugins/use-multipart-subscriptions.ts';
import { footprint, settle, settledLike } from '../support/leaks.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';
import { CHAT_STREAM } from '../support/streams.ts';
import { MULTIPART_ACCEPT, multipartParts } from '../support/ways.ts';

type Event = Record<string, any>;

describe("Apollo Client's multipart subscriptions", () => {
  let stack: Stack;
  let client: ApolloClient;
  beforeAll(async () => {
    stack = await startStack({}, { tokenDelayMs: 5 });
    client = new ApolloClient({
      link: new HttpLink({ uri: stack.endpoint }),
      cache: new InMemoryCache({ possibleTypes: possibleTypes.possibleTypes }),
    });
  });
  afterAll(async () => {
    client.stop();
    await stack.close();
  });

  const variables = {
    model: MODEL,
    messages: [{ role: 'USER', content: 'Tell me about lighthouses.' }],
    maxTokens: 8,
    options: { ignoreEos: true },
  };
  /** Every event of a subscription, until Apollo completes it or fails. */
  const events = (vars: Record<string, unknown>) =>
    new Promise<Event[]>((resolve, reject) => {
      const seen: Event[] = [];
      client.subscribe({ query: gql(CHAT_STREAM), variables: vars }).subscribe({
        next: (result) => {
          if (result.error) reject(result.error);
          else seen.push((result.data as Event).chatStream);
        },
        error: reject,
        complete: () => resolve(seen),
      });
    });

  it('streams a chat with the defaults: chunks, then Done, then complete', async () => {
    const seen = await events(variables);
    const names = seen.map((e) => e.__typename);
    expect(names.at(-1)).toBe('ChatDone');
    expect(names.slice(0, -1).every((n) => n === 'ChatChunk')).toBe(true);
    expect(names.filter((n) => n === 'ChatChunk').length).toBeGreaterThanOrEqual(8);
    const text = seen
      .filter((e) => e.__typename === 'ChatChunk')
      .map((e) => e.content)
      .join('');
    expect(seen.at(-1)!.reply.content).toBe(text);
    expect(seen.at(-1)!.usage.completionTokens).toBe(8);
  });

  it('delivers a typed error as the stream event, with its interface fields', async () => {
    const seen = await events({ ...variables, model: 'no/such-model' });
    expect(seen).toEqual([
      expect.objectContaining({
        __typename: 'ModelNotFoundError',
        code: 'MODEL_NOT_FOUND',
        message: expect.stringContaining('no/such-model'),
      }),
    ]);
  });

  it('a query still goes as JSON', async () => {
    const { data } = await client.query({ query: gql('{ models { id } }') });
    expect((data as Event).models.map((m: Event) => m.id)).toContain(MODEL);
  });

  it('Stop (unsubscribe) ends the upstream call, leaving nothing behind', async () => {
    const slow = await startStack({}, { tokenDelayMs: 50 });
    const slowClient = new ApolloClient({
      link: new HttpLink({ uri: slow.endpoint }),
      cache: new InMemoryCache({ possibleTypes: possibleTypes.possibleTypes }),
    });
    try {
      await slowClient.query({ query: gql('{ models { id } }') });
      const before = footprint();
      let chunks = 0;
      const subscription = slowClient
        .subscribe({ query: gql(CHAT_STREAM), variables: { ...variables, maxTokens: 200 } })
        .subscribe({
          next: () => {
            chunks += 1;
            if (chunks === 2) subscription.unsubscribe();
          },
        });
      await slow.sim.waitForAbort('/v1/chat/completions', 5_000);
      expect(chunks).toBe(2);
      expect(await settle(slow, before)).toMatchObject(settledLike(before));
    } finally {
      slowClient.stop();
      await slow.close();
    }
  });
});

describe('the multipart protocol on the wire', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({}, { tokenDelayMs: 0 });
  });
  afterAll(() => stack.close());
  const post = (body: Record<string, unknown>, accept = MULTIPART_ACCEPT) =>
    fetch(stack.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept },
      body: JSON.stringify(body),
    });
  const chat = {
    query: CHAT_STREAM,
    variables: {
      model: MODEL,
      messages: [{ role: 'USER', content: 'Hi' }],
      maxTokens: 3,
      options: { ignoreEos: true },
    },
  };

  it("answers in Apollo's format: boundary graphql, each result under payload, a final boundary", async () => {
    const response = await post(chat);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(
      'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"',
    );
    const text = await response.clone().text();
    expect(
      text.startsWith('\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{}'),
    ).toBe(true);
    expect(text.endsWith('\r\n--graphql--\r\n')).toBe(true);
    const parts = await multipartParts(response);
    expect(parts.every((part) => Object.keys(part).join() === 'payload')).toBe(true);
    const names = parts.map((part) => (part.payload as Event).data.chatStream.__typename);
    // The simulator's tokens come in one read here, relayed as one chunk or a few.
    expect(names.at(-1)).toBe('ChatDone');
    expect(names.length).toBeGreaterThan(1);
    expect(new Set(names.slice(0, -1))).toEqual(new Set(['ChatChunk']));
  });

  it('takes the spec quoted, spaced or in capitals, and only with subscriptionSpec 1.0', async () => {
    for (const accept of [
      'multipart/mixed; boundary="graphql"; subscriptionSpec="1.0", application/json',
      'Multipart/Mixed;SUBSCRIPTIONSPEC=1.0',
      // Second in the list, and spaces inside the parameter.
      'application/json;q=0.5, multipart/mixed;subscriptionSpec = "1.0"',
    ]) {
      const response = await post(chat, accept);
      expect(response.headers.get('content-type'), accept).toMatch(/^multipart\/mixed/);
      await response.body?.cancel();
    }
    for (const accept of [
      'multipart/mixed',
      'multipart/mixed;subscriptionSpec=2.0',
      // The parameter on another type is not Apollo's protocol.
      'application/json;subscriptionSpec=1.0',
    ]) {
      const response = await post(chat, accept);
      expect(response.status, accept).toBe(406);
      await response.body?.cancel();
    }
    // No Accept at all (fetch would send */*): not multipart, and not a failure of the gateway.
    const bare = await new Promise<IncomingMessage>((resolve, reject) =>
      httpRequest(
        stack.endpoint,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        resolve,
      )
        .on('error', reject)
        .end(JSON.stringify(chat)),
    );
    expect(bare.headers['content-type'] ?? '').not.toMatch(/^multipart/);
    expect(bare.statusCode).toBeLessThan(500);
    bare.destroy();
  });

  it('a subscription refused before it starts is a JSON answer Apollo reads', async () => {
    const response = await post({ query: 'subscription { chatStream { nope } }' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    const body = (await response.json()) as { errors: { message: string }[] };
    expect(body.errors[0]!.message).toMatch(/nope|argument/);
  });
});

describe('heartbeats and a stream that fails', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: 'type Query { ok: Boolean } type Subscription { slow: Int, broken: Int }',
        resolvers: {
          Subscription: {
            slow: {
              async *subscribe() {
                yield { slow: 1 };
                await sleep(200);
                yield { slow: 2 };
              },
            },
            broken: {
              async *subscribe() {
                yield { broken: 1 };
                throw new Error('secret engine detail');
              },
            },
          },
        },
      }),
      logging: false,
      plugins: [
        {
          // With x-break, the stream itself fails after its first result (not a resolver: graphql-js
          // turns what those throw into an error result).
          onResultProcess({ request, result, setResult }) {
            if (request.headers.get('x-break') === null || !isAsyncIterable(result)) return;
            setResult(
              (async function* () {
                for await (const value of result) {
                  yield value;
                  throw new Error('secret stream detail');
                }
              })(),
            );
          },
        },
        useMultipartSubscriptions({ heartbeatMs: 40 }),
      ],
    });
    server = createServer(yoga);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const raw = async (query: string, headers: Record<string, string> = {}) =>
    (
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: MULTIPART_ACCEPT, ...headers },
        body: JSON.stringify({ query }),
      })
    ).text();
  const bodies = (text: string) =>
    text
      .split('\r\n--graphql')
      .filter((part) => part.includes('\r\n\r\n'))
      .map((part) => part.slice(part.indexOf('\r\n\r\n') + 4));

  it('sends {} while the stream is quiet, and stops when it ends', async () => {
    const parts = bodies(await raw('subscription { slow }'));
    const results = parts.filter((p) => p !== '{}');
    expect(results).toEqual(['{"payload":{"data":{"slow":1}}}', '{"payload":{"data":{"slow":2}}}']);
    const between = parts.slice(parts.indexOf(results[0]!) + 1, parts.indexOf(results[1]!));
    expect(between.length).toBeGreaterThanOrEqual(2);
    expect(between.every((p) => p === '{}')).toBe(true);
  });

  it('a resolver that throws: its masked error as the payload, then the end', async () => {
    const text = await raw('subscription { broken }');
    expect(bodies(text).filter((p) => p !== '{}')).toEqual([
      '{"payload":{"data":{"broken":1}}}',
      '{"payload":{"errors":[{"message":"Unexpected error.","locations":[{"line":1,"column":1}],"extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}}',
    ]);
    expect(text).not.toContain('secret');
    expect(text.endsWith('\r\n--graphql--\r\n')).toBe(true);
  });

  it('a stream that itself fails: the fatal error part (payload null), then the end', async () => {
    const text = await raw('subscription { slow }', { 'x-break': '1' });
    expect(bodies(text).filter((p) => p !== '{}')).toEqual([
      '{"payload":{"data":{"slow":1}}}',
      '{"payload":null,"errors":[{"message":"Unexpected error.","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}',
    ]);
    expect(text).not.toContain('secret');
    expect(text.endsWith('\r\n--graphql--\r\n')).toBe(true);
  });
});
