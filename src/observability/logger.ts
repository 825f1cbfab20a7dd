// Structured JSON logs (pino). Secrets are redacted by path as a second line of defence: nothing
// logs them on purpose.
import { pino, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

// Exact paths only: wildcard redaction walks every logged object and showed in the profile.
export const REDACTED_PATHS = ['authorization', 'headers.authorization', 'req.headers.authorization', 'apiKey', 'apiKeys'];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: 'nim-graphql' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
