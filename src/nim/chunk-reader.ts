// Stream chunks in their common shape read by hand: a chunk is parsed for every token, and zod's
// safeParse was a tenth of a relayed token's cost. Each reader gives exactly what the zod schema
// gives, or null for anything it does not know to be that shape (usage, logprobs, a field of an
// unexpected type), which then goes to the schema, so leniency and refusals stay the schema's.
import type { z } from 'zod';
import { chatChunk, completionChunk, type ChatChunk, type CompletionChunk } from './wire.ts';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Declined: the schema decides. */
const NO = Symbol('no');

const stringOr = <T>(value: unknown, absent: T): string | T | typeof NO =>
  value === undefined || value === null ? absent : typeof value === 'string' ? value : NO;

interface Head {
  id: string;
  created: number | null;
  model: string | null;
  usage: null;
}

function head(json: Record<string, unknown>): Head | null {
  const id = stringOr(json.id, '');
  const model = stringOr(json.model, null);
  const { created } = json;
  if (id === NO || model === NO || (json.usage !== undefined && json.usage !== null)) return null;
  if (created !== undefined && created !== null && !Number.isSafeInteger(created)) return null;
  return { id, created: (created as number | null | undefined) ?? null, model, usage: null };
}

/** A choice's index, finish reason and logprobs as the schema reads them (no logprobs), or null. */
function choiceBase(
  choice: unknown,
): { index: number; finish_reason: string | null; logprobs: null } | null {
  if (!isRecord(choice)) return null;
  const { index } = choice;
  const finishReason = stringOr(choice.finish_reason, null);
  // A safe integer is a number: no typeof check needed.
  if (!Number.isSafeInteger(index) || (index as number) < 0) return null;
  if (finishReason === NO || (choice.logprobs !== undefined && choice.logprobs !== null))
    return null;
  return { index: index as number, finish_reason: finishReason, logprobs: null };
}

/** @internal exported for its unit test */
export function readCompletionChunk(json: unknown): CompletionChunk | null {
  if (!isRecord(json) || !Array.isArray(json.choices)) return null;
  const chunk = head(json);
  if (chunk === null) return null;
  const choices: CompletionChunk['choices'] = [];
  for (const choice of json.choices) {
    const base = choiceBase(choice);
    if (base === null) return null;
    const text = stringOr((choice as Record<string, unknown>).text, '');
    if (text === NO) return null;
    choices.push({ index: base.index, text, finish_reason: base.finish_reason, logprobs: null });
  }
  return { ...chunk, choices };
}

/** @internal exported for its unit test */
export function readChatChunk(json: unknown): ChatChunk | null {
  if (!isRecord(json) || !Array.isArray(json.choices)) return null;
  const chunk = head(json);
  if (chunk === null) return null;
  const choices: ChatChunk['choices'] = [];
  for (const choice of json.choices) {
    const base = choiceBase(choice);
    if (base === null) return null;
    const delta = (choice as Record<string, unknown>).delta;
    if (delta !== undefined && delta !== null && !isRecord(delta)) return null;
    // Tool-call fragments are rare and nested: the schema reads them.
    if (delta?.tool_calls !== undefined && delta.tool_calls !== null) return null;
    const role = stringOr(delta?.role, null);
    const content = stringOr(delta?.content, null);
    const reasoningContent = stringOr(delta?.reasoning_content, null);
    const reasoning = stringOr(delta?.reasoning, null);
    if (role === NO || content === NO || reasoningContent === NO || reasoning === NO) return null;
    choices.push({
      index: base.index,
      delta: { role, content, reasoning_content: reasoningContent, reasoning, tool_calls: [] },
      finish_reason: base.finish_reason,
      logprobs: null,
    });
  }
  return { ...chunk, choices };
}

const READERS = new Map<z.ZodType, (json: unknown) => unknown>([
  [completionChunk, readCompletionChunk],
  [chatChunk, readChatChunk],
]);

/** `schema.safeParse(json)`, by the schema's hand reader first where it has one. */
export function parseWith<T extends z.ZodType>(
  schema: T,
  json: unknown,
): { success: true; data: z.output<T> } | { success: false } {
  const read = READERS.get(schema)?.(json);
  if (read !== undefined && read !== null) return { success: true, data: read as z.output<T> };
  return schema.safeParse(json);
}
