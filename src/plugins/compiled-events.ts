// The events of a subscription without GraphQL execution per event: the operation's selection on
// the event types is compiled into plain functions that call the schema's own resolvers and
// serializers, in the order and with the arguments execution would. Whatever they cannot answer
// exactly as execution would (an error, a null where none may be, a promise, a value that is not
// the plain shape asked for) they hand back, and that event is executed normally.
//
// The functions are compiled once per document, operation and values of the variables the
// selection reads below the root field (its @include/@skip conditions and the arguments of the
// fields below), and shared by every stream of that operation: what differs between streams (the
// context, the signal, all the variables for the resolve info, the root field's arguments) is
// passed in when an event is answered, not closed over. (Yoga hands every request of the same
// query text the same parsed document, so thousands of held streams of one operation keep one set
// of functions, not one each.)
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
  type DocumentNode,
  visit,
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

/** What every resolver of one operation sees, whichever stream it answers. */
interface Scope {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  operation: OperationDefinitionNode;
  /** The variables the functions were compiled with: equal, on what the selection reads, to every stream's. */
  variables: Record<string, unknown>;
}

/** What differs between the streams of one operation: passed to the compiled functions per event. */
interface Stream {
  readonly variables: Record<string, unknown>;
  readonly contextValue: unknown;
  readonly signal: AbortSignal | undefined;
}

/** Builds the value of one object from its source; `root` is the event, `path` the object's. */
type BuildObject = (
  source: unknown,
  root: unknown,
  path: Path | undefined,
  stream: Stream,
) => Record<string, unknown> | Unanswered;
type Complete = (value: unknown, root: unknown, path: Path | undefined, stream: Stream) => unknown;

const isPromiseLike = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { then?: unknown }).then === 'function';

/** The resolve info execution builds for a field (as @graphql-tools/executor builds it). */
function resolveInfo(
  scope: Scope,
  stream: Stream,
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
    variableValues: stream.variables,
    ...(stream.signal ? { signal: stream.signal } : {}),
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
      run: (value, root, path, stream) =>
        value == null ? UNANSWERED : run(value, root, path, stream),
      paths: inner.paths,
    };
  }
  if (isListType(type)) {
    const item = compileCompletion(scope, type.ofType, fieldNodes);
    if (item === null) return null;
    const { run, paths } = item;
    return {
      run: (value, root, path, stream) => {
        if (value == null) return null;
        if (value instanceof Error || !Array.isArray(value)) return UNANSWERED;
        // Stryker disable next-line ArrayDeclaration: a preallocated length only; every index is assigned below
        const items = new Array<unknown>(value.length);
        for (let index = 0; index < value.length; index++) {
          const itemPath = paths ? { prev: path, key: index, typename: undefined } : undefined;
          const completed = run(value[index], root, itemPath, stream);
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
      run: (value, root, path, stream) => {
        if (value == null) return null;
        if (value instanceof Error) return UNANSWERED;
        return run(value, root, path, stream);
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
  stream: Stream,
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
    const run = complete.run;
    steps.push((source, root, path, into, stream) => {
      const fieldPath = fieldPaths
        ? { prev: path, key: responseName, typename: type.name }
        : undefined;
      let value: unknown;
      try {
        value = resolve(
          source,
          args,
          stream.contextValue,
          (wantsInfo
            ? resolveInfo(scope, stream, field, nodes, type, fieldPath!, root)
            : undefined) as GraphQLResolveInfo,
        );
      } catch {
        return false;
      }
      if (isPromiseLike(value)) return false;
      const completed = run(value, root, fieldPath, stream);
      if (completed === UNANSWERED) return false;
      into[responseName] = completed;
      return true;
    });
  }
  return {
    run: (source, root, path, stream) => {
      const into: Record<string, unknown> = {};
      for (const step of steps) if (!step(source, root, path, into, stream)) return UNANSWERED;
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
  /** The compiled selection: the same object for every stream of one document, operation and selection variables. */
  readonly plan: object;
}

/** The selection of one operation on its event types, compiled once for every stream that shares it. */
class Plan {
  readonly field: GraphQLField<unknown, unknown>;
  readonly nodes: readonly FieldNode[];
  private readonly scope: Scope;
  private readonly subscriptionType: GraphQLObjectType;
  private readonly responseName: string;
  private readonly eventType: GraphQLObjectType | GraphQLAbstractType;
  private readonly abstract: GraphQLAbstractType | null;
  // Each event type compiled when its first event comes: most streams only ever see chunks and one Done.
  private readonly byType = new Map<string, BuildObject | null>();
  private readonly resolve: NonNullable<GraphQLField<unknown, unknown>['resolve']>;
  private readonly rootPath: Path;
  private readonly nonNull: boolean;

  constructor(
    scope: Scope,
    subscriptionType: GraphQLObjectType,
    field: GraphQLField<unknown, unknown>,
    responseName: string,
    nodes: readonly FieldNode[],
    eventType: GraphQLObjectType | GraphQLAbstractType,
    abstract: GraphQLAbstractType | null,
  ) {
    this.scope = scope;
    this.subscriptionType = subscriptionType;
    this.field = field;
    this.responseName = responseName;
    this.nodes = nodes;
    this.eventType = eventType;
    this.abstract = abstract;
    this.resolve = field.resolve ?? defaultFieldResolver;
    this.rootPath = { prev: undefined, key: responseName, typename: subscriptionType.name };
    this.nonNull = isNonNullType(field.type);
  }

  private buildOf(name: string): BuildObject | null {
    let build = this.byType.get(name);
    if (build === undefined) {
      const { schema } = this.scope;
      const type = schema.getType(name);
      const possible =
        isObjectType(type) &&
        (this.abstract ? schema.isSubType(this.abstract, type) : type === this.eventType);
      build = possible ? (compileObject(this.scope, type, this.nodes)?.run ?? null) : null;
      // Stryker disable next-line CallExpression: without the cache each event compiles its type again, to the same functions
      this.byType.set(name, build);
    }
    return build;
  }

  private complete(value: unknown, info: GraphQLResolveInfo, stream: Stream): EventResult {
    const { responseName, abstract } = this;
    if (value == null) return this.nonNull ? UNANSWERED : { data: { [responseName]: null } };
    if (value instanceof Error) return UNANSWERED;
    let typeName: unknown = (this.eventType as GraphQLObjectType).name;
    if (abstract) {
      try {
        // Stryker disable next-line OptionalChaining: calling a missing resolveType throws, and the catch declines as undefined does
        typeName = abstract.resolveType?.(value, stream.contextValue, info, abstract);
        // Stryker disable next-line BlockStatement: swallowed, typeName stays the union's name, which names no object type: declined as well
      } catch {
        return UNANSWERED;
      }
    }
    const build = typeof typeName === 'string' ? this.buildOf(typeName) : null;
    if (build === null) return UNANSWERED;
    const data = build(value, info.rootValue, this.rootPath, stream);
    return data === UNANSWERED ? UNANSWERED : { data: { [responseName]: data } };
  }

  answer(
    event: unknown,
    fieldArgs: Record<string, unknown>,
    stream: Stream,
  ): EventResult | Promise<EventResult> {
    const info = resolveInfo(
      this.scope,
      stream,
      this.field,
      this.nodes,
      this.subscriptionType,
      this.rootPath,
      event,
    );
    let value: unknown;
    try {
      value = this.resolve(event, fieldArgs, stream.contextValue, info);
    } catch {
      return UNANSWERED;
    }
    if (isPromiseLike(value))
      return (value as Promise<unknown>).then(
        (resolved) => this.complete(resolved, info, stream),
        () => UNANSWERED,
      );
    return this.complete(value, info, stream);
  }
}

/** One stream: its own context, signal, variables and root arguments; the compiled plan shared. */
class StreamEvents implements CompiledEvents, Stream {
  readonly plan: Plan;
  readonly variables: Record<string, unknown>;
  readonly contextValue: unknown;
  readonly signal: AbortSignal | undefined;
  private readonly fieldArgs: Record<string, unknown>;

  constructor(
    plan: Plan,
    fieldArgs: Record<string, unknown>,
    variables: Record<string, unknown>,
    contextValue: unknown,
    signal: AbortSignal | undefined,
  ) {
    this.plan = plan;
    this.fieldArgs = fieldArgs;
    this.variables = variables;
    this.contextValue = contextValue;
    this.signal = signal;
  }

  answer(event: unknown): EventResult | Promise<EventResult> {
    return this.plan.answer(event, this.fieldArgs, this);
  }
}

/** One operation of a document: what every stream of it shares, and its plans by selection variables. */
interface OperationEntry {
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  /** The variables read outside the root fields' own arguments, which the compiled functions depend on. */
  selectionVariables: readonly string[];
  plans: Map<string, Plan | null>;
}

/** Distinct selection-variable values kept per operation; past it, a stream compiles its own plan. */
const PLANS_PER_OPERATION = 32;

const entries = new WeakMap<
  GraphQLSchema,
  WeakMap<DocumentNode, Map<string | null, OperationEntry>>
>();

/** The variables the operation reads anywhere but in its root fields' own arguments, sorted. */
function selectionVariablesOf(
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
): string[] {
  const names = new Set<string>();
  const read = { Variable: (node: { name: { value: string } }) => void names.add(node.name.value) };
  const rootFields = new Set(operation.selectionSet.selections);
  visit(operation, {
    // The definitions name the variables (their defaults are constants): not reads.
    VariableDefinition: () => false,
    Field(node) {
      if (!rootFields.has(node)) return undefined;
      // A root field's arguments are the stream's own (passed per stream); its directives and selection are not.
      for (const directive of node.directives ?? []) visit(directive, read);
      if (node.selectionSet) visit(node.selectionSet, read);
      return false;
    },
    ...read,
  });
  for (const fragment of Object.values(fragments)) visit(fragment, read);
  return [...names].sort();
}

/**
 * Whether JSON tells this value apart from every other a coerced variable can hold: a primitive
 * (what @include/@skip and scalar arguments take). A list, an input object or a custom scalar's
 * value gets its stream a plan of its own.
 */
function plain(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  return typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0);
}

/** The plan key of these variables' values, or null when JSON cannot tell them apart exactly. */
function planKey(names: readonly string[], variables: Record<string, unknown>): string | null {
  const values: unknown[][] = [];
  for (const name of names) {
    if (!Object.hasOwn(variables, name)) {
      values.push([]);
      continue;
    }
    const value = variables[name];
    if (!plain(value)) return null;
    values.push([value]);
  }
  return JSON.stringify(values);
}

function operationEntry(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationEntry | null {
  let byDocument = entries.get(schema);
  if (byDocument === undefined) entries.set(schema, (byDocument = new WeakMap()));
  let byName = byDocument.get(document);
  if (byName === undefined) byDocument.set(document, (byName = new Map()));
  const name = operationName ?? null;
  let entry = byName.get(name);
  if (entry === undefined) {
    const operation = getOperationAST(document, operationName);
    if (operation == null) return null;
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const definition of document.definitions)
      if (definition.kind === Kind.FRAGMENT_DEFINITION)
        fragments[definition.name.value] = definition;
    entry = {
      operation,
      fragments,
      selectionVariables: selectionVariablesOf(operation, fragments),
      plans: new Map(),
    };
    byName.set(name, entry);
  }
  return entry;
}

/** The plan of an operation for these selection variables, or null when it cannot be compiled. */
function compilePlan(
  schema: GraphQLSchema,
  entry: OperationEntry,
  variables: Record<string, unknown>,
): Plan | null {
  const subscriptionType = schema.getSubscriptionType();
  if (!subscriptionType) return null;
  const { operation, fragments } = entry;
  // Only the variables the selection reads: a plan outlives its first stream, and keeps none of its prompt.
  const selection: Record<string, unknown> = {};
  for (const name of entry.selectionVariables)
    if (Object.hasOwn(variables, name)) selection[name] = variables[name];
  const scope: Scope = { schema, fragments, operation, variables: selection };
  const rootFields = collectFields(
    schema,
    fragments,
    selection,
    subscriptionType,
    operation.selectionSet,
  );
  if (rootFields.size !== 1) return null;
  const [[responseName, nodes]] = [...rootFields] as [[string, FieldNode[]]];
  const field = subscriptionType.getFields()[nodes[0]!.name.value];
  if (field === undefined) return null;
  const eventType = getNullableType(field.type);
  const abstract: GraphQLAbstractType | null = isAbstractType(eventType) ? eventType : null;
  if (abstract === null && !isObjectType(eventType)) return null;
  return new Plan(
    scope,
    subscriptionType,
    field,
    responseName,
    nodes,
    eventType as GraphQLObjectType | GraphQLAbstractType,
    abstract,
  );
}

/**
 * Compiles the events of a subscription operation, or returns null when it is not one this can
 * compile (then it runs as usual): bad variables, no single root field, an event type that is not
 * an object or a union of objects. Streams of the same document, operation and selection
 * variables share one plan.
 */
export function compileEvents(args: ExecutionArgs): CompiledEvents | null {
  const { schema, document } = args;
  if (!schema.getSubscriptionType()) return null;
  const entry = operationEntry(schema, document, args.operationName);
  if (entry?.operation.operation !== 'subscription') return null;
  const coerced = getVariableValues(
    schema,
    // Stryker disable next-line ArrayDeclaration: graphql-js's parser always gives the list, empty or not
    entry.operation.variableDefinitions ?? [],
    (args.variableValues ?? {}) as Record<string, unknown>,
  );
  if (coerced.errors !== undefined) return null;
  const variables = coerced.coerced;
  const key = planKey(entry.selectionVariables, variables);
  let plan = key === null ? undefined : entry.plans.get(key);
  if (plan === undefined) {
    plan = compilePlan(schema, entry, variables);
    if (key !== null && entry.plans.size < PLANS_PER_OPERATION) entry.plans.set(key, plan);
  }
  if (plan === null) return null;
  let fieldArgs: Record<string, unknown>;
  try {
    fieldArgs = getArgumentValues(plan.field, plan.nodes[0]!, variables);
  } catch {
    return null;
  }
  return new StreamEvents(
    plan,
    fieldArgs,
    variables,
    args.contextValue,
    (args as { signal?: AbortSignal }).signal,
  );
}
