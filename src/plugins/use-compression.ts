// Text answers compressed with gzip or brotli (node:zlib), chosen from the client's Accept-Encoding:
// /metrics and any other text page. Never a stream (server-sent events, multipart), and not
// GraphQL's JSON answers (small, and answered as they always were). Static files that are compressed once and kept use `encode` with 'static' effort.
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { FetchAPI, Plugin } from 'graphql-yoga';

export type Encoding = 'br' | 'gzip';

/** Text worth compressing; text/event-stream is a stream and must flush event by event. */
const COMPRESSIBLE = /^(text\/(?!event-stream)|application\/(javascript|xml)|image\/svg\+xml)/i;
/** Below this, compressing saves less than it costs (and than a packet). */
const MIN_BYTES = 1024;

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/**
 * Kept bodies are compressed once, so harder: brotli 9 (10 and 11 take ten times as long on
 * GraphiQL's 5 MB script for 8% less); answers made per request at the fast levels.
 */
const LEVELS = { static: { br: 9, gzip: 9 }, dynamic: { br: 4, gzip: 6 } } as const;

/** The body compressed (in a zlib buffer, never shared memory: typed so that Response takes it). */
export async function encode(
  body: Uint8Array,
  encoding: Encoding,
  effort: 'static' | 'dynamic',
): Promise<Uint8Array<ArrayBuffer>> {
  const level = LEVELS[effort][encoding];
  if (encoding === 'gzip') return (await gzipped(body, { level })) as Uint8Array<ArrayBuffer>;
  const encoded = await brotli(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: level,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
    },
  });
  return encoded as Uint8Array<ArrayBuffer>;
}

/** The client's preferred of br and gzip by Accept-Encoding q-values (br on a tie), or null for none. */
export function negotiateEncoding(acceptEncoding: string | null): Encoding | null {
  if (!acceptEncoding) return null;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name = '', ...params] = part.split(';').map((piece) => piece.trim());
    // Stryker disable next-line StringLiteral: an empty name's weight is stored under '' and never read
    if (name === '') continue;
    const q = params.find((param) => param.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const weight = (encoding: Encoding) => weights.get(encoding) ?? weights.get('*') ?? 0;
  const br = weight('br');
  const gz = weight('gzip');
  if (br <= 0 && gz <= 0) return null;
  return br >= gz ? 'br' : 'gzip';
}

function compressible(request: Request, response: Response): boolean {
  if (request.method === 'HEAD' || response.status !== 200) return false;
  const type = response.headers.get('content-type');
  if (type === null || !COMPRESSIBLE.test(type) || response.headers.has('content-encoding'))
    return false;
  // Its maker chose the encoding already (GraphiQL's kept files).
  if (/\baccept-encoding\b/i.test(response.headers.get('vary') ?? '')) return false;
  if (/\bno-transform\b/i.test(response.headers.get('cache-control') ?? '')) return false;
  const length = response.headers.get('content-length');
  return length === null || Number(length) >= MIN_BYTES;
}

export function useCompression(): Plugin {
  return {
    // Synchronous for what it leaves alone: a promise per request is one more step Yoga waits for.
    onResponse({ request, response, setResponse, fetchAPI }) {
      if (!compressible(request, response)) return undefined;
      return compress(request, response, setResponse, fetchAPI);
    },
  };
}

async function compress(
  request: Request,
  response: Response,
  setResponse: (response: Response) => void,
  fetchAPI: FetchAPI,
): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  const headers = new fetchAPI.Headers(response.headers);
  const encoding =
    body.byteLength < MIN_BYTES ? null : negotiateEncoding(request.headers.get('accept-encoding'));
  if (body.byteLength >= MIN_BYTES) headers.append('vary', 'Accept-Encoding');
  const init = { status: response.status, statusText: response.statusText, headers };
  if (encoding === null) {
    setResponse(new fetchAPI.Response(body, init));
    return;
  }
  const encoded = await encode(body, encoding, 'dynamic');
  headers.set('content-encoding', encoding);
  headers.set('content-length', String(encoded.byteLength));
  setResponse(new fetchAPI.Response(encoded, init));
}
