// Turns upstream stream chunks into per-choice deltas plus one final result, and refuses to call a
// stream complete unless every choice it asked for has a finish reason.
import { brokenStream } from './errors.ts';
import { ThinkSplitter } from './reasoning.ts';
import { settleToolCalls } from './tool-calls.ts';
import type {
  ChatChunk,
  ChatCompletionResponse,
  CompletionChunk,
  CompletionResponse,
  TokenLogprob,
  Usage,
} from './wire.ts';

/** What one chunk says about one choice. */
export interface ChoiceDelta {
  index: number;
  text: string;
  /** Chat only: the role, on the first delta of each choice that reaches the client. */
  role: string | null;
  /** Chat only: reasoning text of reasoning models, when the upstream separates it. */
  reasoning: string | null;
  finish_reason: string | null;
  logprobs: TokenLogprob[] | null;
  /** Chat only: fragments of tool calls, each keyed by its call's index within the choice. */
  toolCalls: ToolCallDelta[];
}

/** A fragment of one tool call: `id` and `name` arrive with the call's first fragment only. */
export interface ToolCallDelta {
  index: number;
  id: string | null;
  name: string | null;
  argumentsText: string;
}

export type StreamPart<Final> =
  { type: 'delta'; delta: ChoiceDelta } | { type: 'done'; result: Final };

interface ChoiceState {
  role: string | null;
  text: string[];
  reasoning: string[];
  logprobs: TokenLogprob[] | null;
  finishReason: string | null;
  /** Tool calls by their index within the choice; never concatenated across indexes. */
  toolCalls: Map<number, { id: string; name: string; args: string[] }>;
}

interface Head {
  id: string;
  created: number | null;
  model: string;
  usage: Usage | null;
}

type ChunkHead = { id: string; created: number | null; model: string | null; usage: Usage | null };

/** Accumulates a stream; `finish()` checks it ended properly. */
class Assembly {
  readonly head: Head;
  readonly choices = new Map<number, ChoiceState>();
  private readonly expected: number;
  /** The model keeps the id asked for, whatever the chunks say (an upstream serving it under an alias). */
  private readonly fixedModel: boolean;

  constructor(model: string, expectedChoices: number, fixedModel: boolean) {
    this.head = { id: '', created: null, model, usage: null };
    this.expected = expectedChoices;
    this.fixedModel = fixedModel;
  }

  note(chunk: ChunkHead): void {
    if (chunk.id && !this.head.id) this.head.id = chunk.id;
    if (chunk.created !== null && this.head.created === null) this.head.created = chunk.created;
    if (chunk.model && !this.fixedModel) this.head.model = chunk.model;
    if (chunk.usage) this.head.usage = chunk.usage;
  }

  add(delta: ChoiceDelta): void {
    let state = this.choices.get(delta.index);
    if (state === undefined) {
      state = {
        role: null,
        text: [],
        reasoning: [],
        logprobs: null,
        finishReason: null,
        toolCalls: new Map(),
      };
      this.choices.set(delta.index, state);
    }
    if (delta.role) state.role = delta.role;
    if (delta.text) state.text.push(delta.text);
    if (delta.reasoning) state.reasoning.push(delta.reasoning);
    if (delta.logprobs) (state.logprobs ??= []).push(...delta.logprobs);
    if (delta.finish_reason !== null) state.finishReason = delta.finish_reason;
    for (const fragment of delta.toolCalls) {
      let call = state.toolCalls.get(fragment.index);
      if (call === undefined) {
        call = { id: '', name: '', args: [] };
        state.toolCalls.set(fragment.index, call);
      }
      if (fragment.id) call.id = fragment.id;
      if (fragment.name) call.name = fragment.name;
      if (fragment.argumentsText) call.args.push(fragment.argumentsText);
    }
  }

  /** The choices in index order, once each expected one has finished. */
  finish(): { index: number; state: ChoiceState }[] {
    for (let index = 0; index < this.expected; index++) {
      const state = this.choices.get(index);
      if (state?.finishReason == null) {
        throw brokenStream(
          this.head.model,
          `ended without a finish reason for choice ${index}: the answer may be truncated`,
        );
      }
    }
    return [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, state]) => ({ index, state }));
  }
}

/**
 * The deltas of one upstream read, joined: consecutive deltas of a choice that carry the same kind
 * of thing (answer text, reasoning, or tool-call fragments) become one, its texts, logprobs and
 * fragments joined in order, the role of its first delta, the finish reason of its last. A client
 * that appends each delta to what came before for its choice, as the events' contract says, ends
 * with the same text, and reasoning still comes before the answer it precedes; an upstream that
 * sends tokens faster than they are relayed (a burst, or a gateway behind) is relayed in fewer,
 * larger events. Nothing is joined across a Done.
 */
export function coalesceDeltas<Final>(parts: StreamPart<Final>[]): StreamPart<Final>[] {
  if (parts.length < 2) return parts;
  const out: StreamPart<Final>[] = [];
  // The events being gathered, in the order they began, and each choice's open one.
  let runs: ChoiceDelta[][] = [];
  let open = new Map<number, { kind: DeltaKind; deltas: ChoiceDelta[] }>();
  const flush = () => {
    for (const deltas of runs)
      // Stryker disable next-line ConditionalExpression: joined() of one delta is an equal delta
      out.push({ type: 'delta', delta: deltas.length === 1 ? deltas[0]! : joined(deltas) });
    runs = [];
    open = new Map();
  };
  for (const part of parts) {
    if (part.type !== 'delta') {
      flush();
      out.push(part);
      continue;
    }
    const kind = kindOf(part.delta);
    const run = open.get(part.delta.index);
    if (run !== undefined && run.kind === kind && kind !== 'mixed') {
      run.deltas.push(part.delta);
      continue;
    }
    const deltas = [part.delta];
    runs.push(deltas);
    open.set(part.delta.index, { kind, deltas });
  }
  flush();
  return out;
}

type DeltaKind = 'text' | 'reasoning' | 'tools' | 'mixed';

/** What a delta carries; a finish reason or logprobs alone go with the answer text. */
function kindOf(delta: ChoiceDelta): DeltaKind {
  const reasoning = delta.reasoning !== null && delta.reasoning !== '';
  const tools = delta.toolCalls.length > 0;
  const text = delta.text !== '';
  if (reasoning) return text || tools ? 'mixed' : 'reasoning';
  if (tools) return text ? 'mixed' : 'tools';
  return 'text';
}

/** Several deltas of one choice, in order, as one. */
function joined(deltas: ChoiceDelta[]): ChoiceDelta {
  let text = '';
  let role: string | null = null;
  let reasoning: string | null = null;
  let finishReason: string | null = null;
  let logprobs: TokenLogprob[] | null = null;
  const toolCalls: ToolCallDelta[] = [];
  for (const delta of deltas) {
    text += delta.text;
    role ??= delta.role;
    if (delta.reasoning !== null) reasoning = (reasoning ?? '') + delta.reasoning;
    if (delta.finish_reason !== null) finishReason = delta.finish_reason;
    if (delta.logprobs !== null) (logprobs ??= []).push(...delta.logprobs);
    for (const fragment of delta.toolCalls) {
      const last = toolCalls[toolCalls.length - 1];
      // A fragment that goes on the call before it (same index, no id or name of its own) joins it.
      if (last?.index === fragment.index && fragment.id === null && fragment.name === null)
        toolCalls[toolCalls.length - 1] = {
          ...last,
          argumentsText: last.argumentsText + fragment.argumentsText,
        };
      else toolCalls.push(fragment);
    }
  }
  return {
    index: deltas[0]!.index,
    text,
    role,
    reasoning,
    finish_reason: finishReason,
    logprobs,
    toolCalls,
  };
}

/** Whether a delta carries anything a client can use: the chat role preamble and empty deltas do not. */
function meaningful(delta: ChoiceDelta): boolean {
  return (
    delta.text !== '' ||
    (delta.reasoning !== null && delta.reasoning !== '') ||
    delta.finish_reason !== null ||
    (delta.logprobs !== null && delta.logprobs.length > 0) ||
    delta.toolCalls.length > 0
  );
}

/** A chunk's deltas, one per choice it speaks of. */
type Deltas<Chunk> = (chunk: Chunk) => ChoiceDelta[];

const completionDeltas: Deltas<CompletionChunk> = (chunk) =>
  chunk.choices.map((c) => ({
    index: c.index,
    text: c.text,
    role: null,
    reasoning: null,
    finish_reason: c.finish_reason,
    logprobs: c.logprobs,
    toolCalls: [],
  }));

const chatDeltas: Deltas<ChatChunk> = (chunk) =>
  chunk.choices.map((c) => ({
    index: c.index,
    text: c.delta.content ?? '',
    role: c.delta.role,
    reasoning: c.delta.reasoning_content ?? c.delta.reasoning,
    finish_reason: c.finish_reason,
    logprobs: c.logprobs,
    toolCalls: c.delta.tool_calls.map((t) => ({
      index: t.index,
      id: t.id,
      name: t.function.name,
      argumentsText: t.function.arguments ?? '',
    })),
  }));

/** Whether a chunk carries content: what ends the wait for the first token (a role preamble does not). */
export const completionHasContent = (chunk: CompletionChunk): boolean =>
  completionDeltas(chunk).some(meaningful);
export const chatHasContent = (chunk: ChatChunk): boolean => chatDeltas(chunk).some(meaningful);

/**
 * The shared loop: relay each meaningful delta, then build the final result from the assembly.
 * The role, announced by a preamble the client never sees, rides on each choice's first relayed delta.
 * The chunks of one upstream read come in together, and their parts go out together.
 */
async function* assemble<Chunk extends ChunkHead, Choice>(
  reads: AsyncIterable<Chunk[]>,
  model: string,
  expectedChoices: number,
  deltas: Deltas<Chunk>,
  choice: (index: number, state: ChoiceState) => Choice,
  fixedModel: boolean,
): AsyncGenerator<StreamPart<Head & { choices: Choice[] }>[]> {
  const assembly = new Assembly(model, expectedChoices, fixedModel);
  const relayed = new Set<number>();
  for await (const read of reads) {
    const parts: StreamPart<Head & { choices: Choice[] }>[] = [];
    for (const chunk of read) {
      assembly.note(chunk);
      for (const delta of deltas(chunk)) {
        assembly.add(delta);
        if (!meaningful(delta)) continue;
        const first = !relayed.has(delta.index);
        relayed.add(delta.index);
        parts.push({
          type: 'delta',
          // Stryker disable next-line OptionalChaining: add() has just made this choice's state
          delta: {
            ...delta,
            role: first ? (assembly.choices.get(delta.index)?.role ?? null) : null,
          },
        });
      }
    }
    if (parts.length > 0) yield parts;
  }
  const choices = assembly.finish().map(({ index, state }) => choice(index, state));
  yield [{ type: 'done', result: { ...assembly.head, choices } }];
}

export function assembleCompletion(
  reads: AsyncIterable<CompletionChunk[]>,
  model: string,
  expectedChoices: number,
  fixedModel = false,
): AsyncGenerator<StreamPart<CompletionResponse>[]> {
  const choice = (index: number, state: ChoiceState) => ({
    index,
    text: state.text.join(''),
    finish_reason: state.finishReason,
    logprobs: state.logprobs,
  });
  return assemble(reads, model, expectedChoices, completionDeltas, choice, fixedModel);
}

export function assembleChat(
  reads: AsyncIterable<ChatChunk[]>,
  model: string,
  expectedChoices: number,
  fixedModel = false,
): AsyncGenerator<StreamPart<ChatCompletionResponse>[]> {
  // Reasoning inline in the content (`<think>…</think>`, no reasoning parser upstream) is split out
  // per choice as it streams.
  const splitters = new Map<number, ThinkSplitter>();
  const deltas: Deltas<ChatChunk> = (chunk) =>
    chatDeltas(chunk).map((delta) => {
      if (delta.reasoning !== null) return delta;
      let splitter = splitters.get(delta.index);
      if (splitter === undefined) splitters.set(delta.index, (splitter = new ThinkSplitter()));
      const fed = splitter.feed(delta.text);
      const rest = delta.finish_reason === null ? { content: '', reasoning: '' } : splitter.end();
      const reasoning = fed.reasoning + rest.reasoning;
      return { ...delta, text: fed.content + rest.content, reasoning: reasoning || null };
    });
  return assemble(
    reads,
    model,
    expectedChoices,
    deltas,
    (index, state) =>
      settleToolCalls({
        index,
        message: {
          // Stryker disable next-line StringLiteral: the schema reads an unknown role as ASSISTANT
          role: state.role ?? 'assistant',
          content: state.text.join(''),
          reasoning_content: state.reasoning.length > 0 ? state.reasoning.join('') : null,
          tool_calls: [...state.toolCalls.entries()]
            .sort(([a], [b]) => a - b)
            .map(([, call]) => ({
              id: call.id,
              function: { name: call.name, arguments: call.args.join('') },
            })),
        },
        finish_reason: state.finishReason,
        logprobs: state.logprobs,
      }),
    fixedModel,
  );
}
