// Structured logs (pino): JSON lines, or the same lines made readable for a terminal. Secrets are
// redacted by path as a second line of defence: nothing logs them on purpose.
import { styleText } from 'node:util';
import { pino, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `auto`: pretty on a terminal outside production, JSON otherwise (a pipe, a file, a log collector). */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

// Exact paths only: wildcard redaction walks every logged object and showed in the profile.
const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'apiKey',
  'apiKeys',
];

/**
 * Stdout, written in batches: up to 4 KiB of lines, or what came in the last 100 ms, per write
 * (pino's default writes each line with its own blocking system call: 5% of a request's CPU in the
 * profile). What is buffered is written out on exit; a process killed outright loses at most that.
 */
const stdout = (): pino.DestinationStream =>
  pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'nim-graphql' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return pino(options, destination ?? stdout());
}

/** The process's logger on stdout, in the format LOG_FORMAT asks for. */
export function createProcessLogger(
  level: LogLevel,
  format: LogFormat,
  production: boolean,
): Logger {
  const pretty =
    format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true && !production);
  return pretty ? createLogger(level, prettyDestination(process.stdout)) : createLogger(level);
}

const LEVELS: Record<number, { name: string; style: Parameters<typeof styleText>[0] }> = {
  10: { name: 'TRACE', style: 'gray' },
  20: { name: 'DEBUG', style: 'gray' },
  30: { name: 'INFO ', style: 'green' },
  40: { name: 'WARN ', style: 'yellow' },
  50: { name: 'ERROR', style: 'red' },
  60: { name: 'FATAL', style: ['red', 'bold'] },
};

/** Fields every line carries, which a person at a terminal does not need to read. */
const QUIET = new Set(['level', 'time', 'pid', 'hostname', 'service', 'msg']);

/**
 * Each JSON line as `12:00:00 INFO  message key=value …`; a list of strings goes one item a line.
 * @internal exported for its unit test
 */
export function prettyDestination(out: NodeJS.WritableStream): pino.DestinationStream {
  const paint = (style: Parameters<typeof styleText>[0], text: string) =>
    styleText(style, text, { stream: out });
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const level = LEVELS[Number(entry.level)] ?? { name: String(entry.level), style: 'white' };
      const time = new Date(Number(entry.time)).toTimeString().slice(0, 8);
      const message = String(entry.msg ?? '');
      const fields: string[] = [];
      const lists: string[] = [];
      for (const [key, value] of Object.entries(entry)) {
        // A value the message already says (a URL) is not repeated.
        if (QUIET.has(key) || (typeof value === 'string' && message.includes(value))) continue;
        const stack =
          key === 'err' && typeof value === 'object' && value !== null
            ? (value as { stack?: unknown }).stack
            : undefined;
        if (typeof stack === 'string') {
          lists.push(...stack.split('\n').map((item) => `    ${item}`));
        } else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
          if (!value.every((item) => message.includes(item)))
            lists.push(...value.map((item) => `    ${item}`));
        } else {
          fields.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
        }
      }
      const head = `${paint('gray', time)} ${paint(level.style, level.name)} ${message}`;
      const tail = fields.length > 0 ? ` ${paint('gray', fields.join(' '))}` : '';
      out.write(`${[head + tail, ...lists].join('\n')}\n`);
    },
  };
}

export type { Logger };
