import { describe, expect, it } from 'vitest';
import { fromResponse, fromTransport, parseRetryAfter } from '../../src/nim/errors.ts';

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
