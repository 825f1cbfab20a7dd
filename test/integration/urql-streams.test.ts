// urql's own fetch transport (fetchSubscriptions, SSE) against the gateway: a streamed chat arrives
// event by event, its Done once; a typed error ends the stream once too.
import { Client, fetchExchange, gql } from '@urql/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';
import { CHAT_STREAM } from '../support/streams.ts';

type Event = Record<string, any>;

describe("urql's fetchSubscriptions", () => {
  let stack: Stack;
  let client: Client;
  beforeAll(async () => {
    stack = await startStack({}, { tokenDelayMs: 2 });
    client = new Client({
      url: stack.endpoint,
      exchanges: [fetchExchange],
      fetchSubscriptions: true,
      // urql aborts a subscription's fetch once it has ended; in Node that abort surfaces as an
      // unhandled AbortError of the finished body. The streams here end by themselves.
      fetch: (url, init) => fetch(url, { ...init, signal: null }),
    });
  });
  afterAll(() => stack.close());

  /** Every result urql delivers, until it says the stream has ended (or 5 s). */
  const results = (variables: Record<string, unknown>) =>
    new Promise<Event[]>((resolve, reject) => {
      const seen: Event[] = [];
      const timer = setTimeout(() => reject(new Error('the stream did not end')), 5_000);
      client.subscription(gql(CHAT_STREAM), variables).subscribe((result) => {
        if (result.error) reject(result.error);
        seen.push(result.data!.chatStream);
        if (result.hasNext === false) {
          clearTimeout(timer);
          // Anything urql would deliver after this shows up before the next macrotask.
          setTimeout(() => resolve(seen), 50);
        }
      });
    });
  const variables = {
    model: MODEL,
    messages: [{ role: 'USER', content: 'Hi' }],
    maxTokens: 5,
    options: { ignoreEos: true },
  };

  it('streams a chat: each chunk once, then ChatDone once', async () => {
    const seen = await results(variables);
    expect(seen.map((e) => e.__typename)).toEqual([
      'ChatChunk',
      'ChatChunk',
      'ChatChunk',
      'ChatChunk',
      'ChatChunk',
      'ChatDone',
    ]);
  });

  it('a typed error ends it once', async () => {
    const seen = await results({ ...variables, model: 'no/such-model' });
    expect(seen.map((e) => e.__typename)).toEqual(['ModelNotFoundError']);
  });

  it('on the wire: hasNext false on the terminal event only', async () => {
    const events = await collect(stack.endpoint, CHAT_STREAM, variables);
    expect(events.map((e) => e.__typename)).toEqual([
      ...Array<string>(5).fill('ChatChunk'),
      'ChatDone',
    ]);
    const raw = await (
      await fetch(stack.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: CHAT_STREAM, variables }),
      })
    ).text();
    const data = raw
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)) as Event);
    expect(data.map((d) => d.hasNext)).toEqual([...Array<undefined>(5).fill(undefined), false]);
  });
});
