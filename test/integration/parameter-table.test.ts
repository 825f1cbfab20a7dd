// The one parameter table (src/nim/parameters.ts) against what really goes over the wire: every
// declared parameter is sent under its wire name for each endpoint and dialect, nothing undeclared is
// sent, a NIM 1.x that refuses unknown keys accepts every body, and the GraphQL input has exactly
// the table's fields.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARAMETERS, type AnyParameter, type Endpoint } from '../../src/nim/parameters.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const QUERIES: Record<Endpoint, string> = {
  completion: `mutation C($o: GenerationOptions) { complete(model: "${MODEL}", prompt: "Once", maxTokens: 8, options: $o) { __typename ... on GatewayError { code message } } }`,
  chat: `mutation Ch($o: GenerationOptions) { chat(model: "${MODEL}", messages: [{ role: USER, content: "Hi" }], maxTokens: 8, options: $o) { __typename ... on GatewayError { code message } } }`,
};
const PATHS: Record<Endpoint, string> = {
  completion: '/v1/completions',
  chat: '/v1/chat/completions',
};
const RESULT: Record<Endpoint, string> = { completion: 'Completion', chat: 'ChatCompletion' };
/** What a body carries besides the table's parameters. */
const REQUEST_KEYS = new Set([
  'model',
  'prompt',
  'messages',
  'max_tokens',
  'stream',
  'stream_options',
  'response_format',
]);

const table = Object.entries(PARAMETERS) as [string, AnyParameter][];
const applicable = (endpoint: Endpoint) =>
  table.filter(([, p]) => p.only === undefined || p.only === endpoint);
/** The wire keys and values a parameter becomes on an endpoint. */
const onWire = (endpoint: Endpoint, parameter: AnyParameter): Record<string, unknown> =>
  endpoint === 'chat' && parameter.chatWire
    ? parameter.chatWire(parameter.example as never)
    : { [parameter.wire]: parameter.example };

for (const [dialect, apiVersion] of [
  ['top-level', 2],
  ['nvext', 1],
] as const) {
  describe(`every parameter of the table goes out (NIM_API_DIALECT=${dialect}, NIM ${apiVersion}.x)`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ NIM_API_DIALECT: dialect }, { tokenDelayMs: 0, apiVersion });
    });
    afterAll(() => stack.close());

    for (const endpoint of ['completion', 'chat'] as const) {
      it(`${endpoint}: each declared parameter under its wire name, nothing undeclared`, async () => {
        const options = Object.fromEntries(
          applicable(endpoint).map(([name, p]) => [name, p.example]),
        );
        const { data } = await stack.gql(QUERIES[endpoint], { o: options });
        const result = Object.values(data!)[0] as { __typename: string; message?: string };
        expect(result.__typename, result.message).toBe(RESULT[endpoint]);
        const body = stack.sim.requests.filter((r) => r.path === PATHS[endpoint]).at(-1)!
          .body as Record<string, unknown>;
        const nested = (body.nvext ?? {}) as Record<string, unknown>;
        for (const [name, parameter] of applicable(endpoint)) {
          const where = dialect === 'nvext' && parameter.extension ? nested : body;
          expect(where, name).toMatchObject(onWire(endpoint, parameter));
        }
        const declared = new Set(
          applicable(endpoint).flatMap(([, p]) => Object.keys(onWire(endpoint, p))),
        );
        const sent = [...Object.keys(body).filter((k) => k !== 'nvext'), ...Object.keys(nested)];
        expect(sent.filter((key) => !REQUEST_KEYS.has(key) && !declared.has(key))).toEqual([]);
      });
    }
  });
}

it('GenerationOptions has exactly the fields of the table', async () => {
  const stack = await startStack({}, { tokenDelayMs: 0 });
  try {
    const { data } = await stack.gql(
      '{ __type(name: "GenerationOptions") { inputFields { name description } } }',
    );
    const fields = (data!.__type as { inputFields: { name: string; description: string }[] })
      .inputFields;
    expect(fields.map((f) => f.name).sort()).toEqual(Object.keys(PARAMETERS).sort());
    for (const field of fields)
      expect(field.description).toBe(
        (PARAMETERS as Record<string, AnyParameter>)[field.name]!.description,
      );
  } finally {
    await stack.close();
  }
});
