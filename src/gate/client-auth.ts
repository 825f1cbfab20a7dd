// Client auth: with GATEWAY_API_KEYS set, every GraphQL request carries `Authorization: Bearer <key>`
// (the gate checks it on every way in). Also names the caller (a key fingerprint, or the remote
// address without auth) for rate limits and logs.
import { createHash, timingSafeEqual } from 'node:crypto';
import { IncomingMessage } from 'node:http';

// A string is hashed as its UTF-8 bytes.
const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

export const REALM = 'Bearer realm="nim-graphql"';

export function bearerToken(authorization: string | null | undefined): string | null {
  // Stryker disable next-line StringLiteral: any stand-in for a missing header that does not start with "Bearer " parses to null too.
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return match?.[1] ?? null;
}

/** The peer of the TCP connection; Yoga's Node adapter puts the IncomingMessage in the server context. */
function remoteAddress(serverContext: unknown): string {
  const req =
    typeof serverContext === 'object' && serverContext !== null
      ? (serverContext as { req?: unknown }).req
      : undefined;
  // Stryker disable next-line OptionalChaining: an IncomingMessage always keeps its socket; only the address goes when it closes.
  const address = req instanceof IncomingMessage ? req.socket?.remoteAddress : undefined;
  return address?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') ?? 'unknown';
}

/** `name:key` names a key (in usage, budgets, logs and metrics); a bare key is named by its fingerprint. */
export function namedKey(entry: string): { name: string | null; key: string } {
  const match = /^([a-z0-9][a-z0-9_-]{0,62}):(.+)$/.exec(entry);
  return match ? { name: match[1]!, key: match[2]! } : { name: null, key: entry };
}

export class ClientAuth {
  readonly #digests: readonly Buffer[];
  /** The name of each key, by its digest's hex. */
  readonly #names = new Map<string, string>();

  constructor(keys: readonly string[]) {
    this.#digests = keys.map((entry) => {
      const { name, key } = namedKey(entry);
      const digest = sha256(key);
      if (name !== null) this.#names.set(digest.toString('hex'), name);
      return digest;
    });
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

  /**
   * A stable, non-secret name for the caller, the same on every gateway instance (rate limits and
   * budgets in Redis are shared by it): `key:<name>` for a named key, else `key:` + 12 hex digits of
   * the key's SHA-256, or `ip:<address>` without client auth.
   */
  identify(request: Request, serverContext: unknown): string {
    const token = this.enabled ? bearerToken(request.headers.get('authorization')) : null;
    const digest = token === null ? null : this.match(token);
    if (digest === null) return `ip:${remoteAddress(serverContext)}`;
    const hex = digest.toString('hex');
    return `key:${this.#names.get(hex) ?? hex.slice(0, 12)}`;
  }
}
