// Each class of upstream error answer, word for word as a client reads it: the typed error, its
// message, its status and whether it may be retried; and a 404 for a call that named no model (the
// model list) is no MODEL_NOT_FOUND.
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  gatewayInFront,
  sendModels,
  startUpstream,
  type GatewayInFront,
  type TestUpstream,
} from '../support/upstream.ts';

const MODEL = 'test/model';
const COMPLETE = /* GraphQL */ `
  mutation ($m: ID!) {
    complete(model: $m, prompt: "Hi", maxTokens: 4) {
      __typename
      ... on GatewayError {
        code
        message
      }
      ... on ModelNotFoundError {
        requestedModel
        availableModels
      }
      ... on InvalidInputError {
        argument
      }
      ... on ContextLengthExceededError {
        maxContextLength
      }
      ... on RateLimitedError {
        retryAfterSeconds
      }
      ... on UpstreamError {
        upstreamStatus
        retryable
      }
    }
  }
`;

type Reply = (res: ServerResponse) => void;

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Reply =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
const nimError = (status: number, message: string, param: string | null = null) =>
  json(status, { object: 'error', message, type: 'SomeError', param, code: status });

describe('what a client reads of each upstream error answer', () => {
  let upstream: TestUpstream;
  let front: GatewayInFront;
  let completions: Reply = () => undefined;
  let models: Reply = (res) => sendModels(res, MODEL);

  beforeAll(async () => {
    upstream = await startUpstream((_req, res, asked) => {
      if (asked.path === '/v1/models') return models(res);
      if (asked.path === '/v1/completions') return completions(res);
      res.writeHead(404).end();
    });
    front = await gatewayInFront(upstream.url, {
      UPSTREAM_MAX_RETRIES: '0',
      // Each answer is judged alone; the breaker has its own tests.
      UPSTREAM_BREAKER_FAILURES: '10000',
    });
  });
  afterAll(async () => {
    await front?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    models = (res) => sendModels(res, MODEL);
    front.gateway.services.catalog.invalidate();
  });

  const complete = async (reply: Reply) => {
    completions = reply;
    const { data, errors } = await front.gql(COMPLETE, { m: MODEL });
    expect(errors).toBeUndefined();
    return data!.complete as Record<string, unknown>;
  };

  it('401 and 403: the gateway key was refused, said so, not retryable', async () => {
    for (const status of [401, 403]) {
      expect(await complete(nimError(status, 'invalid api key'))).toEqual({
        __typename: 'UpstreamError',
        code: 'UPSTREAM_ERROR',
        message: `upstream refused the gateway's key (${status}): invalid api key`,
        upstreamStatus: status,
        retryable: false,
      });
    }
  });

  it('404 for the model asked for: MODEL_NOT_FOUND naming it', async () => {
    expect(await complete(nimError(404, 'Not Found'))).toEqual({
      __typename: 'ModelNotFoundError',
      code: 'MODEL_NOT_FOUND',
      message: `The model \`${MODEL}\` does not exist.`,
      requestedModel: MODEL,
      availableModels: [MODEL],
    });
  });

  it('400 blaming an argument: BAD_USER_INPUT with the argument in GraphQL spelling and the upstream words', async () => {
    expect(await complete(nimError(400, 'max_tokens must be at least 1', 'max_tokens'))).toEqual({
      __typename: 'InvalidInputError',
      code: 'BAD_USER_INPUT',
      message: 'max_tokens must be at least 1',
      argument: 'maxTokens',
    });
    expect(await complete(nimError(422, 'bad value'))).toEqual({
      __typename: 'InvalidInputError',
      code: 'BAD_USER_INPUT',
      message: 'bad value',
      argument: null,
    });
  });

  it('400 blaming the model: MODEL_NOT_FOUND with the upstream words', async () => {
    expect(await complete(nimError(400, 'no such model: test/model', 'model'))).toMatchObject({
      __typename: 'ModelNotFoundError',
      code: 'MODEL_NOT_FOUND',
      message: 'no such model: test/model',
      requestedModel: MODEL,
    });
  });

  it('429: RATE_LIMITED with the Retry-After seconds, also given as an HTTP date', async () => {
    expect(await complete(nimError(429, 'slow down'))).toEqual({
      __typename: 'RateLimitedError',
      code: 'RATE_LIMITED',
      message: 'upstream answered 429: slow down',
      retryAfterSeconds: null,
    });
    expect(
      await complete(json(429, { error: 'slow down' }, { 'retry-after': '120' })),
    ).toMatchObject({ retryAfterSeconds: 120 });
    const at = new Date(Date.now() + 3_600_000).toUTCString();
    const fromDate = await complete(json(429, { error: 'slow down' }, { 'retry-after': at }));
    expect(fromDate.retryAfterSeconds).toBeGreaterThan(3_500);
    expect(fromDate.retryAfterSeconds).toBeLessThanOrEqual(3_600);
  });

  it('5xx: retryable; 502, 503 and 504 are UPSTREAM_UNAVAILABLE, the others UPSTREAM_ERROR; 4xx others are not retryable', async () => {
    for (const [status, code, retryable] of [
      [500, 'UPSTREAM_ERROR', true],
      [501, 'UPSTREAM_ERROR', true],
      [502, 'UPSTREAM_UNAVAILABLE', true],
      [503, 'UPSTREAM_UNAVAILABLE', true],
      [504, 'UPSTREAM_UNAVAILABLE', true],
      [409, 'UPSTREAM_ERROR', false],
      [499, 'UPSTREAM_ERROR', false],
    ] as const) {
      expect(await complete(nimError(status, 'went wrong'))).toEqual({
        __typename: 'UpstreamError',
        code,
        message: `upstream answered ${status}: went wrong`,
        upstreamStatus: status,
        retryable,
      });
    }
  });

  it('an error page: its text without markup, entities decoded, cut at 200 characters', async () => {
    const page =
      (text: string): Reply =>
      (res) => {
        res.writeHead(500, { 'content-type': 'text/html' });
        res.end(`<html><body><h1>${text}</h1>\n\n<p>  </p></body></html>`);
      };
    expect(
      (await complete(page('Tom &amp; Jerry &lt;3 &quot;x&quot; &#39;y&#39; &#x41;&#66; &nbsp;z')))
        .message,
    ).toBe(`upstream answered 500: Tom & Jerry <3 "x" 'y' AB z`);
    const long = 'word '.repeat(60);
    expect((await complete(page(long))).message).toBe(
      `upstream answered 500: ${long.slice(0, 200)}`,
    );
    expect((await complete(page(''))).message).toBe('upstream answered 500: no error body');
  });

  it('the model list: entries that are no model, or have no id, are left out; fields of the wrong type read as null', async () => {
    models = json(200, {
      object: 'list',
      data: [
        {
          id: 'a/one',
          object: 'model',
          created: 1_700_000_000,
          owned_by: 'system',
          max_model_len: 4096,
        },
        {
          id: 'a/two',
          created: 'yesterday',
          owned_by: 7,
          root: 5,
          parent: ['x'],
          max_model_len: 1.5,
        },
        { id: 'a/lora', object: 'model', parent: 'a/one', root: 'a/one' },
        { id: 'a/perm', object: 'model_permission' },
        { id: '', object: 'model' },
        { object: 'model' },
        'a/string',
      ],
    });
    const { data, errors } = await front.gql(
      '{ models { id created ownedBy maxModelLength parentId } }',
    );
    expect(errors).toBeUndefined();
    expect(data!.models).toEqual([
      {
        id: 'a/one',
        created: new Date(1_700_000_000_000).toISOString(),
        ownedBy: 'system',
        maxModelLength: 4096,
        parentId: null,
      },
      { id: 'a/two', created: null, ownedBy: null, maxModelLength: null, parentId: null },
      { id: 'a/lora', created: null, ownedBy: null, maxModelLength: null, parentId: 'a/one' },
    ]);
  });

  it('a 404 for the model list (no model named) is an UPSTREAM_ERROR, not MODEL_NOT_FOUND', async () => {
    models = nimError(404, 'Not Found');
    const { data, errors } = await front.gql('{ models { id } }');
    expect(data).toBeNull();
    expect(errors).toHaveLength(1);
    expect(errors![0]).toMatchObject({
      message: 'upstream answered 404: Not Found',
      extensions: { code: 'UPSTREAM_ERROR', upstreamStatus: 404, retryable: false },
    });
  });
});
