// INTROSPECTION=false: `__schema` and `__type` are refused at validation, and no error message
// names what the schema has ("Did you mean …?" in field, argument, enum-value and variable errors).
// Validation and execution are envelop's, so this holds on every way in.
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { remade, useResultErrors } from './result-errors.ts';

/** graphql-js appends its suggestions to the message after one space (`didYouMean`). */
const SUGGESTION = / Did you mean [^?]*\?/g;

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
        // A valid document's result is empty: mapping it changes nothing.
        return ({ result, setResult }) => setResult(result.map(withoutSuggestions));
      },
    },
    cleanResults,
  ];
}
