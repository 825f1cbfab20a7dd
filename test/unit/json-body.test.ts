// JSON bodies read from node:http before Yoga's adapter takes the request (src/gate/json-body.ts):
// what is handed on, what is passed through unread, and what is left on the request afterwards.
import { createServer, request as send, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { getHeapSnapshot } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { withJsonBody } from '../../src/gate/json-body.ts';

/** How many strings in this process's heap are `text` (a heap snapshot; strings have no identity to compare otherwise). */
async function copiesInHeap(text: string): Promise<number> {
  const parts: Buffer[] = [];
  for await (const part of getHeapSnapshot()) parts.push(part as Buffer);
  const snapshot = JSON.parse(Buffer.concat(parts).toString('utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const { node_fields: fields, node_types: types } = snapshot.snapshot.meta;
  const type = fields.indexOf('type');
  const name = fields.indexOf('name');
  const stringType = types[0].indexOf('string');
  let copies = 0;
  for (let i = 0; i < snapshot.nodes.length; i += fields.length)
    if (
      snapshot.nodes[i + type] === stringType &&
      snapshot.strings[snapshot.nodes[i + name]!] === text
    )
      copies += 1;
  return copies;
}

type Seen = { body: unknown; data: number; error: number; end: number };

let server: Server | undefined;
afterEach(
  () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
);

/** A server whose handler is withJsonBody(maxBytes, next); `next` records what it got and answers. */
async function serve(maxBytes: number, seen: Seen[]): Promise<number> {
  server = createServer(
    withJsonBody(maxBytes, (request: IncomingMessage & { body?: unknown }, response) => {
      seen.push({
        body: request.body,
        data: request.listenerCount('data'),
        error: request.listenerCount('error'),
        end: request.listenerCount('end'),
      });
      response.end('ok');
    }),
  );
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

const post = (port: number, body: string, headers: Record<string, string>) =>
  new Promise<string>((resolve, reject) => {
    const req = send(
      { host: '127.0.0.1', port, method: 'POST', path: '/graphql', headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end(body);
  });

describe('withJsonBody', () => {
  it('hands on the parsed body and leaves none of its listeners on the request', async () => {
    const seen: Seen[] = [];
    const port = await serve(1024, seen);
    const body = JSON.stringify({ query: '{ a }' });
    const answer = await post(port, body, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
    });
    expect(answer).toBe('ok');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body).toEqual({ query: '{ a }' });
    // The data listener (and the chunks it gathered) is gone.
    expect(seen[0]!).toMatchObject({ data: 0, end: 0, error: 0 });
  });

  it('hands on one copy of a document that many requests send', async () => {
    const seen: Seen[] = [];
    const port = await serve(4096, seen);
    const query = `query Shared { a } # ${'x'.repeat(300)} ${Math.random()}`;
    const body = JSON.stringify({ query, variables: {} });
    for (let i = 0; i < 10; i++)
      await post(port, body, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      });
    expect(seen.map((s) => (s.body as { query: string }).query)).toEqual(Array(10).fill(query));
    // The test's own `query` and the one the ten bodies share: not one per body.
    expect(await copiesInHeap(query)).toBeLessThanOrEqual(2);
  });

  it('hands on the bytes of a body the adapter would not take as it is', async () => {
    const seen: Seen[] = [];
    const port = await serve(1024, seen);
    await post(port, '{}', { 'content-type': 'application/json', 'content-length': '2' });
    await post(port, 'nope', { 'content-type': 'application/json', 'content-length': '4' });
    expect(seen.map((s) => Buffer.isBuffer(s.body) && s.body.toString())).toEqual(['{}', 'nope']);
  });

  it('passes on unread what is not a JSON POST within the limit', async () => {
    const seen: Seen[] = [];
    const port = await serve(8, seen);
    const long = JSON.stringify({ query: '{ a }' });
    await post(port, long, {
      'content-type': 'application/json',
      'content-length': String(long.length),
    });
    await post(port, 'a=1', { 'content-type': 'text/plain', 'content-length': '3' });
    expect(seen.map((s) => s.body)).toEqual([undefined, undefined]);
  });

  it('cuts the connection of a body that breaks off, and nothing else happens', async () => {
    const seen: Seen[] = [];
    const port = await serve(1024, seen);
    const closed = new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"query":',
        );
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
    });
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]);
    // The server still answers.
    const body = '{"query":"{ a }"}';
    expect(
      await post(port, body, {
        'content-type': 'application/json',
        'content-length': String(body.length),
      }),
    ).toBe('ok');
  });
});
