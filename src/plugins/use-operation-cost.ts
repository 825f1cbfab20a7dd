// An operation's price in tokens (generated, and read by embedding and ranking models), computed from the document and its variables before it
// runs, so that an operation over the cap is refused before any upstream call (a stream included:
// Pothos' complexity check would run at its first event, after the upstream opened).
import {
  getNamedType,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { tokenCostOf, type CostDefaults } from '../schema/cost.ts';

export interface CostRules extends CostDefaults {
  /** MAX_OPERATION_COST. A field that alone costs more is refused by its own resolver (schema/cost.ts), so it counts for nothing here. */
  maxOperationCost: number;
}

type Variables = Record<string, unknown> | null | undefined;

function selectedOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  // Stryker disable next-line OptionalChaining: Yoga refuses an operation name the document lacks before execute, so a named lookup never meets an anonymous operation.
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
}

/**
 * The most tokens the operation can generate: the sum over every field it selects (every alias,
 * every fragment, at any depth) of the field's declared token cost (src/schema/cost.ts), but for
 * a field that alone costs more than an operation may: its resolver refuses it with a typed
 * InvalidInputError before any upstream call, so it uses nothing.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Variables,
  operationName: string | null | undefined,
  rules: CostRules,
): number {
  const operation = selectedOperation(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return 0;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const vars = variables ?? {};
  const seen = new Set<string>();
  const typeNamed = (name: string | undefined, fallback: GraphQLNamedType) =>
    name === undefined ? fallback : (schema.getType(name) ?? fallback);
  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += walk(
          selection.selectionSet,
          typeNamed(selection.typeCondition?.name.value, parent),
        );
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        // A fragment cycle is a validation error of its own; count each fragment once per path.
        // Stryker disable next-line LogicalOperator: a spread of an unknown fragment fails validation, so it never gets here.
        if (fragment && !seen.has(fragment.name.value)) {
          // Stryker disable next-line CallExpression: validation refuses fragment cycles, so no path meets a fragment twice.
          seen.add(fragment.name.value);
          cost += walk(fragment.selectionSet, typeNamed(fragment.typeCondition.name.value, parent));
          seen.delete(fragment.name.value);
        }
      } else if (isObjectType(parent) || isInterfaceType(parent)) {
        const field = parent.getFields()[selection.name.value];
        if (field === undefined) continue;
        const price = tokenCostOf(field.extensions);
        if (price) {
          const args = Object.fromEntries(
            (selection.arguments ?? []).map((a) => [
              a.name.value,
              valueFromASTUntyped(a.value, vars),
            ]),
          );
          const fieldCost = price(args, rules);
          if (fieldCost <= rules.maxOperationCost) cost += fieldCost;
        }
        if (selection.selectionSet) cost += walk(selection.selectionSet, getNamedType(field.type));
      }
    }
    return cost;
  };
  return walk(operation.selectionSet, root);
}

function costLimitError(cost: number, limit: number): GraphQLError {
  return new GraphQLError(
    `The operation may use up to ${cost} tokens (sum of maxTokens × n over its generation fields and of the estimated input tokens of its embed and rerank fields); the limit is ${limit}.`,
    { extensions: { code: 'COST_LIMIT_EXCEEDED', cost, limit, http: { status: 400, spec: true } } },
  );
}

/**
 * Refused before execute or subscribe (so before any resolver, and before a stream's upstream call):
 * not at validation, whose results Yoga caches by document although the cost reads the variables,
 * and whose errors take their HTTP status from the Accept header. Here the refusal is the same every
 * time: 400, whatever the Accept header.
 */
export function useOperationCost(rules: CostRules): Plugin {
  const refusal = (args: {
    schema: GraphQLSchema;
    document: DocumentNode;
    variableValues?: Variables;
    operationName?: string | null;
  }) => {
    const cost = operationCost(
      args.schema,
      args.document,
      args.variableValues,
      args.operationName,
      rules,
    );
    return cost > rules.maxOperationCost
      ? { errors: [costLimitError(cost, rules.maxOperationCost)] }
      : null;
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
