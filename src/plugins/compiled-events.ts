// The events of a subscription without GraphQL execution per event: the operation's selection on
// the event types is compiled once per subscription into plain functions that call the schema's own
// resolvers and serializers, in the order and with the arguments execution would. Whatever they
// cannot answer exactly as execution would (an error, a null where none may be, a promise, a
// value that is not the plain shape asked for) they hand back, and that event is executed normally.
import {
  defaultFieldResolver,
  getArgumentValues,
  getNullableType,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLAbstractType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { collectFields, collectSubfields } from 'graphql/execution/collectFields.js';

/** Returned by a compiled function that cannot answer exactly as execution would. */
export const UNANSWERED: unique symbol = Symbol('unanswered');
type Unanswered = typeof UNANSWERED;

interface Path {
  readonly prev: Path | undefined;
  readonly key: string | number;
  readonly typename: string | undefined;
}

/** What every resolver of one subscription sees, apart from its event and path. */
interface Scope {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
  contextValue: unknown;
  signal: AbortSignal | undefined;
}

/** Builds the value of one object from its source; `root` is the event, `path` the object's. */
type BuildObject = (
  source: unknown,
  root: unknown,
  path: Path | undefined,
) => Record<string, unknown> | Unanswered;
type Complete = (value: unknown, root: unknown, path: Path | undefined) => unknown;

const isPromiseLike = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { then?: unknown }).then === 'function';

/** The resolve info execution builds for a field (as @graphql-tools/executor builds it). */
function resolveInfo(
  scope: Scope,
  field: GraphQLField<unknown, unknown>,
  fieldNodes: readonly FieldNode[],
  parentType: GraphQLObjectType,
  path: Path,
  rootValue: unknown,
): GraphQLResolveInfo {
  return {
    fieldName: field.name,
    fieldNodes,
    returnType: field.type,
    parentType,
    path,
    schema: scope.schema,
    fragments: scope.fragments,
    rootValue,
    operation: scope.operation,
    variableValues: scope.variables,
    ...(scope.signal ? { signal: scope.signal } : {}),
  } as GraphQLResolveInfo;
}

/** A compiled function, and whether anything below it reads a path (only then are paths built). */
interface Compiled<F> {
  run: F;
  paths: boolean;
}

/** A completion of `type` for the selection `fieldNodes` make on it; null when it cannot be compiled. */
function compileCompletion(
  scope: Scope,
  type: GraphQLOutputType,
  fieldNodes: readonly FieldNode[],
): Compiled<Complete> | null {
  if (isNonNullType(type)) {
    const inner = compileCompletion(scope, type.ofType, fieldNodes);
    if (inner === null) return null;
    const run = inner.run;
    return {
      run: (value, root, path) => (value == null ? UNANSWERED : run(value, root, path)),
      paths: inner.paths,
    };
  }
  if (isListType(type)) {
    const item = compileCompletion(scope, type.ofType, fieldNodes);
    if (item === null) return null;
    const { run, paths } = item;
    return {
      run: (value, root, path) => {
        if (value == null) return null;
        if (value instanceof Error || !Array.isArray(value)) return UNANSWERED;
        // Stryker disable next-line ArrayDeclaration: a preallocated length only; every index is assigned below
        const items = new Array<unknown>(value.length);
        for (let index = 0; index < value.length; index++) {
          const itemPath = paths ? { prev: path, key: index, typename: undefined } : undefined;
          const completed = run(value[index], root, itemPath);
          if (completed === UNANSWERED) return UNANSWERED;
          items[index] = completed;
        }
        return items;
      },
      paths,
    };
  }
  if (isLeafType(type)) {
    return {
      run: (value) => {
        if (value == null) return null;
        if (value instanceof Error) return UNANSWERED;
        try {
          const serialized: unknown = type.serialize(value);
          return serialized === undefined ? UNANSWERED : serialized;
        } catch {
          return UNANSWERED;
        }
      },
      // Stryker disable next-line BooleanLiteral: a leaf reads no path; true only builds paths nobody reads
      paths: false,
    };
  }
  if (isObjectType(type)) {
    const build = compileObject(scope, type, fieldNodes);
    if (build === null) return null;
    const run = build.run;
    return {
      run: (value, root, path) => {
        if (value == null) return null;
        if (value instanceof Error) return UNANSWERED;
        return run(value, root, path);
      },
      paths: build.paths,
    };
  }
  // Abstract types below the event: left to execution.
  return null;
}

type Step = (
  source: unknown,
  root: unknown,
  path: Path | undefined,
  into: Record<string, unknown>,
) => boolean;

/** The fields the selection `fieldNodes` make on an object of `type`, in execution's order. */
function compileObject(
  scope: Scope,
  type: GraphQLObjectType,
  fieldNodes: readonly FieldNode[],
): Compiled<BuildObject> | null {
  // An isTypeOf check runs in execution for every object of the type: left to it.
  if (type.isTypeOf) return null;
  const fields = collectSubfields(scope.schema, scope.fragments, scope.variables, type, fieldNodes);
  const steps: Step[] = [];
  // Stryker disable next-line BooleanLiteral: true only builds paths nobody reads
  let paths = false;
  for (const [responseName, nodes] of fields) {
    const fieldName = nodes[0]!.name.value;
    if (fieldName === '__typename') {
      steps.push((_source, _root, _path, into) => {
        into[responseName] = type.name;
        return true;
      });
      continue;
    }
    const field = type.getFields()[fieldName];
    if (field === undefined) return null;
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(field, nodes[0]!, scope.variables);
    } catch {
      return null;
    }
    const complete = compileCompletion(scope, field.type, nodes);
    if (complete === null) return null;
    const resolve = field.resolve ?? defaultFieldResolver;
    // A resolver that declares no info parameter gets none built; one that does (the default
    // resolver does) gets execution's.
    const wantsInfo = resolve.length >= 4;
    const fieldPaths = wantsInfo || complete.paths;
    paths ||= fieldPaths;
    const { contextValue } = scope;
    const run = complete.run;
    steps.push((source, root, path, into) => {
      const fieldPath = fieldPaths
        ? { prev: path, key: responseName, typename: type.name }
        : undefined;
      let value: unknown;
      try {
        value = resolve(
          source,
          args,
          contextValue,
          (wantsInfo
            ? resolveInfo(scope, field, nodes, type, fieldPath!, root)
            : undefined) as GraphQLResolveInfo,
        );
      } catch {
        return false;
      }
      if (isPromiseLike(value)) return false;
      const completed = run(value, root, fieldPath);
      if (completed === UNANSWERED) return false;
      into[responseName] = completed;
      return true;
    });
  }
  return {
    run: (source, root, path) => {
      const into: Record<string, unknown> = {};
      for (const step of steps) if (!step(source, root, path, into)) return UNANSWERED;
      return into;
    },
    paths,
  };
}

/** One event's result, or UNANSWERED; a promise when the subscription field's resolver returns one. */
type EventResult = ExecutionResult | Unanswered;

export interface CompiledEvents {
  /** The event as execution would answer it, or UNANSWERED (then execute it). */
  answer(event: unknown): EventResult | Promise<EventResult>;
}

/**
 * Compiles the events of a subscription operation, or returns null when it is not one this can
 * compile (then it runs as usual): bad variables, no single root field, an event type that is not
 * an object or a union of objects.
 */
export function compileEvents(args: ExecutionArgs): CompiledEvents | null {
  const { schema, document } = args;
  const operation = getOperationAST(document, args.operationName);
  const subscriptionType = schema.getSubscriptionType();
  if (operation?.operation !== 'subscription' || !subscriptionType) return null;
  const coerced = getVariableValues(
    schema,
    // Stryker disable next-line ArrayDeclaration: graphql-js's parser always gives the list, empty or not
    operation.variableDefinitions ?? [],
    (args.variableValues ?? {}) as Record<string, unknown>,
  );
  if (coerced.errors !== undefined) return null;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  const scope: Scope = {
    schema,
    fragments,
    operation,
    variables: coerced.coerced,
    contextValue: args.contextValue,
    signal: (args as { signal?: AbortSignal }).signal,
  };
  const rootFields = collectFields(
    schema,
    fragments,
    scope.variables,
    subscriptionType,
    operation.selectionSet,
  );
  if (rootFields.size !== 1) return null;
  const [[responseName, nodes]] = [...rootFields] as [[string, FieldNode[]]];
  const field = subscriptionType.getFields()[nodes[0]!.name.value];
  if (field === undefined) return null;
  let fieldArgs: Record<string, unknown>;
  try {
    fieldArgs = getArgumentValues(field, nodes[0]!, scope.variables);
  } catch {
    return null;
  }
  const eventType = getNullableType(field.type);
  const abstract: GraphQLAbstractType | null = isAbstractType(eventType) ? eventType : null;
  if (abstract === null && !isObjectType(eventType)) return null;
  // Each event type compiled when its first event comes: most streams only ever see chunks and one Done.
  const byType = new Map<string, BuildObject | null>();
  const buildOf = (name: string): BuildObject | null => {
    let build = byType.get(name);
    if (build === undefined) {
      const type = schema.getType(name);
      const possible =
        isObjectType(type) && (abstract ? schema.isSubType(abstract, type) : type === eventType);
      build = possible ? (compileObject(scope, type, nodes)?.run ?? null) : null;
      // Stryker disable next-line CallExpression: without the cache each event compiles its type again, to the same functions
      byType.set(name, build);
    }
    return build;
  };
  const resolve = field.resolve ?? defaultFieldResolver;
  const rootPath: Path = { prev: undefined, key: responseName, typename: subscriptionType.name };
  const nonNull = isNonNullType(field.type);
  const { contextValue } = scope;

  const complete = (value: unknown, info: GraphQLResolveInfo): EventResult => {
    if (value == null) return nonNull ? UNANSWERED : { data: { [responseName]: null } };
    if (value instanceof Error) return UNANSWERED;
    let typeName: unknown = (eventType as GraphQLObjectType).name;
    if (abstract) {
      try {
        // Stryker disable next-line OptionalChaining: calling a missing resolveType throws, and the catch declines as undefined does
        typeName = abstract.resolveType?.(value, contextValue, info, abstract);
        // Stryker disable next-line BlockStatement: swallowed, typeName stays the union's name, which names no object type: declined as well
      } catch {
        return UNANSWERED;
      }
    }
    const build = typeof typeName === 'string' ? buildOf(typeName) : null;
    if (build === null) return UNANSWERED;
    const data = build(value, info.rootValue, rootPath);
    return data === UNANSWERED ? UNANSWERED : { data: { [responseName]: data } };
  };

  return {
    answer(event) {
      const info = resolveInfo(scope, field, nodes, subscriptionType, rootPath, event);
      let value: unknown;
      try {
        value = resolve(event, fieldArgs, scope.contextValue, info);
      } catch {
        return UNANSWERED;
      }
      if (isPromiseLike(value))
        return (value as Promise<unknown>).then(
          (resolved) => complete(resolved, info),
          () => UNANSWERED,
        );
      return complete(value, info);
    },
  };
}
