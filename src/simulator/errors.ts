// NIM error bodies: exception-class type names, integer codes, and the three body shapes.
import type { ErrorWire } from '../nim/wire-server.ts';

export type ErrorStyle = 'nested' | 'flat' | 'string';

/** A request the simulator refuses; thrown by validation and turned into an error response. */
export class SimulatorError extends Error {
  readonly status: number;
  readonly param: string | null;

  constructor(status: number, message: string, param: string | null = null) {
    super(message);
    this.status = status;
    this.param = param;
  }
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'BadRequestError',
  401: 'AuthenticationError',
  403: 'PermissionDeniedError',
  404: 'NotFoundError',
  405: 'MethodNotAllowedError',
  409: 'ConflictError',
  413: 'RequestEntityTooLargeError',
  415: 'UnsupportedMediaTypeError',
  422: 'UnprocessableEntityError',
  429: 'RateLimitError',
  500: 'InternalServerError',
  502: 'BadGatewayError',
  503: 'ServiceUnavailableError',
  504: 'GatewayTimeoutError',
};

const MESSAGE_BY_STATUS: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  404: 'Not found',
  429: 'Too many requests: LoRA adapter cache is full, try again later.',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service is starting',
  504: 'Gateway timeout',
};

function errorType(status: number): string {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? 'InternalServerError' : 'BadRequestError');
}

export function defaultMessage(status: number): string {
  return MESSAGE_BY_STATUS[status] ?? `HTTP ${status}`;
}

function errorWire(status: number, message: string, param: string | null): ErrorWire {
  return { message, type: errorType(status), param, code: status };
}

/** The body NIM sends for an error, in the configured shape. */
export function errorBody(
  style: ErrorStyle,
  status: number,
  message: string,
  param: string | null,
): unknown {
  const wire = errorWire(status, message, param);
  if (style === 'string') return { error: message };
  if (style === 'nested') return { error: wire };
  return { object: 'error', ...wire };
}
