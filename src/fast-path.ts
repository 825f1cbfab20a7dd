// The hot path: a JSON POST to /graphql holding one operation, answered with JSON or, for
// subscriptions (or when the client asks for it), server-sent events. It runs Yoga's own steps from
// request parsing on (its request-parse hooks, onParams hooks, envelop with every plugin and the
// parse/validate caches, masked errors, onExecutionResult hooks, Yoga's result processor and SSE
// format), but straight on node:http: without the Fetch-API adapter (Request/Response/Headers
// ponyfills and the promise chain around every hook), a third of a request's CPU in the profile
// before it (BENCHMARKS.md). Whatever is not exactly that (another method, path, media type or body
// shape, a batch, a missing or wrong client key, a CORS request, a multipart answer) goes to Yoga
// whole, with the body already read. test/integration/fast-path.test.ts holds the two to the same answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Kind, parse, type DocumentNode, type OperationTypeNode } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import {
  answerFor,
  readAccept,
  sendEvents,
  sendJson,
  servable,
  type Accepted,
  type AnswerHooks,
} from './fast-path-answers.ts';
import { runOperation } from './gate/operation.ts';
import type { Context } from './context.ts';
import type { Gate } from './gate/gate.ts';
import { nodeHead } from './gate/node-head.ts';
import {
  noteResult,
  traceRequest,
  traceResponse,
  type Observability,
} from './plugins/use-observability.ts';

export interface FastPathOptions {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  observability: Observability;
  /** Requests it refuses go to Yoga, which answers the refusal (and logs it). */
  gate: Gate;
  /** CORS_ORIGINS is set: requests with an Origin header need Yoga's CORS headers. */
  cors: boolean;
  endpoint: string;
  /** MAX_DOCUMENT_TOKENS: the most tokens a document may have. */
  maxDocumentTokens: number;
  /** With TRUSTED_DOCUMENTS_FILE: the document a hash names (as the trusted-documents plugin finds it). */
  trustedDocument: ((hash: string) => string | null) | null;
}

export interface FastPath {
  /** Serves (req, res) when it can; otherwise hands it to Yoga. Never throws. */
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** Requests served by each. */
  readonly counts: { fastPath: number; yoga: number };
}

type NodeRequestWithBody = IncomingMessage & { body?: Buffer };

interface Params {
  /** Absent when a trusted document is sent by hash alone. */
  query?: string;
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
  if (
    !isObject(parsed) ||
    (typeof parsed.query !== 'string' && !('extensions' in parsed && parsed.query === undefined))
  )
    return null;
  for (const key in parsed) if (!PARAM_KEYS.has(key)) return null;
  const { variables, operationName, extensions } = parsed;
  if (variables !== undefined && variables !== null && !isObject(variables)) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string')
    return null;
  if (extensions !== undefined && !isObject(extensions)) return null;
  return parsed as unknown as Params;
}

/**
 * The kind of operation a document runs (query, mutation, subscription), to know before running it
 * whether the fast path can answer it. Parsed with the document token limit (MAX_DOCUMENT_TOKENS),
 * so nothing costs more here than Yoga's own parse; a document that does not parse is left to Yoga
 * and never kept. What is kept per document is its operations' names and kinds, for documents up to
 * 16 KiB, at most 1,000 of them (the oldest goes first).
 */
class OperationKinds {
  static readonly MAX_CACHED_SOURCE = 16 * 1024;
  readonly #kinds = new Map<string, readonly (readonly [string | null, OperationTypeNode])[]>();
  readonly #size: number;
  readonly #maxTokens: number;

  constructor(size: number, maxTokens: number) {
    this.#size = size;
    this.#maxTokens = maxTokens;
  }

  /** As graphql's getOperationAST picks the operation: by name, or the only one; null otherwise. */
  of(source: string, operationName: string | null | undefined): OperationTypeNode | null {
    const operations = this.#operations(source);
    if (operations === null) return null;
    if (operationName != null)
      return operations.find(([name]) => name === operationName)?.[1] ?? null;
    return operations.length === 1 ? operations[0]![1] : null;
  }

  #operations(source: string): readonly (readonly [string | null, OperationTypeNode])[] | null {
    const known = this.#kinds.get(source);
    if (known !== undefined) return known;
    let document: DocumentNode;
    try {
      document = parse(source, { noLocation: true, maxTokens: this.#maxTokens });
    } catch {
      return null;
    }
    const operations = document.definitions.flatMap((definition) =>
      definition.kind === Kind.OPERATION_DEFINITION
        ? [[definition.name?.value ?? null, definition.operation] as const]
        : [],
    );
    if (source.length <= OperationKinds.MAX_CACHED_SOURCE) {
      if (this.#kinds.size >= this.#size) this.#kinds.delete(this.#kinds.keys().next().value!);
      this.#kinds.set(source, operations);
    }
    return operations;
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

type YogaParams = Parameters<
  YogaServerInstance<Record<string, never>, Context>['getResultForParams']
>[0]['params'];

/** The hash of `extensions.persistedQuery`, read as the trusted-documents plugin reads it. */
function persistedHash(extensions: unknown): string | null {
  const persisted = isObject(extensions) ? extensions.persistedQuery : undefined;
  return isObject(persisted) && persisted.version === 1 && typeof persisted.sha256Hash === 'string'
    ? persisted.sha256Hash
    : null;
}

/** Yoga's request parsing, then the parameters, when the fast path can answer them; null where Yoga should. */
async function parametersFor(
  yoga: FastPathOptions['yoga'],
  trustedDocument: FastPathOptions['trustedDocument'],
  kinds: OperationKinds,
  accepted: Accepted,
  request: Request,
  serverContext: Parameters<FastPathOptions['yoga']['parseRequest']>[1],
): Promise<YogaParams | null> {
  const { requestParserResult: params } = await yoga.parseRequest(request, serverContext);
  if (params === undefined || Array.isArray(params)) return null;
  // The operation runs from the query, or (trusted documents) from the document its hash names.
  const hash = params.query === undefined ? persistedHash(params.extensions) : null;
  const source =
    typeof params.query === 'string'
      ? params.query
      : hash === null
        ? null
        : (trustedDocument?.(hash) ?? null);
  const kind = source === null ? null : kinds.of(source, params.operationName);
  return kind !== null && servable(accepted, kind === 'subscription') ? params : null;
}

/**
 * Yoga from its request parsing on, for a body known to be one JSON operation. Returns false, having
 * done nothing a retry would repeat, when Yoga's request-parse hooks refuse the request, the operation
 * cannot be told, or the answer would be multipart or 406: the caller then hands it to Yoga whole.
 */
async function serve(
  options: FastPathOptions,
  kinds: OperationKinds,
  req: IncomingMessage,
  res: ServerResponse,
  body: Params,
  accepted: Accepted,
): Promise<boolean> {
  const { yoga, observability } = options;
  const controller = new AbortController();
  // The client leaving aborts the operation (and its upstream calls), as Yoga's Node adapter does.
  const onClose = () => controller.abort();
  if (res.destroyed) controller.abort();
  else res.once('close', onClose).once('finish', () => res.off('close', onClose));
  const request = new NodeRequestView(req, controller.signal, body) as unknown as Request;
  // What Yoga's Node adapter hands its hooks: the node request and response, and waitUntil.
  const waitUntil = (work: Promise<unknown> | unknown) =>
    void Promise.resolve(work).catch((error: unknown) => yoga.logger.error(error));
  const serverContext = { req, res, waitUntil } as unknown as Parameters<
    typeof yoga.parseRequest
  >[1];
  // Yoga's onRequestParse hooks (method check, CSRF, introspection switch, its JSON parser and checks).
  const params = await parametersFor(
    yoga,
    options.trustedDocument,
    kinds,
    accepted,
    request,
    serverContext,
  ).catch(() => null);
  if (params === null) {
    res.off('close', onClose);
    return false;
  }
  traceRequest(observability, request);
  const result = await runOperation(yoga, params, request, serverContext);
  const hooks: AnswerHooks = {
    beforeHead: (response) => {
      noteResult(observability, request, result);
      traceResponse(observability, request, response);
    },
    failed: (error) => {
      if (!controller.signal.aborted) yoga.logger.error(error);
    },
  };
  // Chosen from the result, as Yoga's processors do: a refused subscription is one JSON result.
  const answer = answerFor(accepted, result);
  if (answer.kind === 'sse') sendEvents(res, result, hooks);
  else sendJson(res, result, answer.mediaType, hooks);
  return true;
}

export function createFastPath(options: FastPathOptions): FastPath {
  const { yoga, gate, cors, endpoint } = options;
  const kinds = new OperationKinds(1000, options.maxDocumentTokens);
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
      gate.refusal(nodeHead(req)) !== null
    ) {
      return toYoga(req, res);
    }
    const accepted = readAccept(headers.accept);
    if (!servable(accepted, false) && !servable(accepted, true)) return toYoga(req, res);

    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('error', () => res.destroy());
    req.once('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const params = simpleParams(body);
      if (params === null) return toYoga(req, res, body);
      serve(options, kinds, req, res, params, accepted).then(
        (served) => (served ? void (counts.fastPath += 1) : toYoga(req, res, body)),
        (error: unknown) => {
          // A bug, not a client's doing: logged, and answered as Yoga answers an unexpected error.
          yoga.logger.error(error);
          if (res.headersSent) return void res.destroy();
          res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }));
        },
      );
    });
  };
  return { handle, counts };
}
