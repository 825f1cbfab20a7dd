// The typed errors of the schema, and the one place where NimError becomes GraphQL.
import { GraphQLError } from 'graphql';
import { NimError } from '../nim/errors.ts';
import { builder } from './builder.ts';
import { CapabilityEnum } from './capabilities.ts';
import { ModelKindEnum } from './kinds.ts';
import {
  ContextLengthExceededError,
  ERROR_CODES,
  GatewayFailure,
  InvalidInputError,
  ModelNotFoundError,
  RateLimitedError,
  BudgetExceededError,
  TIMEOUT_PHASES,
  UpstreamError,
  UpstreamTimeoutError,
  UnsupportedByModelError,
  ToolsNotEnabledError,
  REQUEST_ERROR_CODES,
  WrongModelKindError,
  type ErrorCode,
  type RequestErrorCode,
  type TimeoutPhaseName,
} from './failures.ts';

const CODE_DESCRIPTIONS: Record<ErrorCode, string> = {
  MODEL_NOT_FOUND: 'The model id is not served by NIM Proxy (after refreshing the model list).',
  TOOLS_NOT_ENABLED:
    'The NIM serving the model was not started with tool calling (an operator fixes it: NIM_ENABLE_AUTO_TOOL_CHOICE=1 and NIM_TOOL_CALL_PARSER, or vLLM --enable-auto-tool-choice --tool-call-parser).',
  UNSUPPORTED_BY_MODEL:
    'The model cannot do what was asked (tools, images, reasoning, guided decoding), as `Model.capabilities` says; refused before any upstream call.',
  WRONG_MODEL_KIND:
    'The model is for something else (`Model.kind`): a generation asked of an embedding or ranking model, or an embedding or ranking of a generation model; refused before any upstream call.',
  BAD_USER_INPUT:
    'An argument is invalid; `argument` names it. Fix the request, do not retry it as is.',
  CONTEXT_LENGTH_EXCEEDED:
    "Prompt plus maxTokens is longer than the model's context window; for embed and rerank with `truncate: NONE` (or left out), an input longer than the model takes.",
  RATE_LIMITED: 'Too many requests; retry after `retryAfterSeconds` when given.',
  FORBIDDEN:
    "The calling key may not do this: only the keys GATEWAY_ADMIN_KEYS names read every key's usage.",
  BUDGET_EXCEEDED:
    "The calling key's token budget (TOKEN_BUDGETS) has less left than the field may use; refused before any upstream call, until `resetsAt`.",
  UPSTREAM_TIMEOUT: 'NIM Proxy did not answer in time; `phase` says which timeout fired.',
  UPSTREAM_UNAVAILABLE:
    'NIM Proxy or the model deployment is unreachable or overloaded; safe to retry later.',
  UPSTREAM_ERROR:
    'NIM Proxy failed or answered something unexpected; `upstreamStatus` has its HTTP status.',
};

const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description:
    'Every error code a client can get: in `GatewayError.code` of a typed error (mutations, subscriptions, `embed` and `rerank`), and in `errors[].extensions.code` of a query error or a whole-request refusal.',
  values: Object.fromEntries([
    ...ERROR_CODES.map((code) => [code, { description: CODE_DESCRIPTIONS[code] }]),
    ...Object.entries(REQUEST_ERROR_CODES).map(([code, description]) => [
      code,
      { description: `Whole-request refusal: ${description}` },
    ]),
  ]) as Record<ErrorCode | RequestErrorCode, { description: string }>,
});

const PHASE_DESCRIPTIONS: Record<TimeoutPhaseName, string> = {
  CONNECT: 'Opening the connection to NIM Proxy (UPSTREAM_CONNECT_TIMEOUT_MS).',
  HEADERS: 'Waiting for the response headers (UPSTREAM_HEADERS_TIMEOUT_MS).',
  BODY: 'Waiting between two pieces of the response body (UPSTREAM_BODY_TIMEOUT_MS).',
  FIRST_TOKEN:
    'Streams: from the request to the first token, the first event with content (STREAM_FIRST_TOKEN_TIMEOUT_MS).',
  IDLE: 'Streams: the longest silence between two events (STREAM_IDLE_TIMEOUT_MS).',
  TOTAL: 'A whole non-streamed call (UPSTREAM_TOTAL_TIMEOUT_MS).',
};

const TimeoutPhaseEnum = builder.enumType('TimeoutPhase', {
  description: 'Which upstream timeout fired.',
  values: Object.fromEntries(
    TIMEOUT_PHASES.map((p) => [p, { description: PHASE_DESCRIPTIONS[p] }]),
  ) as Record<TimeoutPhaseName, { description: string }>,
});

const GatewayErrorRef = builder.interfaceRef<GatewayFailure>('GatewayError').implement({
  description: 'Every typed error: switch on `__typename` or `code`, show `message`.',
  fields: (t) => ({
    code: t.field({
      type: ErrorCodeEnum,
      description: 'Stable machine-readable code.',
      resolve: (e) => e.code,
    }),
    message: t.exposeString('message', { description: 'What went wrong, for people.' }),
  }),
});

const gatewayError = { interfaces: [GatewayErrorRef] };

builder.objectType(ModelNotFoundError, {
  ...gatewayError,
  name: 'ModelNotFoundError',
  description: 'The requested model is not served.',
  fields: (t) => ({
    requestedModel: t.exposeString('model', { description: 'The model id that was asked for.' }),
    availableModels: t.exposeStringList('availableModels', {
      description: 'Ids that are served right now.',
    }),
  }),
});

builder.objectType(UnsupportedByModelError, {
  ...gatewayError,
  name: 'UnsupportedByModelError',
  description: 'The model cannot do what was asked, as `Model.capabilities` says.',
  fields: (t) => ({
    requestedModel: t.exposeString('model', { description: 'The model id that was asked for.' }),
    capability: t.field({
      type: CapabilityEnum,
      description: 'What the model lacks.',
      resolve: (e) => e.capability,
    }),
    argument: t.exposeString('argument', { description: 'The argument that asked for it.' }),
  }),
});

builder.objectType(WrongModelKindError, {
  ...gatewayError,
  name: 'WrongModelKindError',
  description: 'The model is for something else, as `Model.kind` says.',
  fields: (t) => ({
    requestedModel: t.exposeString('model', { description: 'The model id that was asked for.' }),
    modelKind: t.field({
      type: ModelKindEnum,
      description: 'What the model is for.',
      resolve: (e) => e.modelKind,
    }),
    requiredKind: t.field({
      type: ModelKindEnum,
      description: 'What the field needs.',
      resolve: (e) => e.requiredKind,
    }),
  }),
});

builder.objectType(ToolsNotEnabledError, {
  ...gatewayError,
  name: 'ToolsNotEnabledError',
  description: 'The NIM serving the model refused the tools: it was started without tool calling.',
  fields: () => ({}),
});

builder.objectType(InvalidInputError, {
  ...gatewayError,
  name: 'InvalidInputError',
  description: 'An argument is invalid.',
  fields: (t) => ({
    argument: t.exposeString('argument', {
      nullable: true,
      description: 'The argument at fault, when known.',
    }),
  }),
});

builder.objectType(ContextLengthExceededError, {
  ...gatewayError,
  name: 'ContextLengthExceededError',
  description: 'Prompt plus maxTokens exceeds the context window.',
  fields: (t) => ({
    maxContextLength: t.exposeInt('maxContextLength', {
      nullable: true,
      description: "The model's context window in tokens, when known.",
    }),
  }),
});

builder.objectType(RateLimitedError, {
  ...gatewayError,
  name: 'RateLimitedError',
  description: 'Too many requests.',
  fields: (t) => ({
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', {
      nullable: true,
      description: 'Seconds to wait before retrying, when known.',
    }),
  }),
});

builder.objectType(BudgetExceededError, {
  ...gatewayError,
  name: 'BudgetExceededError',
  description:
    "The calling key's token budget has less left than the field may use (maxTokens × n, or the input's estimate): nothing was sent upstream.",
  fields: (t) => ({
    budget: t.exposeString('budget', {
      description:
        'The budget that refused, as TOKEN_BUDGETS declares it (e.g. `web=2000000/day`).',
    }),
    limit: t.exposeInt('limit', { description: 'Its tokens per period.' }),
    used: t.exposeInt('used', {
      description: 'Tokens used and held by calls in flight, in this period.',
    }),
    resetsAt: t.expose('resetsAt', {
      type: 'DateTime',
      description:
        'When its period ends and it starts again at 0 (UTC midnight, or the 1st of the month).',
    }),
  }),
});

builder.objectType(UpstreamTimeoutError, {
  ...gatewayError,
  name: 'UpstreamTimeoutError',
  description: 'NIM Proxy did not answer in time.',
  fields: (t) => ({
    phase: t.field({
      type: TimeoutPhaseEnum,
      description: 'The timeout that fired.',
      resolve: (e) => e.phase,
    }),
  }),
});

builder.objectType(UpstreamError, {
  ...gatewayError,
  name: 'UpstreamError',
  description: 'NIM Proxy failed, was unreachable, or answered something unexpected.',
  fields: (t) => ({
    upstreamStatus: t.exposeInt('upstreamStatus', {
      nullable: true,
      description: 'HTTP status from NIM Proxy; null when no response arrived.',
    }),
    retryable: t.exposeBoolean('retryable', {
      description: 'Whether the same request may succeed later.',
    }),
  }),
});

const snakeToCamel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** NimError → the typed error a mutation returns. Anything else is rethrown (and masked). */
export function toFailure(error: unknown): GatewayFailure {
  if (error instanceof GatewayFailure) return error;
  if (!(error instanceof NimError)) throw error;
  switch (error.kind) {
    case 'model_not_found':
      return new ModelNotFoundError(error.model ?? '', error.availableModels, error.message);
    case 'bad_request':
      return new InvalidInputError(error.param ? snakeToCamel(error.param) : null, error.message);
    case 'tools_not_enabled':
      return new ToolsNotEnabledError(error.message);
    case 'context_length':
      return new ContextLengthExceededError(error.message, error.maxContextLength);
    case 'rate_limited':
      return new RateLimitedError(error.message, error.retryAfterSeconds);
    case 'timeout':
      return new UpstreamTimeoutError(
        error.message,
        (error.phase ?? 'total').toUpperCase() as TimeoutPhaseName,
      );
    case 'unavailable':
      return new UpstreamError(
        'UPSTREAM_UNAVAILABLE',
        error.message,
        error.status,
        error.retryable,
      );
    case 'upstream':
      return new UpstreamError('UPSTREAM_ERROR', error.message, error.status, error.retryable);
  }
}

/** Queries raise the same codes as top-level errors, with the typed error's details in extensions. */
export function toGraphQLError(error: unknown): GraphQLError {
  const failure = toFailure(error);
  const { message, code, name: _name, stack: _stack, ...details } = failure;
  return new GraphQLError(message, { extensions: { code, ...details } });
}
