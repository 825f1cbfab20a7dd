// The possibleTypes map a normalised cache needs (Apollo's InMemoryCache, urql's Graphcache) holds
// every union and interface of the schema with all their members, so no typed error is read as an
// empty object; `npm test` regenerates it (codegen --check) whenever the schema changes.
import { readFileSync } from 'node:fs';
import { buildSchema, isInterfaceType, isUnionType } from 'graphql';
import { expect, it } from 'vitest';
import result from '../../examples/gql/possible-types.ts';

it('holds every abstract type of the schema with every member', () => {
  const schema = buildSchema(
    readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'),
  );
  const expected: Record<string, string[]> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isUnionType(type) || isInterfaceType(type))
      expected[type.name] = schema
        .getPossibleTypes(type)
        .map((t) => t.name)
        .sort();
  }
  const actual = Object.fromEntries(
    Object.entries(result.possibleTypes).map(([name, members]) => [name, [...members].sort()]),
  );
  expect(actual).toEqual(expected);
  expect(actual.ChatResult).toContain('ModelNotFoundError');
  expect(actual.GatewayError!.length).toBeGreaterThan(8);
});
