// What a client sees when the gate refuses (and when it does not), over real sockets with the exact
// header bytes a client sends: the Authorization header's grammar, CSRF's simple requests, GraphQL
// only on its endpoints, and the log line and metric of every refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sample,
  startLoggedGateway,
  type LoggedGateway,
  type RawAnswer,
} from '../support/logged-gateway.ts';

const KEY = 'gate-key-0123456789abcdef';
const QUERY = JSON.stringify({ query: 'query Hello { __typename }' });
const JSON_POST = {
  'content-type': 'application/json',
  accept: 'application/graphql-response+json',
};
const REALM = 'Bearer realm="nim-graphql"';
const MISSING =
  'Authentication required: send the header `Authorization: Bearer <key>` with a gateway API key.';
const INVALID = 'The API key is not valid.';
const CSRF =
  'Send the `x-graphql-yoga-csrf` header (any value) or a JSON body: a request any web page could make a browser send does not run.';
const NOT_FOUND = 'Not found: GraphQL is served at /graphql.';

let ids = 0;
const nextId = () => `gate-refusals-${++ids}`;

function expectRefusal(answer: RawAnswer, status: number, code: string, message: string) {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(answer.json).toEqual({ errors: [{ message, extensions: { code } }] });
}

function expectServed(answer: RawAnswer) {
  expect(answer.status, answer.text).toBe(200);
  expect(answer.json?.data).toEqual({ __typename: 'Query' });
}

describe('the gate with client keys (GATEWAY_API_KEYS)', () => {
  let gw: LoggedGateway;
  beforeAll(async () => {
    gw = await startLoggedGateway({ GATEWAY_API_KEYS: KEY });
  });
  afterAll(() => gw.close());

  const post = (authorization: string | null, id = nextId()) =>
    gw.raw(
      'POST',
      '/graphql',
      { ...JSON_POST, 'x-request-id': id, ...(authorization === null ? {} : { authorization }) },
      QUERY,
    );

  it('accepts `Bearer <key>` with the scheme in any case and spaces or tabs before the key', async () => {
    for (const authorization of [
      `Bearer ${KEY}`,
      `bearer ${KEY}`,
      `BEARER ${KEY}`,
      `Bearer\t${KEY}`,
      `Bearer   ${KEY}`,
      `Bearer \t ${KEY}`,
    ]) {
      expectServed(await post(authorization));
    }
  });

  it('refuses a header that only contains `Bearer <key>` somewhere: prefixed, followed by more, or split by other whitespace', async () => {
    const malformed = [
      `Bearer ${KEY} junk`,
      `Bearer ${KEY} ${KEY}`,
      `XBearer ${KEY}`,
      `Token Bearer ${KEY}`,
      `Bearer ${KEY}\u00a0`,
      `Bearer\u00a0${KEY}`,
      `Bearer${KEY}`,
      'Bearer',
      `Basic ${KEY}`,
      KEY,
      '',
    ];
    for (const authorization of malformed) {
      const answer = await post(authorization);
      expectRefusal(answer, 401, 'UNAUTHENTICATED', MISSING);
      expect(answer.headers['www-authenticate'], JSON.stringify(authorization)).toBe(REALM);
    }
  });

  it('a well-formed header with a key that is not configured: 401 invalid_token, and nothing of the key echoed', async () => {
    for (const key of [`${KEY}x`, KEY.slice(0, -1), KEY.toUpperCase()]) {
      const answer = await post(`Bearer ${key}`);
      expectRefusal(answer, 401, 'UNAUTHENTICATED', INVALID);
      expect(answer.headers['www-authenticate']).toBe(`${REALM}, error="invalid_token"`);
      expect(answer.text).not.toContain(key);
    }
  });

  it('logs each refusal once as refused, with its status and code, and counts it', async () => {
    const labels = { operation: 'none', type: 'none', outcome: 'refused' };
    const before = sample(await gw.metrics(), 'nim_graphql_operations_total', labels);
    const missing = nextId();
    const invalid = nextId();
    await post(null, missing);
    await post(`Bearer ${KEY}0`, invalid);
    await expect.poll(() => gw.linesOf(invalid).length).toBe(1);
    for (const id of [missing, invalid]) {
      expect(gw.linesOf(id)).toEqual([
        expect.objectContaining({
          msg: 'operation',
          status: 401,
          outcome: 'refused',
          errorCode: 'UNAUTHENTICATED',
        }),
      ]);
    }
    expect(sample(await gw.metrics(), 'nim_graphql_operations_total', labels)).toBe(before + 2);
  });

  it('checks the key before CSRF: a simple request without a key is 401, with the key 403', async () => {
    expectRefusal(
      await gw.raw('GET', '/graphql?query=%7B__typename%7D'),
      401,
      'UNAUTHENTICATED',
      MISSING,
    );
    expectRefusal(
      await gw.raw('GET', '/graphql?query=%7B__typename%7D', { authorization: `Bearer ${KEY}` }),
      403,
      'CSRF_HEADER_REQUIRED',
      CSRF,
    );
  });

  it('answers 404 outside the GraphQL endpoints before asking for a key, logged with its code', async () => {
    for (const target of ['/', '/nowhere', '/graphqlx', '/graphql/streams', '/api/graphql']) {
      const id = nextId();
      const answer = await gw.raw('POST', target, { ...JSON_POST, 'x-request-id': id }, QUERY);
      expectRefusal(answer, 404, 'NOT_FOUND', NOT_FOUND);
      expect(answer.headers['www-authenticate'], target).toBeUndefined();
    }
    const id = nextId();
    await gw.raw('POST', '/x/graphql', { ...JSON_POST, 'x-request-id': id }, QUERY);
    await expect.poll(() => gw.linesOf(id).length).toBe(1);
    expect(gw.linesOf(id)[0]).toMatchObject({
      status: 404,
      outcome: 'refused',
      errorCode: 'NOT_FOUND',
    });
  });

  it('leaves health, metrics and CORS preflights open without a key', async () => {
    expect((await gw.raw('GET', '/health/live')).status).toBe(200);
    expect((await gw.raw('GET', '/metrics')).text).toContain('nim_graphql_operations_total');
    const preflight = await gw.raw('OPTIONS', '/graphql', {
      origin: 'http://app.test',
      'access-control-request-method': 'POST',
    });
    expect(preflight.status).not.toBe(401);
    expect(preflight.text).not.toContain('UNAUTHENTICATED');
  });
});

describe('CSRF: a request any web page could make a browser send runs nothing', () => {
  let gw: LoggedGateway;
  beforeAll(async () => {
    gw = await startLoggedGateway();
  });
  afterAll(() => gw.close());

  it('refuses GET and HEAD without the CSRF header, and POST with a form-like or no content type', async () => {
    const target = `/graphql?query=${encodeURIComponent('query Hello { __typename }')}`;
    expectRefusal(await gw.raw('GET', target), 403, 'CSRF_HEADER_REQUIRED', CSRF);
    expectRefusal(
      await gw.raw('GET', target, { accept: 'application/json' }),
      403,
      'CSRF_HEADER_REQUIRED',
      CSRF,
    );
    const head = await gw.raw('HEAD', target);
    expect(head.status).toBe(403);
    const types = [
      'text/plain',
      'text/plain;charset=UTF-8',
      'Text/Plain ; charset=utf-8',
      'application/x-www-form-urlencoded',
      'APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8',
      'multipart/form-data; boundary=----x',
    ];
    for (const type of types) {
      expectRefusal(
        await gw.raw('POST', '/graphql', { 'content-type': type }, QUERY),
        403,
        'CSRF_HEADER_REQUIRED',
        CSRF,
      );
    }
    expectRefusal(await gw.raw('POST', '/graphql', {}, QUERY), 403, 'CSRF_HEADER_REQUIRED', CSRF);
  });

  it('serves the same operation as JSON, or with the CSRF header, or with the stream token header', async () => {
    const target = `/graphql?query=${encodeURIComponent('query Hello { __typename }')}`;
    expectServed(
      await gw.raw('GET', target, { 'x-graphql-yoga-csrf': '1', accept: 'application/json' }),
    );
    expectServed(
      await gw.raw('GET', target, {
        'x-graphql-event-stream-token': 't',
        accept: 'application/json',
      }),
    );
    expectServed(await gw.raw('POST', '/graphql', { 'content-type': 'application/json' }, QUERY));
    expectServed(
      await gw.raw(
        'POST',
        '/graphql',
        { 'content-type': 'application/json; charset=utf-8' },
        QUERY,
      ),
    );
    // Past the gate, Yoga answers that it reads no text/plain body.
    const plain = await gw.raw(
      'POST',
      '/graphql',
      { 'content-type': 'text/plain', 'x-graphql-yoga-csrf': 'x' },
      QUERY,
    );
    expect(plain.status, plain.text).toBe(415);
    expect(plain.text).not.toContain('CSRF_HEADER_REQUIRED');
  });

  it('does not ask a method a browser preflights anyway for the CSRF header', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const answer = await gw.raw(method, '/graphql');
      expect(answer.status, method).not.toBe(403);
      expect(answer.text, method).not.toContain('CSRF_HEADER_REQUIRED');
    }
  });
});
