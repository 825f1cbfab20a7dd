// A JSON body within the size limit, read from node:http and parsed before Yoga's node adapter takes
// the request: the adapter's documented way for a body already read (`req.body`, as Express's body
// parser leaves it), which saves wrapping the socket in a Fetch ReadableStream per request. Yoga and
// every plugin see the same request; only how the bytes were read differs.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What clients send; the adapter keeps the type of a parsed body only when it names JSON. */
const JSON_TYPE = /^application\/json\s*(?:;|$)/i;

type WithBody = IncomingMessage & { body?: unknown };

/**
 * Documents seen lately, each kept once: clients send the same few operations again and again, and
 * each request keeps its document's text for as long as its answer takes (a held stream, ~0.7 KiB
 * for a generated operation). A body's `query` equal to a known one is swapped for the known string.
 * The most recently used MAX_DOCUMENTS of at most MAX_DOCUMENT_CHARS each: a few MB at the most.
 */
const documents = new Map<string, string>();
const MAX_DOCUMENTS = 256;
const MAX_DOCUMENT_CHARS = 8 * 1024;

function shared(query: string): string {
  if (query.length > MAX_DOCUMENT_CHARS) return query;
  const known = documents.get(query);
  if (known !== undefined) {
    // Used again: now the most recent.
    documents.delete(known);
    documents.set(known, known);
    return known;
  }
  documents.set(query, query);
  if (documents.size > MAX_DOCUMENTS) documents.delete(documents.keys().next().value!);
  return query;
}

/** The request's document (each one of a batch) as the shared copy of its text. */
function shareDocuments(body: object): void {
  for (const params of Array.isArray(body) ? body : [body]) {
    const query = (params as { query?: unknown } | null)?.query;
    if (typeof query === 'string') (params as { query: string }).query = shared(query);
  }
}

/**
 * Reads the body first when it is declared JSON with a Content-Length within `maxBytes` (the gate
 * refuses a longer one, or one without a length, before it is read), then calls `next`; otherwise
 * calls `next` at once. The adapter takes a parsed object or array as it is; any other body (not
 * JSON, `null`, a string, `{}`) goes as the bytes read, which Yoga parses, and refuses, as before.
 */
export function withJsonBody(
  maxBytes: number,
  next: (request: IncomingMessage, response: ServerResponse) => void,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const type = request.headers['content-type'];
    const length = Number(request.headers['content-length']);
    if (
      request.method !== 'POST' ||
      type === undefined ||
      !JSON_TYPE.test(type) ||
      !(length > 0 && length <= maxBytes)
    )
      return next(request, response);
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => void chunks.push(chunk);
    request.on('data', onData);
    // No error listener: a body that breaks off destroys its socket, and node:http does not emit a
    // request's error to no listener; the request is then dropped unanswered, with its chunks.
    request.once('end', () => {
      // Nothing of the read stays on the request for as long as its answer takes (a held stream).
      request.off('data', onData);
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      (request as WithBody).body = parsed(bytes) ?? bytes;
      next(request, response);
    });
  };
}

/** The parsed body when the adapter would take it as it is: an object or array with something in it. */
function parsed(bytes: Buffer): object | null {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Object.keys(value).length === 0) return null;
  shareDocuments(value);
  return value;
}
