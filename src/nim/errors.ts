// NimError: every way a call to NIM Proxy can fail, classified once so that the schema can map
// each kind to a typed GraphQL error without knowing HTTP.
import { contextLengthRefusal } from './context-length.ts';
import { readErrorBody, type UpstreamErrorDetail } from './wire.ts';

export type NimErrorKind =
  | 'model_not_found'
  | 'bad_request'
  | 'tools_not_enabled'
  | 'context_length'
  | 'rate_limited'
  | 'timeout'
  | 'unavailable'
  | 'upstream';

/** `first_token` and `idle` are the stream timeouts: before the first event, and between two events. */
export type TimeoutPhase = 'connect' | 'headers' | 'body' | 'first_token' | 'idle' | 'total';

export interface NimErrorInit {
  kind: NimErrorKind;
  message: string;
  status?: number | null;
  upstreamType?: string | null;
  param?: string | null;
  retryable?: boolean;
  retryAfterSeconds?: number | null;
  phase?: TimeoutPhase | null;
  model?: string | null;
  availableModels?: readonly string[];
  maxContextLength?: number | null;
  cause?: unknown;
}

export class NimError extends Error {
  readonly kind: NimErrorKind;
  /** HTTP status from the upstream; null when no response arrived. */
  readonly status: number | null;
  readonly upstreamType: string | null;
  /** The request field the upstream blamed, in wire spelling (`max_tokens`). */
  readonly param: string | null;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | null;
  readonly phase: TimeoutPhase | null;
  readonly model: string | null;
  readonly availableModels: readonly string[];
  /** A context_length refusal: the model's window in tokens, when the upstream stated it. */
  readonly maxContextLength: number | null;

  constructor(init: NimErrorInit) {
    super(init.message, { cause: init.cause });
    this.name = 'NimError';
    this.kind = init.kind;
    this.status = init.status ?? null;
    this.upstreamType = init.upstreamType ?? null;
    this.param = init.param ?? null;
    this.retryable = init.retryable ?? false;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
    this.phase = init.phase ?? null;
    this.model = init.model ?? null;
    this.availableModels = init.availableModels ?? [];
    this.maxContextLength = init.maxContextLength ?? null;
  }
}

/**
 * Retry-After is either delta-seconds or an HTTP date.
 * @internal exported for its unit test
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now = Date.now(),
): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text);
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Takes secrets out of upstream text before it can reach a client or a log line. */
export type Redact = (text: string) => string;

const unchanged: Redact = (text) => text;

/** Every string of an error detail redacted: a client may see any of them. */
function redactDetail(detail: UpstreamErrorDetail, redact: Redact): UpstreamErrorDetail {
  const or = (text: string | null) => (text === null ? null : redact(text));
  return {
    ...detail,
    message: redact(detail.message),
    type: or(detail.type),
    param: or(detail.param),
  };
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

/** JSON string escapes and HTML entities decoded, so that the excerpt reads as text and a secret is found in any spelling. */
function decodeEscapes(text: string): string {
  return (
    text
      .replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) =>
        String.fromCharCode(Number.parseInt(hex, 16)),
      )
      .replace(/\\\//g, '/')
      .replace(/&#x([0-9a-fA-F]{1,6});/g, (_, hex: string) =>
        String.fromCodePoint(Math.min(Number.parseInt(hex, 16), 0x10ffff)),
      )
      .replace(/&#(\d{1,7});/g, (_, dec: string) =>
        String.fromCodePoint(Math.min(Number(dec), 0x10ffff)),
      )
      // Stryker disable next-line StringLiteral: the pattern only matches names ENTITIES has
      .replace(/&(amp|lt|gt|quot|apos|nbsp);/g, (_, name: string) => ENTITIES[name] ?? '')
  );
}

function describe(bodyText: string, redact: Redact): UpstreamErrorDetail {
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    json = undefined;
  }
  const detail = readErrorBody(json);
  // Redacted once parsed: a JSON-escaped secret (`\/`, `\u002f`) only matches once decoded.
  if (detail) return redactDetail(detail, redact);
  // Ingress pages (HTML 502/504) and plain text: redacted whole before the excerpt is cut, so that
  // no part of a secret survives the cut; then a short, tag-free excerpt. Only a `<` that opens a
  // tag (a letter, `/`, `!` or `?` after it) starts markup: "a < b" or "<3" is text.
  const text = redact(decodeEscapes(bodyText))
    .replace(/<[a-zA-Z/!?][^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  return {
    message: text || 'no error body',
    type: null,
    param: null,
    code: null,
    contextLength: null,
  };
}

/** Classifies an upstream HTTP error response; `redact` cleans every text a client may see. */
export function fromResponse(
  status: number,
  bodyText: string,
  retryAfterHeader: string | string[] | undefined,
  model: string | null,
  redact: Redact = unchanged,
): NimError {
  return classify(
    status,
    describe(bodyText, redact),
    parseRetryAfter(retryAfterHeader),
    model,
    'upstream answered',
  );
}

/**
 * Classifies an error sent in-band: an error event inside a 200 stream, or an error body with
 * status 200. Its `code` is the HTTP status the upstream would have answered (vLLM, NIM); without
 * one it is a server error.
 */
export function fromInBandError(
  detail: UpstreamErrorDetail,
  model: string | null,
  redact: Redact = unchanged,
): NimError {
  const status =
    detail.code !== null && detail.code >= 400 && detail.code <= 599 ? detail.code : 500;
  return classify(status, redactDetail(detail, redact), null, model, 'upstream sent in-band error');
}

function classify(
  status: number,
  detail: UpstreamErrorDetail,
  retryAfterSeconds: number | null,
  model: string | null,
  prefix: string,
): NimError {
  const base = { status, upstreamType: detail.type, param: detail.param, model, retryAfterSeconds };
  const said = `${prefix} ${status}: ${detail.message}`;
  const overContext = status === 400 || status === 422 ? contextLengthRefusal(detail) : null;
  if (overContext)
    return new NimError({
      ...base,
      kind: 'context_length',
      message: detail.message,
      ...overContext,
    });
  if (status === 404 && model !== null) {
    return new NimError({
      ...base,
      kind: 'model_not_found',
      message: `The model \`${model}\` does not exist.`,
    });
  }
  if (status === 400 || status === 422) {
    if (detail.param === 'model') {
      return new NimError({ ...base, kind: 'model_not_found', message: detail.message });
    }
    // vLLM started without tool support refuses tool_choice auto and required naming its flags.
    if (/enable-auto-tool-choice|tool-call-parser/.test(detail.message)) {
      return new NimError({
        ...base,
        kind: 'tools_not_enabled',
        message: `the NIM serving this model was not started with tool calling (--enable-auto-tool-choice --tool-call-parser, or NIM_ENABLE_AUTO_TOOL_CHOICE=1 and NIM_TOOL_CALL_PARSER): ${detail.message}`,
      });
    }
    return new NimError({ ...base, kind: 'bad_request', message: detail.message });
  }
  if (status === 401 || status === 403) {
    return new NimError({
      ...base,
      kind: 'upstream',
      message: `upstream refused the gateway's key (${status}): ${detail.message}`,
    });
  }
  if (status === 429)
    return new NimError({ ...base, kind: 'rate_limited', message: said, retryable: true });
  if (status === 502 || status === 503 || status === 504) {
    return new NimError({ ...base, kind: 'unavailable', message: said, retryable: true });
  }
  return new NimError({ ...base, kind: 'upstream', message: said, retryable: status >= 500 });
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

const PHASE_OF_TIMEOUT_CODE: Record<string, TimeoutPhase> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect',
  UND_ERR_HEADERS_TIMEOUT: 'headers',
  UND_ERR_BODY_TIMEOUT: 'body',
};

/** The socket-level code (`ECONNREFUSED`, `UND_ERR_SOCKET`, …) of an error or of one of its causes. */
export function transportCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return transportCode((error as { cause?: unknown }).cause);
}

/**
 * Classifies a failure that produced no usable HTTP response. `answering`: the response had begun
 * (headers arrived, a stream was open), so a lost connection cut an answer. Whether the answer was
 * JSON or a stream, the same loss is the same error.
 */
export function fromTransport(error: unknown, model: string | null, answering = false): NimError {
  if (error instanceof NimError) return error;
  const code = transportCode(error);
  const phase = code === undefined ? undefined : PHASE_OF_TIMEOUT_CODE[code];
  if (phase) {
    return new NimError({
      kind: 'timeout',
      phase,
      model,
      retryable: phase === 'connect',
      cause: error,
      message: `upstream timed out (${phase} phase)`,
    });
  }
  if (code !== undefined && UNREACHABLE.has(code)) {
    const message = answering
      ? `upstream connection lost mid-answer (${code}): the answer was cut`
      : `upstream unreachable (${code})`;
    return new NimError({ kind: 'unavailable', model, retryable: true, cause: error, message });
  }
  if (code?.startsWith('HPE_')) {
    return new NimError({
      kind: 'upstream',
      model,
      cause: error,
      message: `upstream broke the HTTP protocol (${code})`,
    });
  }
  const message = answering
    ? 'upstream response failed mid-answer: the answer may be truncated'
    : 'upstream request failed';
  return new NimError({ kind: 'upstream', model, cause: error, message });
}

export function totalTimeout(model: string | null, timeoutMs: number): NimError {
  return new NimError({
    kind: 'timeout',
    phase: 'total',
    model,
    message: `upstream took longer than ${timeoutMs} ms`,
  });
}

/** A stream timeout fired: no first token (content, not a role preamble) in time, or too long a gap between two events. */
export function streamTimeout(
  phase: 'first_token' | 'idle',
  model: string | null,
  timeoutMs: number,
): NimError {
  const what = phase === 'first_token' ? 'sent no first token' : 'sent nothing more';
  return new NimError({
    kind: 'timeout',
    phase,
    model,
    message: `upstream ${what} for ${timeoutMs} ms`,
  });
}

/**
 * The upstream stream broke its protocol: the answer it carried cannot be trusted as complete.
 * (A lost connection is not this: fromTransport classifies it as in a JSON call.)
 */
export function brokenStream(
  model: string | null,
  what: string,
  status: number | null = 200,
): NimError {
  return new NimError({ kind: 'upstream', status, model, message: `upstream stream ${what}` });
}
