// A plugin that rewrites the errors of every execute and subscribe result (one result, not the
// events of a stream), for the plugins that relabel or clean errors.
import { GraphQLError, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/** `rewrite` returns the result's new errors, or null to leave it as it is. */
export function useResultErrors(
  rewrite: (result: ExecutionResult) => readonly GraphQLError[] | null,
): Plugin {
  const apply = (
    result: ExecutionResult | AsyncIterable<unknown>,
    setResult: (result: ExecutionResult) => void,
  ) => {
    if (isAsyncIterable(result) || !result.errors?.length) return;
    const errors = rewrite(result);
    if (errors) setResult({ ...result, errors });
  };
  return {
    onExecute: () => ({ onExecuteDone: ({ result, setResult }) => apply(result, setResult) }),
    onSubscribe: () => ({ onSubscribeResult: ({ result, setResult }) => apply(result, setResult) }),
  };
}

/** The same error with another message or extensions, everything else kept. */
export function remade(
  error: GraphQLError,
  change: { message?: string; extensions?: Record<string, unknown> },
): GraphQLError {
  return new GraphQLError(change.message ?? error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: change.extensions ?? error.extensions,
  });
}
