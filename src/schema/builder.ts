import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
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
  description: 'A date and time, serialized as an RFC 3339 string in UTC (e.g. "2026-11-25T10:00:00.000Z").',
});
builder.addScalarType('JSON', JSONResolver, {
  description: 'Any JSON value: object, array, string, number, boolean or null.',
});
builder.queryType({ description: 'Read-only operations: the models NIM Proxy serves.' });
builder.mutationType({ description: 'Generations: each field is one call to a model.' });
builder.subscriptionType({
  description: 'Streamed generations over server-sent events: tokens arrive as the model produces them.',
});

export type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
