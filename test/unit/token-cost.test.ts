// Every field that generates declares its token cost on itself: a new mutation or subscription that
// forgets it fails here instead of being free to every limit.
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { operationCost } from '../../src/plugins/use-operation-cost.ts';
import { tokenCostOf } from '../../src/schema/cost.ts';
import { schema } from '../../src/schema/index.ts';

const rules = { defaultMaxTokens: 256 };

describe('token cost declared on the field', () => {
  it('every mutation and subscription field has one; queries generate nothing', () => {
    for (const root of [schema.getMutationType()!, schema.getSubscriptionType()!]) {
      for (const field of Object.values(root.getFields()))
        expect(tokenCostOf(field.extensions), `${root.name}.${field.name}`).not.toBeNull();
    }
    for (const field of Object.values(schema.getQueryType()!.getFields()))
      expect(tokenCostOf(field.extensions), field.name).toBeNull();
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
});
