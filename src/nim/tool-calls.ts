// A generated answer's tool calls, checked: each call's arguments parsed from the JSON string the
// upstream sends. A call whose arguments do not parse was cut (vLLM says `tool_calls` in a stream
// even when max_tokens cut the arguments): it is marked incomplete and the choice's finish reason
// becomes `length`, never a silent success.

/** A tool call as read from the upstream, and what the gateway found of it. */
export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as the model wrote them. */
  argumentsText: string;
  /** The arguments parsed; null when they are not JSON. */
  arguments: unknown;
  /** Whether the arguments parse: false for a call cut by max_tokens. */
  complete: boolean;
}

interface RawChoice {
  message: { tool_calls: { id: string; function: { name: string; arguments: string } }[] };
  finish_reason: string | null;
}

export type Settled<C extends RawChoice> = Omit<C, 'message'> & {
  message: Omit<C['message'], 'tool_calls'> & { tool_calls: ToolCall[] };
};

/** One call's arguments checked. */
function toolCall(id: string, name: string, argumentsText: string): ToolCall {
  try {
    // An empty string is no JSON either: a call cut before its arguments began.
    return { id, name, argumentsText, arguments: JSON.parse(argumentsText), complete: true };
  } catch {
    return { id, name, argumentsText, arguments: null, complete: false };
  }
}

export function settleToolCalls<C extends RawChoice>(choice: C): Settled<C> {
  const calls = choice.message.tool_calls.map((c) =>
    toolCall(c.id, c.function.name, c.function.arguments),
  );
  const cut = calls.some((c) => !c.complete);
  return {
    ...choice,
    message: { ...choice.message, tool_calls: calls },
    finish_reason: cut ? 'length' : choice.finish_reason,
  } as Settled<C>;
}
