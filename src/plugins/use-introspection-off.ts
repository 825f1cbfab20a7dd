// INTROSPECTION=false: `__schema` and `__type` are refused at validation, and no error message
// names what the schema has ("Did you mean …?" in field, argument, enum-value and variable errors).
// Validation and execution are envelop's, so this holds on every way in.
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { remade, useResultErrors } from './result-errors.ts';

const SUGGESTION = /\s*Did you mean [^?]*\?/g;

function withoutSuggestions<E extends Error>(error: E): E | GraphQLError {
  const message = error.message.replace(SUGGESTION, '');
  if (message === error.message) return error;
  return error instanceof GraphQLError
    ? remade(error, { message })
    : new GraphQLError(message, { originalError: error });
}

const cleanResults = useResultErrors((result) => result.errors!.map(withoutSuggestions));

export function useIntrospectionOff(): Plugin[] {
  return [
    {
      onValidate({ addValidationRule }) {
        addValidationRule(NoSchemaIntrospectionCustomRule);
        return ({ valid, result, setResult }) => {
          if (!valid) setResult(result.map(withoutSuggestions));
        };
      },
    },
    cleanResults,
  ];
}
