import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type { Context } from '../context.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: { DateTime: { Input: Date; Output: Date }; JSON: { Input: unknown; Output: unknown } };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  plugins: [ErrorsPlugin],
  // Arguments are checked in the resolvers (schema/options.ts, generation.ts) so that mutations and
  // subscriptions share one path: the validation plugin cannot turn a subscription's bad input into an event.
  errors: { defaultTypes: [], directResult: true },
});

builder.addScalarType('DateTime', DateTimeResolver, {
  description:
    'A date and time, serialized as an RFC 3339 string in UTC (e.g. "2026-11-25T10:00:00.000Z").',
});
/** How deep a JSON argument may nest: deeper is a client's mistake (or an attack), never sent upstream. */
const MAX_JSON_DEPTH = 64;

const tooDeep = () =>
  new GraphQLError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });

function valueDepth(value: unknown, limit: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (limit === 0) return 1;
  let deepest = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    deepest = Math.max(deepest, valueDepth(item, limit - 1));
    if (deepest >= limit) break;
  }
  return 1 + deepest;
}

function literalDepth(node: ValueNode, limit: number): number {
  const children =
    node.kind === Kind.LIST
      ? node.values
      : node.kind === Kind.OBJECT
        ? node.fields.map((f) => f.value)
        : null;
  if (children === null) return 0;
  if (limit === 0) return 1;
  let deepest = 0;
  for (const child of children) {
    deepest = Math.max(deepest, literalDepth(child, limit - 1));
    if (deepest >= limit) break;
  }
  return 1 + deepest;
}

const BoundedJSON = new GraphQLScalarType({
  ...JSONResolver.toConfig(),
  parseValue(value) {
    if (valueDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw tooDeep();
    return JSONResolver.parseValue(value);
  },
  parseLiteral(node, variables) {
    if (literalDepth(node, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw tooDeep();
    return JSONResolver.parseLiteral(node, variables);
  },
});

builder.addScalarType('JSON', BoundedJSON, {
  description: `Any JSON value: object, array, string, number, boolean or null, nested at most ${MAX_JSON_DEPTH} deep.`,
});
builder.queryType({
  description:
    'Read-only operations: the models NIM Proxy serves, embeddings and rankings (pure functions of their arguments).',
});
builder.mutationType({ description: 'Generations: each field is one call to a model.' });
builder.subscriptionType({
  description:
    'Streamed generations over server-sent events: tokens arrive as the model produces them.',
});

export type BuilderTypes =
  typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
