// Text answers compressed by Accept-Encoding (gzip, br), streams never: raw bytes through undici's
// request, which does not decode them.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

async function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, string>; body: Buffer }> {
  const response = await request(url, { headers });
  const body = Buffer.from(await response.body.arrayBuffer());
  return {
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
