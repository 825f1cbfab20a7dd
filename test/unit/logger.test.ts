import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, prettyDestination } from '../../src/observability/logger.ts';

function prettyLines(log: (logger: ReturnType<typeof createLogger>) => void): string[] {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  log(createLogger('info', prettyDestination(out)));
  return text.split('\n').slice(0, -1);
}

describe('the pretty log format (a terminal)', () => {
  it('reads as time, level, message and the fields the message does not already say', () => {
    const lines = prettyLines((logger) =>
      logger.info(
        { url: 'http://localhost:4000/graphql', node: 'v24.0.0' },
        'GraphQL at http://localhost:4000/graphql',
      ),
    );
    expect(lines).toEqual([
      expect.stringMatching(
        /^\d\d:\d\d:\d\d INFO  GraphQL at http:\/\/localhost:4000\/graphql node=v24\.0\.0$/,
      ),
    ]);
  });

  it('puts each problem of a refusal on its own line, and keeps secrets redacted', () => {
    const lines = prettyLines((logger) => {
      logger.fatal(
        { problems: ['PORT="abc" is not a whole number', 'MAX_DEPTH="-1" is not a whole number'] },
        'cannot start: 2 configuration problems',
      );
      logger.warn({ apiKey: 'nvapi-secret' }, 'careful');
    });
    expect(lines).toEqual([
      expect.stringMatching(/ FATAL cannot start: 2 configuration problems$/),
      '    PORT="abc" is not a whole number',
      '    MAX_DEPTH="-1" is not a whole number',
      expect.stringMatching(/ WARN  careful apiKey=\[redacted\]$/),
    ]);
  });

  it('shows an error with its stack', () => {
    const lines = prettyLines((logger) => logger.error({ err: new Error('boom') }, 'failed'));
    expect(lines[0]).toMatch(/ ERROR failed$/);
    expect(lines[1]).toMatch(/^ {4}Error: boom$/);
    expect(lines[2]).toMatch(/^ {4}\s*at /);
  });
});
