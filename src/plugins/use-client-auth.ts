// Client auth: with GATEWAY_API_KEYS set, every GraphQL request carries `Authorization: Bearer <key>`.
// Also names the caller (a key fingerprint, or the remote address without auth) for rate limits and logs.
import { createHash, timingSafeEqual } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

const REALM = 'Bearer realm="nim-graphql"';

function bearerToken(authorization: string | null | undefined): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return match?.[1] ?? null;
}

/** The peer of the TCP connection; Yoga's Node adapter puts the IncomingMessage in the server context. */
function remoteAddress(serverContext: unknown): string {
  const req = typeof serverContext === 'object' && serverContext !== null ? (serverContext as { req?: unknown }).req : undefined;
  const address = req instanceof IncomingMessage ? req.socket?.remoteAddress : undefined;
  return address?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') ?? 'unknown';
}

export class ClientAuth {
  readonly #digests: readonly Buffer[];

  constructor(keys: readonly string[]) {
    this.#digests = keys.map(sha256);
  }

  get enabled(): boolean {
    return this.#digests.length > 0;
  }

  /**
   * The digest of the configured key equal to `presented`, or null. Digests have one length, so
   * timingSafeEqual applies, and every key is compared (no early exit): the time says nothing of which
   * key, or how much of one, matched.
   */
  match(presented: string): Buffer | null {
    const digest = sha256(presented);
    let found: Buffer | null = null;
    for (const known of this.#digests) {
      if (timingSafeEqual(digest, known)) found = known;
    }
    return found;
  }

  /** Whether a request with this Authorization header gets past client auth (always, when it is off). */
  admits(authorization: string | undefined): boolean {
    if (!this.enabled) return true;
    const token = bearerToken(authorization);
    return token !== null && this.match(token) !== null;
  }

  /**
   * A stable, non-secret name for the caller, the same on every gateway instance (rate limits in Redis
   * are shared by it): `key:` + 12 hex digits of the key's SHA-256, or `ip:<address>` without client auth.
   */
  identify(request: Request, serverContext: unknown): string {
    const token = this.enabled ? bearerToken(request.headers.get('authorization')) : null;
    const digest = token === null ? null : this.match(token);
    return digest === null ? `ip:${remoteAddress(serverContext)}` : `key:${digest.toString('hex').slice(0, 12)}`;
  }
}

function unauthenticated(fetchAPI: { Response: typeof Response }, message: string, challenge: string): Response {
  const body = JSON.stringify({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
  return new fetchAPI.Response(body, {
    status: 401,
    headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': challenge },
  });
}

/**
 * Refuses GraphQL requests without a valid key. Yoga's own plugins run first, so CORS preflights and
 * GraphiQL's HTML page stay open. Must come before useGraphQLSSE, which answers /graphql/stream itself.
 */
export function useClientAuth(auth: ClientAuth, endpoint: string): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (!auth.enabled || request.method === 'OPTIONS') return;
      // Yoga runs GraphQL for any URL that ends with the endpoint (`/x/graphql`, `/?q=/graphql`) and
      // graphql-sse for any path ending in `/graphql/stream`: every URL that mentions the endpoint is
      // guarded, a superset of both. Health checks do not mention it.
      if (!request.url.includes(endpoint)) return;
      const token = bearerToken(request.headers.get('authorization'));
      if (token === null) {
        endResponse(unauthenticated(fetchAPI, 'Authentication required: send the header `Authorization: Bearer <key>` with a gateway API key.', REALM));
      } else if (auth.match(token) === null) {
        endResponse(unauthenticated(fetchAPI, 'The API key is not valid.', `${REALM}, error="invalid_token"`));
      }
    },
  };
}
