// The embed fields of one operation share upstream calls (EMBED_BATCH_SIZE inputs at most), against a
// hand-written embeddings upstream that says what the simulator does not: a call's reported tokens
// divided among the fields it carried, by characters, adding up to the report; a call without usage;
// the model id the upstream answers with; and a call that sent back the wrong embeddings failing only
// the fields it carried.
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  gatewayInFront,
  sendModels,
  startUpstream,
  type GatewayInFront,
  type TestUpstream,
} from '../support/upstream.ts';

const MODEL = 'test/embed-1';

interface Sent {
  model: string;
  input: string[];
}

/** How the upstream answers one call: by default an embedding per input, [its length, its index]. */
interface Reply {
  indices?: (input: string[]) => number[];
  model?: unknown;
  usage?: (input: string[]) => { prompt_tokens: number; total_tokens: number } | undefined;
}

const chars = (input: string[]) => input.reduce((sum, text) => sum + text.length, 0);
const byChars = (input: string[]) => ({ prompt_tokens: chars(input), total_tokens: chars(input) });

function sendEmbeddings(res: ServerResponse, body: Sent, reply: Reply): void {
  const indices = reply.indices?.(body.input) ?? body.input.map((_, i) => i);
  const usage = (reply.usage ?? byChars)(body.input);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      object: 'list',
      data: indices.map((index) => ({
        object: 'embedding',
        index,
        embedding: [body.input[index]?.length ?? -1, index],
      })),
      model: 'model' in reply ? reply.model : body.model,
      ...(usage === undefined ? {} : { usage }),
    }),
  );
}

const FIELDS = /* GraphQL */ `
  ... on Embeddings {
    vectors
    model {
      id
    }
    usage {
      promptTokens
    }
  }
  ... on GatewayError {
    code
    message
  }
  ... on UpstreamError {
    upstreamStatus
  }
`;

/** An operation of one embed field per alias, each with its inputs. */
const operation = (fields: Record<string, string[]>) =>
  `{ ${Object.entries(fields)
    .map(
      ([alias, input]) =>
        `${alias}: embed(model: "${MODEL}", input: ${JSON.stringify(input)}) { ${FIELDS} }`,
    )
    .join('\n')} }`;

describe('embed fields sharing upstream calls', () => {
  let upstream: TestUpstream;
  let gateway: GatewayInFront;
  let reply: Reply = {};
  /** What an answer waits for, by the inputs of its call. */
  let hold: (input: string[]) => Promise<void> = () => Promise.resolve();
  beforeAll(async () => {
    upstream = await startUpstream((_req, res, asked) => {
      if (asked.path === '/v1/models') return sendModels(res, MODEL);
      const body = asked.body as Sent;
      const now = reply;
      void hold(body.input).then(() => sendEmbeddings(res, body, now));
    });
    gateway = await gatewayInFront(upstream.url, { EMBED_BATCH_SIZE: '2' });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });
  beforeEach(() => {
    reply = {};
    upstream.asked.length = 0;
  });

  const calls = () =>
    upstream.asked.filter((a) => a.path === '/v1/embeddings').map((a) => (a.body as Sent).input);

  /** The prompt tokens the metrics have counted for the model. */
  const promptTokensCounted = async () => {
    const metrics = await (await fetch(`${gateway.base}/metrics`)).text();
    const line = metrics
      .split('\n')
      .find(
        (l) =>
          l.startsWith('nim_graphql_tokens_total{') &&
          l.includes(`model="${MODEL}"`) &&
          l.includes('kind="prompt"'),
      );
    return Number(line?.split(' ').at(-1) ?? 0);
  };

  const embed = async (fields: Record<string, string[]>) => {
    const { data, errors } = await gateway.gql(operation(fields));
    expect(errors).toBeUndefined();
    return data as Record<string, Record<string, any>>;
  };

  it("divides a call's reported tokens among its fields by characters, the remainder to the largest fractions", async () => {
    reply = { usage: () => ({ prompt_tokens: 10, total_tokens: 10 }) };
    // "x" (1), "yyy" (3) in one call reported as 10: 2.5 and 7.5, floors 2 and 7, the one left over
    // to the first of the equal fractions: 3 and 7.
    const equal = await embed({ x: ['x'], y: ['yyy'] });
    expect(calls()).toEqual([['x', 'yyy']]);
    expect(equal.x).toMatchObject({ vectors: [[1, 0]], usage: { promptTokens: 3 } });
    expect(equal.y).toMatchObject({ vectors: [[3, 1]], usage: { promptTokens: 7 } });
    upstream.asked.length = 0;
    // "p" (1) and "qq" (2) reported as 10: 3.33 and 6.67, floors 3 and 6, the one left over to the
    // larger fraction: 3 and 7, adding up to the report.
    const unequal = await embed({ p: ['p'], q: ['qq'] });
    expect(unequal.p!.usage).toEqual({ promptTokens: 3 });
    expect(unequal.q!.usage).toEqual({ promptTokens: 7 });
    upstream.asked.length = 0;
    // Reported as 0: nothing to divide, 0 each.
    reply = { usage: () => ({ prompt_tokens: 0, total_tokens: 0 }) };
    const none = await embed({ p: ['p'], q: ['qq'] });
    expect([none.p!.usage, none.q!.usage]).toEqual([{ promptTokens: 0 }, { promptTokens: 0 }]);
  });

  it('adds up the shares of every call a field went in, its vectors back in input order', async () => {
    // Batches of 2: ["aaaa", "b"] (5 tokens, all a's) and ["cc", "ddd"] (5 tokens: 2 a's, 3 d's).
    const data = await embed({ a: ['aaaa', 'b', 'cc'], d: ['ddd'] });
    expect(calls()).toEqual([
      ['aaaa', 'b'],
      ['cc', 'ddd'],
    ]);
    expect(data.a).toEqual({
      vectors: [
        [4, 0],
        [1, 1],
        [2, 0],
      ],
      model: { id: MODEL },
      usage: { promptTokens: 7 },
    });
    expect(data.d).toEqual({ vectors: [[3, 1]], model: { id: MODEL }, usage: { promptTokens: 3 } });
    // Options left out are left out of the wire body too.
    expect(upstream.asked.find((a) => a.path === '/v1/embeddings')?.body).toEqual({
      model: MODEL,
      input: ['aaaa', 'b'],
      encoding_format: 'float',
    });
  });

  it('gives no usage to a field when a call it went in reported none, and counts the estimate instead', async () => {
    // The call carrying "cc" says no usage: "a" went in it, "d" did not.
    const before = await promptTokensCounted();
    reply = { usage: (input) => (input.includes('cc') ? undefined : byChars(input)) };
    const data = await embed({ a: ['aaaa', 'b', 'cc'], d: ['dddd', 'e'] });
    expect(calls()).toEqual([['aaaa', 'b'], ['cc', 'dddd'], ['e']]);
    expect(data.a!.usage).toBeNull();
    expect(data.a!.vectors).toEqual([
      [4, 0],
      [1, 1],
      [2, 0],
    ]);
    // "d" shares the usage-less call too.
    expect(data.d!.usage).toBeNull();
    const alone = await embed({ e: ['eeeeeeeee'] });
    expect(alone.e!.usage).toEqual({ promptTokens: 9 });
    reply = { usage: () => undefined };
    const unreported = await embed({ f: ['ffff', 'fffff'] });
    expect(unreported.f!.usage).toBeNull();
    // The token metric counts the reports (5 and 1, then 9) and, for the calls without one, the
    // estimate of 4 characters a token of what they carried: "cc" and "dddd" 1 + 1; "ffff" and "fffff" 1 + 2.
    const counted = (await promptTokensCounted()) - before;
    expect(counted).toBe(5 + (1 + 1) + 1 + 9 + (1 + 2));
  });

  it('names the model the upstream answered with, or the one asked for when it names none', async () => {
    reply = { model: 'test/embed-1-served' };
    expect((await embed({ a: ['hello'] })).a!.model).toEqual({ id: 'test/embed-1-served' });
    reply = { model: null };
    expect((await embed({ a: ['hello'] })).a!.model).toEqual({ id: MODEL });
  });

  it('fails the fields of a call that sent back other embeddings than it was given, and only those', async () => {
    // The call carrying "bad" answers one embedding too few; the other call is whole.
    reply = {
      indices: (input) => (input.includes('bad') ? [0] : input.map((_, i) => i)),
    };
    const data = await embed({ a: ['fine', 'good'], b: ['bad', 'worse'], c: ['ok'] });
    expect(calls()).toEqual([['fine', 'good'], ['bad', 'worse'], ['ok']]);
    expect(data.a).toMatchObject({
      vectors: [
        [4, 0],
        [4, 1],
      ],
      usage: { promptTokens: 8 },
    });
    expect(data.b).toEqual({
      code: 'UPSTREAM_ERROR',
      message: 'upstream sent 1 embeddings for 2 inputs',
      upstreamStatus: 200,
    });
    expect(data.c).toMatchObject({ vectors: [[2, 0]], usage: { promptTokens: 2 } });
    // As many embeddings as inputs, but not one for each index (a duplicate, or one past the end),
    // or one for each index and one more.
    for (const indices of [
      [0, 0],
      [1, 2],
      [0, 1, 2],
    ]) {
      reply = { indices: () => indices };
      expect((await embed({ a: ['one', 'two'] })).a).toEqual({
        code: 'UPSTREAM_ERROR',
        message: `upstream sent ${indices.length} embeddings for 2 inputs`,
        upstreamStatus: 200,
      });
    }
    // A field in a failed call and a whole one fails; the other field of the whole call keeps its
    // vectors, whichever call is answered first (here the failed one, the whole one held until then).
    let failed: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (failed = resolve));
    reply = {
      indices: (input) => (input.includes('q1') ? [] : input.map((_, i) => i)),
    };
    hold = (input) =>
      input.includes('q1')
        ? (failed(), Promise.resolve())
        : answered.then(() => new Promise((resolve) => setTimeout(resolve, 100)));
    upstream.asked.length = 0;
    const mixed = await embed({ q: ['q1', 'q2', 'q'], r: ['rr'] });
    hold = () => Promise.resolve();
    expect(calls()).toEqual([
      ['q1', 'q2'],
      ['q', 'rr'],
    ]);
    expect(mixed.q).toMatchObject({ code: 'UPSTREAM_ERROR', upstreamStatus: 200 });
    expect(mixed.r).toEqual({
      vectors: [[2, 1]],
      model: { id: MODEL },
      usage: { promptTokens: 2 },
    });
    // Out of order is fine: each goes back to its input by index.
    reply = { indices: () => [1, 0] };
    expect((await embed({ a: ['one', 'three'] })).a!.vectors).toEqual([
      [3, 0],
      [5, 1],
    ]);
  });
});
