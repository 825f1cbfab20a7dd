// Tool calling as vLLM serves it: `tools`, `tool_choice`, `parallel_tool_calls` on chat; calls
// whose arguments fit each tool's JSON Schema; a cut by max_tokens reported as `length` in a JSON
// answer but as `tool_calls` in a stream (as vLLM does); an engine started without tool support
// refusing `auto` and `required` with a 400 that says so.
import { bad, describe, isObject, type Body } from './fields.ts';
import { argumentsFor } from './json.ts';
import { splitTokens } from './text.ts';

export interface ToolsRequest {
  tools: { name: string; parameters: unknown }[];
  choice: 'auto' | 'none' | 'required' | { name: string };
  parallel: boolean;
}

/** How a stream sends a call's fragments. */
export type ToolCallDeltas = 'fragments' | 'interleaved' | 'whole';

interface PlannedCall {
  id: string;
  name: string;
  /** The argument tokens sent (all of them, unless max_tokens cut the answer). */
  tokens: string[];
}

export interface ToolPlan {
  calls: PlannedCall[];
  /** max_tokens ran out inside the arguments. */
  cut: boolean;
  completionTokens: number;
}

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export function readTools(body: Body): ToolsRequest | null {
  const value = body['tools'];
  if (value === undefined || value === null) {
    if (body['tool_choice'] != null && body['tool_choice'] !== 'none')
      throw bad('When using `tool_choice`, `tools` must be set.', 'tool_choice');
    return null;
  }
  if (!Array.isArray(value)) throw bad(`tools must be a list, got ${describe(value)}.`, 'tools');
  const tools = value.map((tool: unknown, i) => {
    const fn = isObject(tool) && tool['type'] === 'function' ? tool['function'] : undefined;
    if (!isObject(fn) || typeof fn['name'] !== 'string' || !NAME.test(fn['name']))
      throw bad(
        `tools[${i}] must be {"type": "function", "function": {"name": …}} with a name of a-z A-Z 0-9 _ -.`,
        'tools',
      );
    return { name: fn['name'], parameters: fn['parameters'] ?? { type: 'object' } };
  });
  const raw = body['tool_choice'] ?? 'auto';
  let choice: ToolsRequest['choice'];
  if (raw === 'auto' || raw === 'none' || raw === 'required') choice = raw;
  else if (
    isObject(raw) &&
    raw['type'] === 'function' &&
    isObject(raw['function']) &&
    typeof raw['function']['name'] === 'string'
  ) {
    const name = raw['function']['name'];
    if (!tools.some((t) => t.name === name))
      throw bad(`Tool '${name}' has not been passed in \`tools\`.`, 'tool_choice');
    choice = { name };
  } else throw bad(`tool_choice must be auto, none, required or a named function.`, 'tool_choice');
  const parallel = body['parallel_tool_calls'];
  if (parallel !== undefined && parallel !== null && typeof parallel !== 'boolean')
    throw bad(
      `parallel_tool_calls must be a boolean, got ${describe(parallel)}.`,
      'parallel_tool_calls',
    );
  return { tools, choice, parallel: parallel ?? true };
}

/** vLLM's refusal when the engine was started without --enable-auto-tool-choice. */
export const TOOLS_NOT_ENABLED_MESSAGE =
  '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set';

/**
 * The calls the model makes, or null when it answers in text: after a tool result (the last
 * message is `tool`), or with tool_choice none. Parallel: the first two tools; else the first
 * (or the named one).
 */
export function planToolCalls(
  request: ToolsRequest | null,
  lastRole: string | undefined,
  maxTokens: number,
  random: () => number,
  id: (index: number) => string,
): ToolPlan | null {
  if (request === null || request.choice === 'none' || request.tools.length === 0) return null;
  if (lastRole === 'tool' && request.choice === 'auto') return null;
  const chosen =
    typeof request.choice === 'object'
      ? request.tools.filter((t) => t.name === (request.choice as { name: string }).name)
      : request.tools.slice(0, request.parallel ? 2 : 1);
  let budget = maxTokens;
  let cut = false;
  const calls: PlannedCall[] = [];
  for (const [index, tool] of chosen.entries()) {
    if (budget <= 0) {
      cut = true;
      break;
    }
    const all = splitTokens(argumentsFor(tool.parameters, random));
    const tokens = all.slice(0, budget);
    if (tokens.length < all.length) cut = true;
    budget -= tokens.length;
    calls.push({ id: id(index), name: tool.name, tokens });
  }
  return { calls, cut, completionTokens: maxTokens - budget };
}

/** The calls as a message's `tool_calls`. */
export function toolCallsWire(plan: ToolPlan) {
  return plan.calls.map((call) => ({
    id: call.id,
    type: 'function' as const,
    function: { name: call.name, arguments: call.tokens.join('') },
  }));
}

/** One stream delta's `tool_calls`, per step, in the requested style. */
export function toolCallSteps(plan: ToolPlan, style: ToolCallDeltas): Record<string, unknown>[][] {
  const head = (call: PlannedCall, index: number, args: string) => ({
    index,
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: args },
  });
  const piece = (index: number, args: string) => ({ index, function: { arguments: args } });
  if (style === 'whole') return plan.calls.map((call, i) => [head(call, i, call.tokens.join(''))]);
  const perCall = plan.calls.map((call, i) => [
    head(call, i, ''),
    ...call.tokens.map((token) => piece(i, token)),
  ]);
  if (style === 'fragments') return perCall.flat().map((delta) => [delta]);
  // Interleaved: one fragment of each call in turn, two calls' fragments in one delta at times.
  const steps: Record<string, unknown>[][] = [];
  const longest = Math.max(...perCall.map((c) => c.length));
  for (let position = 0; position < longest; position++) {
    const round = perCall.map((c) => c[position]).filter((d) => d !== undefined);
    if (position % 3 === 2) steps.push(round);
    else steps.push(...round.map((d) => [d]));
  }
  return steps;
}
