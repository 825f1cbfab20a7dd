// The gateway's JSON log in tests: each line's message goes to console.warn / console.error, so a
// test can spy on them, and a failing test shows what the gateway said.
import { Writable } from 'node:stream';
import { createLogger, type Logger, type LogLevel } from '../../src/observability/logger.ts';

export function consoleLogger(level: LogLevel = 'warn'): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { level: number; msg?: string };
        (entry.level >= 50 ? console.error : console.warn)(entry.msg ?? line);
      }
      done();
    },
  });
  return createLogger(level, sink);
}
