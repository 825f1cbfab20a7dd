// schema.graphql is what GraphiQL users and GraphQL Code Generator read: every type, field, enum
// value and description in it must be the schema the gateway serves.
import { readFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { expect, it } from 'vitest';
import { schema } from '../../src/schema/index.ts';

it('schema.graphql is the served schema, descriptions included', () => {
  const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
  expect(`${printSchema(schema)}\n`).toBe(committed);
});
