// The hot path: one JSON POST to /graphql holding a query or mutation, answered with JSON. It runs
// Yoga's own pipeline from the parsed parameters on (onParams hooks, envelop with every plugin and
// the parse/validate caches, masked errors, onExecutionResult hooks, Yoga's result processor), but
// straight on node:http: without the Fetch-API adapter (Request/Response/Headers ponyfills and the
// promise chain around every hook), a third of a request's CPU in the profile (BENCHMARKS.md).
// Whatever is not exactly that (another method, path, media type or body shape, a subscription, a
// missing or wrong client key, a CORS request) goes to Yoga whole, with the body already read.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, GraphQLError, parse, type DocumentNode } from 'graphql';
import { maskError, processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import type { Context } from './context.ts';
import type { ClientAuth } from './plugins/use-client-auth.ts';
import { traceRequest, traceResponse, type Observability } from './plugins/use-observability.ts';

export interface FastPathOptions {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  observability: Observability;
  clientAuth: ClientAuth;
  /** CORS_ORIGINS is set: requests with an Origin header need Yoga's CORS headers. */
  cors: boolean;
  endpoint: string;
}

export interface FastPath {
  /** Serves (req, res) when it can; otherwise hands it to Yoga. Never throws. */
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** Requests served by each. */
  readonly counts: { fastPath: number; yoga: number };
}

type NodeRequestWithBody = IncomingMessage & { body?: Buffer };

interface Params {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown>;
}

const PARAM_KEYS = new Set(['query', 'variables', 'operationName', 'extensions']);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The body as Yoga would take it, when it is a single operation with nothing unusual; else null. */
function simpleParams(body: Buffer): Params | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(parsed) || typeof parsed.query !== 'string') return null;
  for (const key in parsed) if (!PARAM_KEYS.has(key)) return null;
  const { variables, operationName, extensions } = parsed;
  if (variables !== undefined && variables !== null && !isObject(variables)) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  if (extensions !== undefined && !isObject(extensions)) return null;
  return parsed as unknown as Params;
}

const REGULAR_MEDIA_TYPES = ['application/graphql-response+json', 'application/json'] as const;

/**
 * The media type Yoga's result processors answer a query or mutation with, for this Accept header,
 * when it is a JSON one; null when Yoga would pick SSE or multipart, or answer 406. The same reading
 * as Yoga's (`getMediaTypesForRequestInOrder`, then the last match wins and JSON is tried last).
 */
export function jsonMediaType(accept: string | undefined): string | null {
  let chosen: string | null = null;
  const accepted = (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',').reverse();
  for (const entry of accepted) {
    const [mediaType = '', ...params] = entry.split(';');
    const charset = params.find((param) => param.includes('charset=')) ?? 'charset=utf-8';
    if (charset !== 'charset=utf-8') continue;
    const [askedType, askedSubtype] = mediaType.split('/');
    for (const offered of REGULAR_MEDIA_TYPES) {
      const [type, subtype] = offered.split('/');
      if ((askedType === '*' || askedType === type) && (askedSubtype === '*' || askedSubtype === subtype)) chosen = offered;
    }
  }
  return chosen;
}

/**
 * Parsed documents by source, to tell a query or mutation from a subscription before running it
 * (Yoga parses again through its own cache). Bounded: the oldest entry goes first.
 */
class DocumentCache {
  readonly #documents = new Map<string, DocumentNode | null>();
  readonly #size: number;

  constructor(size: number) {
    this.#size = size;
  }

  get(source: string): DocumentNode | null {
    let document = this.#documents.get(source);
    if (document !== undefined) return document;
    try {
      document = parse(source, { noLocation: true });
    } catch {
      document = null;
    }
    if (this.#documents.size >= this.#size) this.#documents.delete(this.#documents.keys().next().value!);
    this.#documents.set(source, document);
    return document;
  }
}

/** What GraphQL's context and the plugins read of a request: its headers, method, URL and abort signal. */
class NodeRequestView {
  readonly method = 'POST';
  readonly headers: { get(name: string): string | null; has(name: string): boolean };
  readonly signal: AbortSignal;
  readonly #node: IncomingMessage;
  readonly #body: Params;

  constructor(node: IncomingMessage, signal: AbortSignal, body: Params) {
    this.#node = node;
    this.signal = signal;
    this.#body = body;
    const raw = node.headers;
    this.headers = {
      get: (name) => {
        const value = raw[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
      has: (name) => raw[name.toLowerCase()] !== undefined,
    };
  }

  /** The body, already read and parsed, for Yoga's JSON request parser. */
  json(): Params {
    return this.#body;
  }

  get url(): string {
    return `http://${this.#node.headers.host ?? 'localhost'}${this.#node.url ?? '/'}`;
  }
}

/** The one response shape processRegularResult builds: a string body, a plain header record. */
class PlainResponse {
  readonly body: string;
  readonly status: number;
  readonly headers: { record: Record<string, string>; set(name: string, value: string): void };

  constructor(body: string, init: { status: number; headers: Record<string, string> }) {
    this.body = body;
    this.status = init.status;
    const record = init.headers;
    this.headers = { record, set: (name, value) => void (record[name] = value) };
  }
}
const PLAIN_FETCH = { Response: PlainResponse } as unknown as Parameters<typeof processRegularResult>[1];

type YogaParams = Parameters<YogaServerInstance<Record<string, never>, Context>['getResultForParams']>[0]['params'];

/**
 * Yoga from its request parsing on, for a body known to be one JSON operation. Returns false, having
 * done nothing a retry would repeat, when Yoga's request-parse hooks refuse the request or the
 * operation is not a query or mutation: the caller then hands the request to Yoga whole.
 */
async function serve(options: FastPathOptions, documents: DocumentCache, req: IncomingMessage, res: ServerResponse, body: Params, mediaType: string): Promise<boolean> {
  const { yoga, observability } = options;
  const controller = new AbortController();
  const request = new NodeRequestView(req, controller.signal, body) as unknown as Request;
  // What Yoga's Node adapter hands its hooks: the node request and response, and waitUntil.
  const waitUntil = (work: Promise<unknown> | unknown) => void Promise.resolve(work).catch((error: unknown) => yoga.logger.error(error));
  const serverContext = { req, res, waitUntil } as unknown as Parameters<typeof yoga.parseRequest>[1];
  // Yoga's onRequestParse hooks (method check, CSRF, introspection switch, its JSON parser and checks).
  let parsed: Awaited<ReturnType<typeof yoga.parseRequest>>;
  try {
    parsed = await yoga.parseRequest(request, serverContext);
  } catch {
    return false;
  }
  const params = parsed.requestParserResult;
  if (params === undefined || Array.isArray(params) || typeof params.query !== 'string') return false;
  const document = documents.get(params.query);
  const operation = document === null ? undefined : getOperationAST(document, params.operationName)?.operation;
  if (operation !== 'query' && operation !== 'mutation') return false;

  const onClose = () => controller.abort();
  res.once('close', onClose);
  res.once('finish', () => res.off('close', onClose));
  traceRequest(observability, request);
  let result: Parameters<typeof processRegularResult>[0] | undefined;
  try {
    result = await yoga.getResultForParams({ params: params as YogaParams, request }, serverContext);
    if (result === undefined) throw new Error('Yoga returned no result.');
  } catch (error) {
    // As Yoga's own handler does with an error thrown outside execution.
    const masked = maskError(error, 'Unexpected error.', false);
    if (masked !== error) yoga.logger.error(error);
    result = { errors: [masked instanceof GraphQLError ? masked : new GraphQLError(masked.message, { originalError: masked })] };
  }
  const response = processRegularResult(result, PLAIN_FETCH, mediaType) as unknown as PlainResponse;
  traceResponse(observability, request, response);
  if (res.destroyed) return true;
  response.headers.set('content-length', String(Buffer.byteLength(response.body)));
  res.writeHead(response.status, response.headers.record);
  res.end(response.body);
  return true;
}

export function createFastPath(options: FastPathOptions): FastPath {
  const { yoga, clientAuth, cors, endpoint } = options;
  const documents = new DocumentCache(1000);
  const counts = { fastPath: 0, yoga: 0 };
  const toYoga = (req: NodeRequestWithBody, res: ServerResponse, body?: Buffer) => {
    counts.yoga += 1;
    // Yoga's Node adapter takes a body already read from `req.body`.
    if (body !== undefined) req.body = body;
    void yoga(req, res);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const headers = req.headers;
    const contentType = headers['content-type'];
    if (
      req.method !== 'POST' ||
      req.url !== endpoint ||
      contentType === undefined ||
      !/^application\/json\s*(;|$)/i.test(contentType) ||
      (cors && headers.origin !== undefined) ||
      !clientAuth.admits(headers.authorization)
    ) {
      return toYoga(req, res);
    }
    const mediaType = jsonMediaType(headers.accept);
    if (mediaType === null) return toYoga(req, res);

    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('error', () => res.destroy());
    req.once('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const params = simpleParams(body);
      if (params === null) return toYoga(req, res, body);
      serve(options, documents, req, res, params, mediaType).then(
        (served) => (served ? void (counts.fastPath += 1) : toYoga(req, res, body)),
        (error: unknown) => {
          yoga.logger.error(error);
          if (!res.headersSent) res.writeHead(500);
          res.end();
        },
      );
    });
  };
  return { handle, counts };
}
