import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import ValidationPlugin from '@pothos/plugin-validation';
import { DateTimeResolver } from 'graphql-scalars';
import type { Context } from '../context.ts';
import { InvalidInputError } from './failures.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: { DateTime: { Input: Date; Output: Date } };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  plugins: [ErrorsPlugin, ValidationPlugin],
  errors: { defaultTypes: [], directResult: true, unsafelyHandleInputErrors: true },
  validation: {
    validationError: (result) => {
      const issue = result.issues[0];
      const key = issue?.path?.[0];
      const argument = typeof key === 'object' ? String(key.key) : String(key ?? '');
      return new InvalidInputError(argument || null, `${argument ? `${argument}: ` : ''}${issue?.message ?? 'invalid'}`);
    },
  },
});

builder.addScalarType('DateTime', DateTimeResolver, {
  description: 'A date and time, serialized as an RFC 3339 string in UTC (e.g. "2026-11-25T10:00:00.000Z").',
});
builder.queryType({ description: 'Read-only operations: the models NIM Proxy serves.' });
builder.mutationType({ description: 'Generations: each field is one call to a model.' });

export type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
