// Every protection a request meets, named once, with where it is decided. Each holds on every way in
// (src/gate/ways.ts): test/integration/gate-matrix.test.ts crosses the two lists, and fails when a
// protection is added here without a probe there.
export const PROTECTIONS = {
  /** MAX_REQUEST_BYTES on Content-Length, before the body is read: the gate. (A GET's URL: Node's 16 KiB header limit.) */
  bodySize: 'an oversized body is refused before it is read',
  /** GATEWAY_API_KEYS: the gate (src/gate/gate.ts), before anything else. */
  auth: 'Authorization: Bearer <key>, checked by the gate',
  /** Requests a web page could make a browser send run nothing: the gate. */
  csrf: 'a simple cross-site request (no custom header, form-like body) runs nothing',
  /** INTROSPECTION=false: a validation rule (envelop), src/plugins/use-introspection-off.ts. */
  introspection: '__schema and __type refused',
  /** INTROSPECTION=false: no "Did you mean …?" in validation or variable errors, same plugin. */
  suggestions: 'no schema names leak through suggestions',
  /** TRUSTED_DOCUMENTS_FILE: Yoga's onParams hook, which runOperation (src/gate/operation.ts) reaches. */
  trustedDocuments: 'only manifest documents run, by hash',
  /** MAX_DEPTH and friends: graphql-armor at parse and validation (envelop). */
  shapeLimits: 'document depth, aliases, directives and tokens bounded',
  /** MAX_OPERATION_COST: at execute/subscribe, before any resolver (envelop), src/plugins/use-operation-cost.ts. */
  cost: 'an operation over the token cost is refused before any upstream call, and a field over it alone gets its typed InvalidInputError',
  /** RATE_LIMIT_*: at execute/subscribe (envelop), src/plugins/use-rate-limits.ts. */
  rateLimits: 'a client over its budget is refused before any upstream call',
  /** JSON arguments nested too deep: the JSON scalar (src/schema/builder.ts). */
  inputDepth: 'a JSON input nested too deep is BAD_USER_INPUT, never an upstream fault',
  /** Errors thrown outside execution are answered as JSON errors without internals: runOperation and Yoga's handler. */
  masking: 'malformed documents answer a typed 4xx error, no stack or paths',
  /** x-request-id kept or made, on every answer: src/plugins/use-observability.ts and the fast path. */
  requestId: 'every answer carries x-request-id',
  /** One log line per request with its outcome and code, refusals included. */
  logLine: 'every request is logged with its status and error code',
} as const;
export type Protection = keyof typeof PROTECTIONS;
