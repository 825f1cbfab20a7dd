// The errors resolvers throw and the errors plugin turns into union members. Plain classes,
// no schema code, so the builder can name them without an import cycle.
import type { Capability } from '../nim/capabilities.ts';
import type { ModelKind } from '../nim/kinds.ts';
export const ERROR_CODES = [
  'MODEL_NOT_FOUND',
  'UNSUPPORTED_BY_MODEL',
  'WRONG_MODEL_KIND',
  'TOOLS_NOT_ENABLED',
  'BAD_USER_INPUT',
  'CONTEXT_LENGTH_EXCEEDED',
  'RATE_LIMITED',
  'BUDGET_EXCEEDED',
  'FORBIDDEN',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The codes of whole-request refusals (`errors[0].extensions.code`, no data): in the same enum, so
 * that every code a client can get is in the schema and in its generated types.
 */
export const REQUEST_ERROR_CODES = {
  GRAPHQL_PARSE_FAILED: 'The document does not parse, or is over MAX_DOCUMENT_TOKENS.',
  GRAPHQL_VALIDATION_FAILED:
    'The document does not validate: unknown fields or arguments, over MAX_DEPTH, MAX_ALIASES or MAX_DIRECTIVES, introspection off.',
  BAD_REQUEST:
    'The HTTP request is no GraphQL request: not JSON, no query, a wrong method, a bad target or Host.',
  COST_LIMIT_EXCEEDED:
    'The operation may generate more than MAX_OPERATION_COST tokens; `extensions.cost` and `extensions.limit` say by how much.',
  PERSISTED_QUERY_ONLY: 'Trusted-documents mode: a free-form document.',
  PERSISTED_QUERY_NOT_FOUND: 'Trusted-documents mode: a hash not in the manifest.',
  PERSISTED_QUERY_ID_REQUIRED: 'Trusted-documents mode: neither a query nor a usable hash.',
  UNAUTHENTICATED: 'Client auth is on and `Authorization: Bearer <key>` is missing or wrong.',
  CSRF_HEADER_REQUIRED:
    'A request any web page could make a browser send, without the `x-graphql-yoga-csrf` header.',
  PAYLOAD_TOO_LARGE: "The body's Content-Length is over MAX_REQUEST_BYTES.",
  LENGTH_REQUIRED: 'A POST without Content-Length (chunked).',
  HEADERS_TOO_LARGE: 'The request headers (URL included) are over 16 KiB.',
  NOT_FOUND: 'A URL that is not a GraphQL endpoint, a health check or /metrics.',
  INTERNAL_SERVER_ERROR: 'An unexpected error, masked: the log line has the request id.',
} as const;
export type RequestErrorCode = keyof typeof REQUEST_ERROR_CODES;

export const TIMEOUT_PHASES = [
  'CONNECT',
  'HEADERS',
  'BODY',
  'FIRST_TOKEN',
  'IDLE',
  'TOTAL',
] as const;
export type TimeoutPhaseName = (typeof TIMEOUT_PHASES)[number];

export abstract class GatewayFailure extends Error {
  abstract readonly code: ErrorCode;
}

export class ModelNotFoundError extends GatewayFailure {
  readonly code = 'MODEL_NOT_FOUND';
  readonly model: string;
  readonly availableModels: readonly string[];
  constructor(model: string, availableModels: readonly string[], message?: string) {
    super(message ?? `The model \`${model}\` does not exist.`);
    this.model = model;
    this.availableModels = availableModels;
  }
}

/** The request asks for something the model cannot do (its capabilities say so), before any upstream call. */
export class UnsupportedByModelError extends GatewayFailure {
  readonly code = 'UNSUPPORTED_BY_MODEL';
  readonly model: string;
  readonly capability: Capability;
  /** The argument that asked for it. */
  readonly argument: string;
  constructor(model: string, capability: Capability, argument: string, rule: string) {
    super(
      `${argument}: the model \`${model}\` cannot do ${capability} (its capabilities come from the ${rule} rule; MODEL_CAPABILITIES changes them).`,
    );
    this.model = model;
    this.capability = capability;
    this.argument = argument;
  }
}

const an = (kind: ModelKind) => `${kind === 'embedding' ? 'an' : 'a'} ${kind}`;

/** The model is for something else: a generation asked of an embedding model, or the reverse. Nothing was sent. */
export class WrongModelKindError extends GatewayFailure {
  readonly code = 'WRONG_MODEL_KIND';
  readonly model: string;
  readonly modelKind: ModelKind;
  readonly requiredKind: ModelKind;
  constructor(model: string, modelKind: ModelKind, requiredKind: ModelKind, rule: string) {
    super(
      `model: \`${model}\` is ${an(modelKind)} model, and this field needs ${an(requiredKind)} model (its kind comes from the ${rule} rule; MODEL_KINDS changes it).`,
    );
    this.model = model;
    this.modelKind = modelKind;
    this.requiredKind = requiredKind;
  }
}

/** The NIM serving the model was started without tool calling: it refused the tools. */
export class ToolsNotEnabledError extends GatewayFailure {
  readonly code = 'TOOLS_NOT_ENABLED';
}

export class InvalidInputError extends GatewayFailure {
  readonly code = 'BAD_USER_INPUT';
  /** The GraphQL argument at fault, when known. */
  readonly argument: string | null;
  constructor(argument: string | null, message: string) {
    super(message);
    this.argument = argument;
  }
}

export class ContextLengthExceededError extends GatewayFailure {
  readonly code = 'CONTEXT_LENGTH_EXCEEDED';
  readonly maxContextLength: number | null;
  constructor(message: string, maxContextLength: number | null) {
    super(message);
    this.maxContextLength = maxContextLength;
  }
}

export class RateLimitedError extends GatewayFailure {
  readonly code = 'RATE_LIMITED';
  readonly retryAfterSeconds: number | null;
  constructor(message: string, retryAfterSeconds: number | null) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The calling key may not do this (only GATEWAY_ADMIN_KEYS read every key's usage). */
export class ForbiddenError extends GatewayFailure {
  readonly code = 'FORBIDDEN';
}

/** The calling key's token budget (TOKEN_BUDGETS) has less left than the field may use. */
export class BudgetExceededError extends GatewayFailure {
  readonly code = 'BUDGET_EXCEEDED';
  readonly budget: string;
  readonly limit: number;
  readonly used: number;
  readonly resetsAt: Date;
  constructor(message: string, budget: string, limit: number, used: number, resetsAt: Date) {
    super(message);
    this.budget = budget;
    this.limit = limit;
    this.used = used;
    this.resetsAt = resetsAt;
  }
}

export class UpstreamTimeoutError extends GatewayFailure {
  readonly code = 'UPSTREAM_TIMEOUT';
  readonly phase: TimeoutPhaseName;
  constructor(message: string, phase: TimeoutPhaseName) {
    super(message);
    this.phase = phase;
  }
}

export class UpstreamError extends GatewayFailure {
  readonly code: 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_ERROR';
  readonly upstreamStatus: number | null;
  readonly retryable: boolean;
  constructor(
    code: UpstreamError['code'],
    message: string,
    upstreamStatus: number | null,
    retryable: boolean,
  ) {
    super(message);
    this.code = code;
    this.upstreamStatus = upstreamStatus;
    this.retryable = retryable;
  }
}

export const GENERATION_FAILURES = [
  ModelNotFoundError,
  WrongModelKindError,
  UnsupportedByModelError,
  InvalidInputError,
  ContextLengthExceededError,
  RateLimitedError,
  BudgetExceededError,
  UpstreamTimeoutError,
  UpstreamError,
];

/** A chat's: a generation's, and the upstream refusing its tools. */
export const CHAT_FAILURES = [...GENERATION_FAILURES, ToolsNotEnabledError];

/** An embedding's or a ranking's: no capability or tool applies. */
export const RETRIEVAL_FAILURES = [
  ModelNotFoundError,
  WrongModelKindError,
  InvalidInputError,
  ContextLengthExceededError,
  RateLimitedError,
  BudgetExceededError,
  UpstreamTimeoutError,
  UpstreamError,
];
