// Text answers compressed by Accept-Encoding (gzip, br), streams never: raw bytes through undici's
// request, which does not decode them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCompression } from '../../src/plugins/use-compression.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

async function get(
  url: string,
  headers: Record<string, string>,
  method: 'GET' | 'HEAD' = 'GET',
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const response = await request(url, { method, headers });
  const body = Buffer.from(await response.body.arrayBuffer());
  return {
    status: response.statusCode,
    headers: Object.fromEntries(
      Object.entries(response.headers).map(([name, value]) => [name, String(value)]),
    ),
    body,
  };
}

describe('compression', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('compresses /metrics in the encoding the scraper prefers', async () => {
    const metrics = `${stack.server.url}/metrics`;
    const plain = await get(metrics, { 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(plain.body.toString('utf8')).toContain('nim_graphql_operations_total');
    const gzip = await get(metrics, { 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).toString('utf8')).toContain('nim_graphql_operations_total');
    expect(gzip.body.length).toBeLessThan(plain.body.length / 3);
    const br = await get(metrics, { 'accept-encoding': 'gzip;q=0.5, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(brotliDecompressSync(br.body).toString('utf8')).toContain(
      'nim_graphql_operations_total',
    );
    expect((await get(metrics, {})).headers['content-encoding']).toBeUndefined();
  });

  it('never compresses a server-sent event stream', async () => {
    const query = `subscription { chatStream(model: "${MODEL}", messages: [{ role: USER, content: "Hi" }], maxTokens: 40) { __typename } }`;
    const stream = await get(`${stack.endpoint}?query=${encodeURIComponent(query)}`, {
      accept: 'text/event-stream',
      'accept-encoding': 'gzip, br',
      'x-graphql-yoga-csrf': '1',
    });
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    // Yoga marks its streams `none` so that proxies leave them alone too.
    expect(stream.headers['content-encoding'] ?? 'none').toBe('none');
    expect(stream.body.toString('utf8')).toContain('ChatDone');
  });
});

/** What a GET of /metrics (thousands of bytes of text) comes back in, for an Accept-Encoding. */
describe('Accept-Encoding, as /metrics reads it', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it.each([
    ['GZIP', 'gzip'],
    ['BR;Q=0, GZIP', 'gzip'],
    [' gzip ; q=0.8 , br ; q=0.4 ', 'gzip'],
    ['gzip;q=0.4, br;q=0.5', 'br'],
    ['br;q=0.5, gzip;q=0.5', 'br'],
    ['gzip;level=9', 'gzip'],
    ['br;q=x, gzip;q=0.1', 'gzip'],
    ['*;q=0.5, br;q=0', 'gzip'],
    ['*;q=0.2, gzip;q=0.1', 'br'],
    [', ,br', 'br'],
    ['gzip;q=x', undefined],
    ['br;q=x', undefined],
    ['br;q=0', undefined],
    ['*;q=0', undefined],
    ['deflate, identity', undefined],
    ['', undefined],
  ])('%j: %s', async (acceptEncoding, expected) => {
    const raw = await get(`${stack.server.url}/metrics`, { 'accept-encoding': acceptEncoding });
    expect(raw.headers['content-encoding']).toBe(expected);
    expect(raw.headers.vary).toBe('Accept-Encoding');
    const text = (
      expected === 'br'
        ? brotliDecompressSync(raw.body)
        : expected === 'gzip'
          ? gunzipSync(raw.body)
          : raw.body
    ).toString('utf8');
    expect(text).toContain('nim_graphql_operations_total');
  });
});

/** Text that compresses well, `bytes` long. */
const text = (bytes: number) =>
  Buffer.from(
    'the harbor lighthouse guards the ships. '.repeat(Math.ceil(bytes / 40)).slice(0, bytes),
  );

/**
 * An answer as its maker gives it to the plugin: `/probe?bytes=2000&status=200&length=1&h=name:value`
 * (length=0: no Content-Length, the body a stream), a body of that many bytes of text.
 */
const probe: Plugin = {
  onRequest({ url, endResponse, fetchAPI }) {
    if (url.pathname !== '/probe') return;
    const params = url.searchParams;
    const body = text(Number(params.get('bytes')));
    const headers = new fetchAPI.Headers();
    for (const header of params.getAll('h')) {
      const colon = header.indexOf(':');
      headers.append(header.slice(0, colon), header.slice(colon + 1));
    }
    if (params.get('length') !== '0') headers.set('content-length', String(body.length));
    const stream = new fetchAPI.ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(body));
        controller.close();
      },
    });
    endResponse(
      new fetchAPI.Response(params.get('length') === '0' ? stream : new Uint8Array(body), {
        status: Number(params.get('status') ?? 200),
        statusText: params.get('statusText') ?? undefined,
        headers,
      }),
    );
  },
};

describe('the compression of any text answer', () => {
  let server: Server | undefined;
  let listening: Promise<string> | undefined;
  /** The server, started by the first test that asks (its plugins built inside a test). */
  const origin = () =>
    (listening ??= (async () => {
      const yoga = createYoga({
        schema: createSchema({ typeDefs: 'type Query { a: Int }' }),
        plugins: [probe, useCompression()],
        logging: false,
      });
      server = createServer(yoga);
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    })());
  afterAll(
    () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  );

  const answer = async (
    query: Record<string, string | string[]>,
    acceptEncoding = 'gzip',
    method: 'GET' | 'HEAD' = 'GET',
  ) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      for (const one of [value].flat()) search.append(name, one);
    return get(`${await origin()}/probe?${search}`, { 'accept-encoding': acceptEncoding }, method);
  };
  const compressed = async (query: Record<string, string | string[]>, acceptEncoding = 'gzip') => {
    const raw = await answer(query, acceptEncoding);
    const body = Number(query.bytes);
    expect(raw.headers['content-encoding'], 'encoded').toBe(acceptEncoding);
    expect(Number(raw.headers['content-length'])).toBe(raw.body.length);
    expect(raw.body.length).toBeLessThan(body / 4);
    const plain = acceptEncoding === 'br' ? brotliDecompressSync(raw.body) : gunzipSync(raw.body);
    expect(plain.equals(text(body)), 'the body').toBe(true);
    return raw;
  };
  /** The answer as its maker made it: same bytes, no Content-Encoding, no Vary added. */
  const untouched = async (query: Record<string, string | string[]>, vary?: string) => {
    const raw = await answer(query);
    expect(raw.headers['content-encoding'], 'not encoded').toBeUndefined();
    expect(raw.headers.vary, 'Vary').toBe(vary);
    expect(raw.body.equals(text(Number(query.bytes))), 'the body').toBe(true);
    return raw;
  };

  it.each([
    'text/plain; charset=utf-8',
    'TEXT/CSS',
    'text/html',
    'application/javascript',
    'application/xml; charset=utf-8',
    'image/svg+xml',
  ])('compresses %s', async (type) => {
    const raw = await compressed({ bytes: '4000', h: `content-type:${type}` });
    expect(raw.headers.vary).toBe('Accept-Encoding');
    expect(raw.headers['content-type']).toBe(type);
    await compressed({ bytes: '4000', h: `content-type:${type}` }, 'br');
  });

  it.each([
    'application/json',
    'application/graphql-response+json',
    'image/png',
    'text/event-stream',
    'application/octet-stream',
  ])('leaves %s alone', async (type) => {
    await untouched({ bytes: '4000', h: `content-type:${type}` });
  });

  it('leaves alone an answer without a type, other than 200, to HEAD, or already encoded', async () => {
    await untouched({ bytes: '4000' });
    await untouched({ bytes: '4000', status: '404', h: 'content-type:text/plain' });
    await untouched({ bytes: '4000', status: '203', h: 'content-type:text/plain' });
    const head = await answer({ bytes: '4000', h: 'content-type:text/plain' }, 'gzip', 'HEAD');
    expect(head.headers['content-encoding']).toBeUndefined();
    expect(head.headers['content-length']).toBe('4000');
    const raw = await answer({
      bytes: '4000',
      h: ['content-type:text/plain', 'content-encoding:identity'],
    });
    expect(raw.headers['content-encoding']).toBe('identity');
    expect(raw.body.equals(text(4000))).toBe(true);
  });

  it('leaves alone what its maker encoded already (Vary: Accept-Encoding) or marked no-transform', async () => {
    await untouched(
      { bytes: '4000', h: ['content-type:text/plain', 'vary:Origin, accept-encoding'] },
      'Origin, accept-encoding',
    );
    const kept = await untouched({
      bytes: '4000',
      h: ['content-type:text/plain', 'cache-control:public, No-Transform'],
    });
    expect(kept.headers['cache-control']).toBe('public, No-Transform');
  });

  it('adds Accept-Encoding to the Vary its maker set', async () => {
    const raw = await compressed({
      bytes: '4000',
      h: ['content-type:text/plain', 'vary:Origin', 'cache-control:max-age=60'],
    });
    expect(raw.headers.vary).toBe('Origin, Accept-Encoding');
    expect(raw.headers['cache-control']).toBe('max-age=60');
  });

  it('compresses from 1024 bytes on, whether or not the maker said the length', async () => {
    for (const length of ['1', '0']) {
      await untouched({ bytes: '1023', length, h: 'content-type:text/plain' });
      const raw = await answer({ bytes: '1024', length, h: 'content-type:text/plain' });
      expect(raw.headers['content-encoding'], `length=${length}`).toBe('gzip');
      expect(gunzipSync(raw.body).equals(text(1024))).toBe(true);
      expect(raw.headers.vary).toBe('Accept-Encoding');
    }
  });

  it('keeps the status text, and answers a client that takes no encoding as made, with Vary', async () => {
    const raw = await request(
      `${await origin()}/probe?bytes=4000&length=0&statusText=Fine&h=content-type:text/plain`,
      {
        headers: { 'accept-encoding': 'identity' },
      },
    );
    const body = Buffer.from(await raw.body.arrayBuffer());
    expect(raw.statusCode).toBe(200);
    expect(raw.headers.vary).toBe('Accept-Encoding');
    expect(raw.headers['content-encoding']).toBeUndefined();
    expect(body.equals(text(4000))).toBe(true);
    const response = await fetch(
      `${await origin()}/probe?bytes=4000&length=0&statusText=Fine&h=content-type:text/plain`,
      {
        headers: { 'accept-encoding': 'gzip' },
      },
    );
    expect(response.statusText).toBe('Fine');
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(Buffer.from(await response.arrayBuffer()).equals(text(4000))).toBe(true);
  });
});
