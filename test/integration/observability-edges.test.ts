// The log line and the operation metrics at their edges, over real sockets: which paths are no
// operation, what a refusal without a code counts as, a document not run that is answered 200,
// errors of a result by their code, and what Server-Timing splits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample, startLoggedGateway, type LoggedGateway } from '../support/logged-gateway.ts';
import { MODEL } from '../support/stack.ts';

let gw: LoggedGateway;
let ids = 0;
const nextId = () => `edges-${++ids}`;
beforeAll(async () => {
  // Tokens 20 ms apart upstream: Server-Timing has an upstream share to split.
  gw = await startLoggedGateway({}, { tokenDelayMs: 20 });
});
afterAll(() => gw.close());

const post = (id: string, body: unknown, accept = 'application/graphql-response+json') =>
  gw.raw(
    'POST',
    '/graphql',
    { 'content-type': 'application/json', accept, 'x-request-id': id },
    JSON.stringify(body),
  );
const errors = async (code: string) =>
  sample(await gw.metrics(), 'nim_graphql_errors_total', { code });

describe('the log line and the metrics, at their edges', () => {
  it('logs no operation for probes, scrapes and GraphiQL files, and one for a look-alike path', async () => {
    const quiet = [nextId(), nextId()];
    await gw.raw('GET', '/health/live', { 'x-request-id': quiet[0]! });
    await gw.raw('GET', '/metrics', { 'x-request-id': quiet[1]! });
    const lookAlike = ['/metricsx', '/x/metrics', '/x/graphiql/x.js'].map((path) => [
      path,
      nextId(),
    ]);
    for (const [path, id] of lookAlike) {
      const answer = await gw.raw('GET', path!, { 'x-request-id': id! });
      expect(answer.status, path).toBe(404);
    }
    await expect.poll(() => gw.linesOf(lookAlike.at(-1)![1]!).length).toBe(1);
    for (const id of quiet) expect(gw.linesOf(id)).toEqual([]);
    for (const [path, id] of lookAlike)
      expect(gw.linesOf(id!), path).toEqual([
        expect.objectContaining({ msg: 'operation', status: 404, outcome: 'refused' }),
      ]);
  });

  it('counts a refusal that carries no code by its status, and logs it refused', async () => {
    // A subscription under JSON alone: 406, an empty body.
    const before = await errors('HTTP_406');
    const id = nextId();
    const answer = await post(
      id,
      {
        query: `subscription { completionStream(model: "${MODEL}", prompt: "x", maxTokens: 1) { __typename } }`,
      },
      'application/json',
    );
    expect(answer.status).toBe(406);
    await expect.poll(() => gw.linesOf(id).length).toBe(1);
    expect(gw.linesOf(id)[0]).toMatchObject({ status: 406, outcome: 'refused', errorCode: null });
    expect(await errors('HTTP_406')).toBe(before + 1);
    // The stream it did not send is closed: none left open, no upstream call.
    expect(sample(await gw.metrics(), 'nim_graphql_open_streams')).toBe(0);
    expect(gw.sim.countRequests('/v1/completions')).toBe(0);
  });

  it('logs a document that is not run as refused even when it is answered 200, and counts its code once', async () => {
    const before = await errors('GRAPHQL_PARSE_FAILED');
    const id = nextId();
    const answer = await post(id, { query: '{ models { id ' }, 'application/json');
    expect(answer.status).toBe(200);
    await expect.poll(() => gw.linesOf(id).length).toBe(1);
    expect(gw.linesOf(id)[0]).toMatchObject({
      status: 200,
      outcome: 'refused',
      errorCode: 'GRAPHQL_PARSE_FAILED',
    });
    expect(await errors('GRAPHQL_PARSE_FAILED')).toBe(before + 1);
  });

  it('counts each code of a result’s errors, and logs the first', async () => {
    const before = await errors('BAD_USER_INPUT');
    const id = nextId();
    // A variable of the wrong type: the result's one error.
    const answer = await post(id, {
      query: 'query($id: ID!) { model(id: $id) { id } }',
      variables: { id: { not: 'an id' } },
    });
    expect(answer.status).toBe(400);
    await expect.poll(() => gw.linesOf(id).length).toBe(1);
    expect(gw.linesOf(id)[0]).toMatchObject({ outcome: 'refused', errorCode: 'BAD_USER_INPUT' });
    expect(await errors('BAD_USER_INPUT')).toBe(before + 1);
  });

  it('splits Server-Timing into what the gateway spent and what the upstream did, together within the wall time', async () => {
    const started = performance.now();
    const answer = await post(nextId(), {
      query: `mutation { complete(model: "${MODEL}", prompt: "x", maxTokens: 5) { __typename } }`,
    });
    const wall = performance.now() - started;
    expect(answer.status).toBe(200);
    const timing = String(answer.headers['server-timing']);
    const [, gateway, upstream] =
      /^gateway;dur=([\d.]+), upstream;dur=([\d.]+)$/.exec(timing) ?? [];
    expect(Number(upstream)).toBeGreaterThan(5);
    expect(Number(gateway) + Number(upstream)).toBeLessThanOrEqual(wall);
  });
});
