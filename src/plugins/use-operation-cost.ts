// An operation's price in generated tokens, computed from the document and its variables when it
// executes or subscribes, before any resolver, so that an operation over the cap is refused before
// any upstream call (a stream included: Pothos' complexity check would run at its first event, after
// the upstream opened). Not at validation: Yoga caches a document's validation result, so a refusal
// there would refuse that document for every later request, whatever its variables.
import {
  GraphQLError,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Root fields that each cost one generation per choice: maxTokens × n tokens at most. */
export const GENERATION_FIELDS = new Set(['complete', 'chat', 'completionStream', 'chatStream']);

export interface CostRules {
  defaultMaxTokens: number;
}

type Variables = Record<string, unknown> | null | undefined;

function selectedOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  // Stryker disable next-line OptionalChaining: Yoga refuses an operation name the document lacks before execute, so a named lookup never meets an anonymous operation.
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
}

const positiveInt = (value: unknown, fallback: number) =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;

/**
 * The most tokens the operation can generate: the sum over its generation fields (every alias,
 * every fragment) of maxTokens (or the default) × options.n (or 1).
 */
export function operationCost(document: DocumentNode, variables: Variables, operationName: string | null | undefined, rules: CostRules): number {
  const operation = selectedOperation(document, operationName);
  if (!operation) return 0;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const vars = variables ?? {};
  const seen = new Set<string>();
  const walk = (selectionSet: SelectionSetNode): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += walk(selection.selectionSet);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        // A fragment cycle is a validation error of its own; count each fragment once per path.
        // Stryker disable next-line LogicalOperator: a spread of an unknown fragment fails validation, so it never gets here.
        if (fragment && !seen.has(fragment.name.value)) {
          // Stryker disable next-line CallExpression: validation refuses fragment cycles, so no path meets a fragment twice.
          seen.add(fragment.name.value);
          cost += walk(fragment.selectionSet);
          seen.delete(fragment.name.value);
        }
      } else if (GENERATION_FIELDS.has(selection.name.value)) {
        const args = Object.fromEntries((selection.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value, vars)]));
        const options = (typeof args.options === 'object' && args.options !== null ? args.options : {}) as Record<string, unknown>;
        cost += positiveInt(args.maxTokens, rules.defaultMaxTokens) * positiveInt(options.n, 1);
      }
    }
    return cost;
  };
  return walk(operation.selectionSet);
}

export function costLimitError(cost: number, limit: number): GraphQLError {
  return new GraphQLError(
    `The operation may generate up to ${cost} tokens (sum of maxTokens × n over its generation fields); the limit is ${limit}.`,
    { extensions: { code: 'COST_LIMIT_EXCEEDED', cost, limit, http: { status: 400 } } },
  );
}

export function useOperationCost(rules: CostRules & { maxOperationCost: number }): Plugin {
  const refusal = (args: { document: DocumentNode; variableValues?: Variables; operationName?: string | null }) => {
    const cost = operationCost(args.document, args.variableValues, args.operationName, rules);
    return cost > rules.maxOperationCost ? { errors: [costLimitError(cost, rules.maxOperationCost)] } : null;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = refusal(args);
      if (refused) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = refusal(args);
      if (refused) setResultAndStopExecution(refused);
    },
  };
}
