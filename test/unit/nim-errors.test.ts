import { describe, expect, it } from 'vitest';
import {
  brokenStream,
  fromInBandError,
  fromResponse,
  fromTransport,
  parseRetryAfter,
  streamTimeout,
  totalTimeout,
} from '../../src/nim/errors.ts';

describe('fromResponse', () => {
  it.each([
    [
      'flat (NIM 1.x)',
      {
        object: 'error',
        message: 'top_p must be in (0, 1]',
        type: 'BadRequestError',
        param: 'top_p',
        code: 400,
      },
    ],
    [
      'nested (NIM 2.x)',
      {
        error: {
          message: 'top_p must be in (0, 1]',
          type: 'BadRequestError',
          param: 'top_p',
          code: 400,
        },
      },
    ],
  ])('reads the %s body shape', (_name, body) => {
    const error = fromResponse(400, JSON.stringify(body), undefined, 'm');
    expect(error).toMatchObject({
      kind: 'bad_request',
      status: 400,
      param: 'top_p',
      upstreamType: 'BadRequestError',
      message: 'top_p must be in (0, 1]',
    });
  });

  it('reads the single-string body shape', () => {
    expect(fromResponse(400, '{"error":"bad things"}', undefined, 'm')).toMatchObject({
      kind: 'bad_request',
      message: 'bad things',
    });
  });

  it('recognises the context length message, also as 422', () => {
    const message =
      "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens (8000 in the messages, 1000 in the completion).";
    expect(
      fromResponse(422, JSON.stringify({ object: 'error', message }), undefined, 'm').kind,
    ).toBe('context_length');
  });

  it('classifies statuses', () => {
    expect(fromResponse(404, '{}', undefined, 'm').kind).toBe('model_not_found');
    expect(fromResponse(429, '{}', '12', 'm')).toMatchObject({
      kind: 'rate_limited',
      retryAfterSeconds: 12,
      retryable: true,
    });
    expect(fromResponse(503, '{}', undefined, 'm')).toMatchObject({
      kind: 'unavailable',
      retryable: true,
    });
    expect(fromResponse(504, 'gateway timeout', undefined, 'm')).toMatchObject({
      kind: 'unavailable',
      status: 504,
    });
    expect(fromResponse(500, '{}', undefined, 'm')).toMatchObject({
      kind: 'upstream',
      retryable: true,
    });
    expect(fromResponse(401, '{}', undefined, 'm')).toMatchObject({
      kind: 'upstream',
      retryable: false,
    });
    expect(
      fromResponse(
        400,
        '{"object":"error","message":"The model `x` does not exist.","param":"model"}',
        undefined,
        'x',
      ).kind,
    ).toBe('model_not_found');
  });

  it('redacts every field after parsing, and a page before its excerpt is cut', () => {
    const key = 'a/b+c';
    const redact = (text: string) => text.replaceAll(key, '[redacted]');
    const escaped = JSON.stringify({
      error: { message: `m ${key}`, type: `t ${key}`, param: `p ${key}`, code: 400 },
    }).replaceAll('/', '\\/');
    expect(fromResponse(400, escaped, undefined, 'm', redact)).toMatchObject({
      message: 'm [redacted]',
      upstreamType: 't [redacted]',
      param: 'p [redacted]',
    });
    const page = `<p>${'x'.repeat(196)} a&#x2F;b+c</p>`;
    expect(fromResponse(502, page, undefined, null, redact).message).not.toContain(' a/');
  });

  it('strips markup from HTML error pages', () => {
    const error = fromResponse(
      504,
      '<html><body><h1>504 Gateway Time-out</h1></body></html>',
      undefined,
      null,
    );
    expect(error.message).toBe('upstream answered 504: 504 Gateway Time-out');
  });
});

describe('fromTransport', () => {
  it('names the timeout phase from undici error codes', () => {
    expect(fromTransport({ code: 'UND_ERR_CONNECT_TIMEOUT' }, null)).toMatchObject({
      kind: 'timeout',
      phase: 'connect',
    });
    expect(fromTransport({ code: 'UND_ERR_HEADERS_TIMEOUT' }, null)).toMatchObject({
      kind: 'timeout',
      phase: 'headers',
    });
    expect(fromTransport({ code: 'UND_ERR_BODY_TIMEOUT' }, null)).toMatchObject({
      kind: 'timeout',
      phase: 'body',
    });
  });

  it('treats refused and reset connections as unavailable and retryable, looking through causes', () => {
    expect(fromTransport({ cause: { code: 'ECONNREFUSED' } }, null)).toMatchObject({
      kind: 'unavailable',
      retryable: true,
      status: null,
    });
    expect(fromTransport(new Error('boom'), null)).toMatchObject({
      kind: 'upstream',
      retryable: false,
    });
  });

  it('calls a connection lost once the answer began the same, whatever carried it: unavailable, retryable, cut', () => {
    const lost = fromTransport({ code: 'UND_ERR_SOCKET' }, 'm', true);
    expect(lost).toMatchObject({ kind: 'unavailable', retryable: true, status: null });
    expect(lost.message).toMatch(/mid-answer .*cut/);
    expect(fromTransport({ code: 'UND_ERR_SOCKET' }, 'm').message).toMatch(/unreachable/);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('fromTransport, code by code', () => {
  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EPIPE',
    'UND_ERR_SOCKET',
    'UND_ERR_CLOSED',
  ])('%s: the upstream could not be reached, retryable', (code) => {
    const error = fromTransport(Object.assign(new Error('x'), { code }), 'm');
    expect(error).toMatchObject({
      kind: 'unavailable',
      retryable: true,
      status: null,
      model: 'm',
      message: `upstream unreachable (${code})`,
    });
    expect(fromTransport({ code }, 'm', true).message).toBe(
      `upstream connection lost mid-answer (${code}): the answer was cut`,
    );
  });

  it('other codes are upstream failures, not retried; HTTP parser codes say the protocol broke', () => {
    for (const code of ['ECONNABORTED', 'UND_ERR_ABORTED', 'ERR_SOMETHING']) {
      expect(fromTransport({ code }, 'm')).toMatchObject({
        kind: 'upstream',
        retryable: false,
        message: 'upstream request failed',
      });
    }
    expect(fromTransport({ code: 'HPE_INVALID_CHUNK_SIZE' }, 'm')).toMatchObject({
      kind: 'upstream',
      retryable: false,
      message: 'upstream broke the HTTP protocol (HPE_INVALID_CHUNK_SIZE)',
    });
    expect(fromTransport({ code: 'XHPE_' }, 'm').message).toBe('upstream request failed');
    expect(fromTransport(new Error('boom'), 'm', true).message).toBe(
      'upstream response failed mid-answer: the answer may be truncated',
    );
    expect(fromTransport({ code: 42, cause: { code: 'EPIPE' } }, null).kind).toBe('unavailable');
    expect(fromTransport('a string', null).kind).toBe('upstream');
  });

  it('timeouts: the phase in the message; only a connect timeout is retried (the request never left)', () => {
    expect(fromTransport({ code: 'UND_ERR_CONNECT_TIMEOUT' }, 'm')).toMatchObject({
      retryable: true,
      message: 'upstream timed out (connect phase)',
    });
    expect(fromTransport({ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'm')).toMatchObject({
      retryable: false,
      message: 'upstream timed out (headers phase)',
    });
  });
});

describe('parseRetryAfter, at its edges', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads the first of repeated headers, around spaces', () => {
    expect(parseRetryAfter(['5', '9'], now)).toBe(5);
    expect(parseRetryAfter(' 30 ', now)).toBe(30);
    expect(parseRetryAfter('0', now)).toBe(0);
  });
  it('refuses numbers with anything around them, and empty values', () => {
    expect(parseRetryAfter('30s', now)).toBeNull();
    expect(parseRetryAfter('x30', now)).toBeNull();
    expect(parseRetryAfter('', now)).toBeNull();
    expect(parseRetryAfter([], now)).toBeNull();
  });
  it('rounds a date up to whole seconds, and a past date is now', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now + 500)).toBe(10);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now + 9_001)).toBe(1);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });
});

describe('an error page in any spelling', () => {
  it('decodes JSON escapes and numeric entities, clamping code points out of range', () => {
    const text = String.raw`\u0041\u00e9 a\/b &#x42;&#67; &#x110000; &#9999999; &bogus; &apos;q&apos;`;
    expect(fromResponse(502, text, undefined, null).message).toBe(
      `upstream answered 502: Aé a/b BC \u{10ffff} \u{10ffff} &bogus; 'q'`,
    );
  });

  it('finds a secret in any of those spellings, and in text a tag would cut', () => {
    const redact = (text: string) => text.replaceAll('k/<y', '[redacted]');
    for (const spelling of [
      String.raw`k\/<y`,
      String.raw`k\u002f\u003cy`,
      'k&#x2F;&lt;y',
      'k/<y',
    ]) {
      const message = fromResponse(
        502,
        `<p>key ${spelling} here</p>`,
        undefined,
        null,
        redact,
      ).message;
      expect(message).toBe('upstream answered 502: key [redacted] here');
    }
  });
});

describe('the stream errors', () => {
  it('name the clock that fired and its length', () => {
    expect(streamTimeout('first_token', 'm', 500)).toMatchObject({
      kind: 'timeout',
      phase: 'first_token',
      model: 'm',
      message: 'upstream sent no first token for 500 ms',
    });
    expect(streamTimeout('idle', 'm', 300).message).toBe('upstream sent nothing more for 300 ms');
    expect(totalTimeout('m', 900)).toMatchObject({
      kind: 'timeout',
      phase: 'total',
      message: 'upstream took longer than 900 ms',
    });
  });

  it('a broken stream is an upstream error with the status that opened it', () => {
    expect(brokenStream('m', 'sent junk')).toMatchObject({
      kind: 'upstream',
      status: 200,
      retryable: false,
      message: 'upstream stream sent junk',
    });
    expect(brokenStream('m', 'x', 206).status).toBe(206);
  });

  it('an in-band error keeps its type and param, redacted', () => {
    const error = fromInBandError(
      { message: 'bad k', type: 'T k', param: 'p k', code: 400, contextLength: null },
      'm',
      (text) => text.replaceAll('k', '*'),
    );
    expect(error).toMatchObject({
      kind: 'bad_request',
      message: 'bad *',
      upstreamType: 'T *',
      param: 'p *',
    });
  });
});
