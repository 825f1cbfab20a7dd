// Generic limits on the shape of a document (graphql-armor), checked at parse/validate time before
// anything runs: depth, aliases, directives, tokens.
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { remade, useResultErrors } from './result-errors.ts';
import type { SecurityConfig } from '../config.ts';

const label = (error: Error) => {
  // Stryker disable next-line OptionalChaining: a GraphQLError always has an extensions object.
  if (!(error instanceof GraphQLError) || error.extensions?.code) return error;
  // Stryker disable next-line Regex: graphql-armor's messages have the prefix only at their start.
  return new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
    nodes: error.nodes,
    // Stryker disable next-line ObjectLiteral,StringLiteral: Yoga answers every validation error with this code and status 400 itself.
    extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
  });
};

/**
 * Armor throws its first rejection out of validate (so nothing else runs), with no code and a
 * misleading "Syntax Error" prefix: return it as an ordinary validation error with the standard code.
 */
const labelValidationErrors: Plugin = {
  onValidate({ validateFn, setValidationFn }) {
    setValidationFn((...args) => {
      try {
        return validateFn(...args);
      } catch (error) {
        if (error instanceof GraphQLError) return [label(error)];
        throw error;
      }
    });
    // Stryker disable next-line BlockStatement: armor throws here (above); graphql-js's own errors carry no prefix and Yoga labels them the same.
    return ({ valid, result, setResult }) => {
      // Stryker disable next-line ConditionalExpression,BooleanLiteral,CallExpression: as above, relabelling a reported error changes nothing a client sees.
      if (!valid) setResult(result.map(label));
    };
  },
};

/**
 * A result with no data at all is a request error graphql-js raised before running anything (a
 * variable of the wrong type, no operation of that name): BAD_USER_INPUT, as the README says.
 */
const labelRequestErrors = useResultErrors((result) =>
  'data' in result
    ? null
    : result.errors!.map((e) =>
        e.extensions?.code
          ? e
          : remade(e, { extensions: { ...e.extensions, code: 'BAD_USER_INPUT' } }),
      ),
);

export function useOperationLimits(security: SecurityConfig): Plugin[] {
  return [
    labelValidationErrors,
    labelRequestErrors,
    maxTokensPlugin({ n: security.maxDocumentTokens, exposeLimits: true }),
    maxDepthPlugin({ n: security.maxDepth, exposeLimits: true, flattenFragments: true }),
    maxAliasesPlugin({ n: security.maxAliases, exposeLimits: true }),
    maxDirectivesPlugin({ n: security.maxDirectives, exposeLimits: true }),
  ];
}
