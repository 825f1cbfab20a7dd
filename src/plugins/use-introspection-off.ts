// INTROSPECTION=false: `__schema` and `__type` are refused at validation, and no error message
// names what the schema has ("Did you mean …?" in field, argument, enum-value and variable errors).
// Validation and execution are envelop's, so this holds on every way in.
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

const SUGGESTION = /\s*Did you mean [^?]*\?/g;

export function withoutSuggestions<E extends Error>(error: E): E | GraphQLError {
  const message = error.message.replace(SUGGESTION, '');
  if (message === error.message) return error;
  if (!(error instanceof GraphQLError)) return new GraphQLError(message, { originalError: error });
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

const cleaned = (result: ExecutionResult): ExecutionResult | null =>
  result.errors?.length ? { ...result, errors: result.errors.map(withoutSuggestions) } : null;

export function useIntrospectionOff(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
      return ({ valid, result, setResult }) => {
        if (!valid) setResult(result.map(withoutSuggestions));
      };
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const clean = cleaned(result);
          if (clean) setResult(clean);
        },
      };
    },
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const clean = cleaned(result);
          if (clean) setResult(clean);
        },
      };
    },
  };
}
