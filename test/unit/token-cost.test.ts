// Every field that generates declares its token cost on itself: a new mutation or subscription that
// forgets it fails here instead of being free to every limit.
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { operationCost } from '../../src/plugins/use-operation-cost.ts';
import { tokenCostOf } from '../../src/schema/cost.ts';
import { schema } from '../../src/schema/index.ts';

const rules = { defaultMaxTokens: 256, maxOperationCost: 32_768 };

describe('token cost declared on the field', () => {
  it('every mutation and subscription field has one, and the queries that call a model; the rest call none', () => {
    for (const root of [schema.getMutationType()!, schema.getSubscriptionType()!]) {
      for (const field of Object.values(root.getFields()))
        expect(tokenCostOf(field.extensions), `${root.name}.${field.name}`).not.toBeNull();
    }
    const priced = Object.values(schema.getQueryType()!.getFields())
      .filter((field) => tokenCostOf(field.extensions) !== null)
      .map((field) => field.name);
    expect(priced).toEqual(['embed', 'rerank']);
  });

  it('prices each use of a field: aliases, fragments, variables, the default maxTokens', () => {
    const document = parse(`
      mutation($m: Int, $o: GenerationOptions) {
        a: complete(model: "x", prompt: "p", maxTokens: $m, options: $o) { __typename }
        b: chat(model: "x", messages: []) { __typename }
        ...more
      }
      fragment more on Mutation { c: complete(model: "x", prompt: "p", maxTokens: 10) { __typename } }
    `);
    expect(operationCost(schema, document, { m: 100, o: { n: 3 } }, null, rules)).toBe(
      100 * 3 + 256 + 10,
    );
    expect(operationCost(schema, parse('{ models { id } }'), {}, null, rules)).toBe(0);
  });

  it('counts a field that alone is over the limit for nothing: its own resolver refuses it', () => {
    const document = parse(`
      mutation($n: Int) {
        over: complete(model: "x", prompt: "p", maxTokens: 4096, options: { n: $n }) { __typename }
        fits: complete(model: "x", prompt: "p", maxTokens: 100) { __typename }
      }
    `);
    const limit = { ...rules, maxOperationCost: 4096 * 8 };
    // 4096 × 8 is the limit itself: counted.
    expect(operationCost(schema, document, { n: 8 }, null, limit)).toBe(4096 * 8 + 100);
    // One more choice and the field alone is over it.
    expect(operationCost(schema, document, { n: 9 }, null, limit)).toBe(100);
  });

  it('prices embed and rerank by their estimated input: 4 characters a token, the query with each passage', () => {
    const document = parse(`
      query($texts: [String!]!) {
        a: embed(model: "x", input: $texts) { __typename }
        b: embed(model: "x", input: "one") { __typename }
        rerank(model: "x", query: "1234", passages: ["12345678", "1"]) { __typename }
      }
    `);
    // [9 characters: 3, 1: 1], "one": 1; (4 + 8) / 4 = 3 and (4 + 1) / 4 rounded up = 2.
    expect(operationCost(schema, document, { texts: ['123456789', 'x'] }, null, rules)).toBe(
      3 + 1 + 1 + 3 + 2,
    );
  });
});
