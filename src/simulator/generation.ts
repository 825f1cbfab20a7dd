// Turns a validated request into generated choices, and those into response bodies and stream chunks.
import { guidedTokens } from './guided.ts';
import {
  planToolCalls,
  toolCallSteps,
  toolCallsWire,
  type ToolCallDeltas,
  type ToolPlan,
} from './tools.ts';
import { randomBytes } from 'node:crypto';
import type {
  ChatCompletionChunkWire,
  ChatCompletionResponseWire,
  ChatLogprobsWire,
  CompletionLogprobsWire,
  CompletionResponseWire,
  UsageWire,
} from '../nim/wire-server.ts';
import { jsonTokens } from './json.ts';
import {
  chatLogprobs,
  completionLogprobs,
  promptLogprobs,
  tokenLogprob,
  type LoggedToken,
} from './logprobs.ts';
import type { GenerationInput } from './requests.ts';
import { fnv1a, generate, mulberry32, type Generation } from './text.ts';

/** One streamed chunk's worth of a choice: its text and the tokens (with logprobs, if asked) it carries. */
interface Step {
  text: string;
  logged: LoggedToken[];
  /** A tool-calling answer's step: the delta's `tool_calls` instead of text. */
  toolCalls?: Record<string, unknown>[];
  /** A reasoning model's step of thought, sent in the style's field instead of text. */
  reasoning?: string;
}

/** Where a reasoning model's thought goes: vLLM ≥ 0.11, NIM 1.x, or inline (no reasoning parser). */
export type ReasoningStyle = 'none' | 'reasoning' | 'reasoning_content' | 'think-tags';

export interface PlanOptions {
  toolCallDeltas: ToolCallDeltas;
  reasoningStyle: ReasoningStyle;
}

interface ChoicePlan {
  generation: Generation;
  /** What the last chunk says: the generation's own reason, unless a fault replaced it. */
  finishReason: string | null;
  /** At least one step, so the last can carry finish_reason; the first includes any echoed prompt. */
  steps: Step[];
  /** The tool calls the answer is made of, instead of text; null for text. */
  tools: ToolPlan | null;
  /** The thought before the answer, for the JSON answer (the stream sends it step by step). */
  reasoning: string | null;
  reasoningTokens: number;
}

export interface Plan {
  id: string;
  created: number;
  input: GenerationInput;
  choices: ChoicePlan[];
  usage: UsageWire;
  reasoningStyle: ReasoningStyle;
}

export type Chunk = CompletionResponseWire | ChatCompletionChunkWire;

export interface StreamEvent {
  chunk: Chunk;
  /** Whether this chunk carries a generated token (as opposed to the chat role preamble). */
  token: boolean;
}

function generationKey(input: GenerationInput, index: number): string {
  const prompt = input.kind === 'completion' ? input.prompt : JSON.stringify(input.messages);
  return [input.kind, input.modelId, prompt, input.sampling.seed ?? '', index].join('\u0000');
}

function planChoice(input: GenerationInput, index: number, options: PlanOptions): ChoicePlan {
  const deltas = options.toolCallDeltas;
  const key = generationKey(input, index);
  if (input.kind === 'chat') {
    const tools = planToolCalls(
      input.tools,
      input.messages.at(-1)?.role,
      input.maxTokens,
      mulberry32(fnv1a(`${key}\u0000tools`)),
      (call) => `chatcmpl-tool-${fnv1a(`${key}\u0000${call}`).toString(16).padStart(8, '0')}`,
    );
    if (tools !== null) {
      const steps = toolCallSteps(tools, deltas).map((toolCalls) => ({
        text: '',
        logged: [],
        toolCalls,
      }));
      const generation: Generation = {
        pieces: [],
        text: '',
        finishReason: 'stop',
        stopReason: null,
        completionTokens: tools.completionTokens,
      };
      // As vLLM: a stream says tool_calls even when max_tokens cut the arguments (the JSON answer says length).
      return {
        generation,
        finishReason: 'tool_calls',
        steps,
        tools,
        reasoning: null,
        reasoningTokens: 0,
      };
    }
  }
  const format = input.responseFormat;
  const shaped = mulberry32(fnv1a(`${key}\u0000json`));
  const script =
    input.guided !== null
      ? guidedTokens(input.guided, shaped)
      : format === null
        ? null
        : jsonTokens(format, shaped);
  const { stop } = input;
  const { ignoreEos, minTokens, logprobs: count, temperature } = input.sampling;
  // A reasoning model thinks first, within the same max_tokens.
  const thought =
    input.kind === 'chat' && options.reasoningStyle !== 'none' && input.thinking.tokens > 0
      ? generate(`${key}\u0000reasoning`, {
          maxTokens: Math.min(input.thinking.tokens, input.maxTokens),
          stop: [],
          ignoreEos: true,
        }).pieces.map((piece, i) => (i === 0 ? piece.trimStart() : piece))
      : [];
  const maxTokens = input.maxTokens - thought.length;
  const generation =
    maxTokens > 0
      ? generate(key, { maxTokens, stop, ignoreEos, minTokens, script })
      : {
          pieces: [],
          text: '',
          finishReason: 'length' as const,
          stopReason: null,
          completionTokens: 0,
        };
  const echo = input.kind === 'completion' && input.echo ? input.prompt : '';
  const steps: Step[] = [];
  let offset = echo.length;
  generation.pieces.forEach((piece, position) => {
    if (piece === '') return;
    const logprob =
      count === null ? null : tokenLogprob(key, position, piece, count, temperature === 0);
    steps.push({
      text: piece,
      logged: logprob === null ? [] : [{ token: piece, offset, logprob }],
    });
    offset += piece.length;
  });
  const first = steps[0] ?? { text: '', logged: [] };
  const prompt = echo === '' || count === null ? [] : promptLogprobs(key, echo, count);
  if (steps.length > 0 || thought.length === 0)
    steps[0] = { text: echo + first.text, logged: [...prompt, ...first.logged] };
  const reasoning = thought.length > 0 ? thought.join('') : null;
  const thinking: Step[] =
    reasoning === null
      ? []
      : options.reasoningStyle === 'think-tags'
        ? // Tags split across tokens, as a tokenizer would send them.
          ['<th', 'ink>', ...thought, '</th', 'ink>\n\n'].map((text) => ({ text, logged: [] }))
        : thought.map((piece) => ({ text: '', logged: [], reasoning: piece }));
  const completionTokens = generation.completionTokens + thought.length;
  return {
    generation: { ...generation, completionTokens },
    finishReason: generation.finishReason,
    steps: [...thinking, ...steps],
    tools: null,
    reasoning,
    reasoningTokens: thought.length,
  };
}

/** The plan with the finish reasons a fault asked for (undefined entries keep their own). */
export function withFinishReasons(
  plan: Plan,
  reasons: ReadonlyArray<string | null | undefined> | undefined,
): Plan {
  if (reasons === undefined) return plan;
  const choices = plan.choices.map((choice, index) => {
    const reason = reasons[index];
    return reason === undefined ? choice : { ...choice, finishReason: reason };
  });
  return { ...plan, choices };
}

export function planGeneration(
  input: GenerationInput,
  options: PlanOptions = { toolCallDeltas: 'fragments', reasoningStyle: 'none' },
): Plan {
  const choices = Array.from({ length: input.n }, (_, index) => planChoice(input, index, options));
  const completionTokens = choices.reduce(
    (sum, choice) => sum + choice.generation.completionTokens,
    0,
  );
  const prefix = input.kind === 'completion' ? 'cmpl' : 'chatcmpl';
  return {
    id: `${prefix}-${randomBytes(16).toString('hex')}`,
    created: Math.floor(Date.now() / 1000),
    input,
    choices,
    reasoningStyle: options.reasoningStyle,
    usage: {
      prompt_tokens: input.promptTokens,
      completion_tokens: completionTokens,
      total_tokens: input.promptTokens + completionTokens,
      // The APIs that name the field reasoning_content also count its tokens (DeepSeek's, NIM 1.x).
      ...(options.reasoningStyle === 'reasoning_content' &&
      choices.some((c) => c.reasoningTokens > 0)
        ? {
            completion_tokens_details: {
              reasoning_tokens: choices.reduce((sum, c) => sum + c.reasoningTokens, 0),
            },
          }
        : {}),
    },
  };
}

function textOf(choice: ChoicePlan): string {
  return choice.steps.map((step) => step.text).join('');
}

function completionLogprobsOf(plan: Plan, logged: LoggedToken[]): CompletionLogprobsWire | null {
  return plan.input.sampling.logprobs === null ? null : completionLogprobs(logged);
}

function chatLogprobsOf(plan: Plan, logged: LoggedToken[]): ChatLogprobsWire | null {
  return plan.input.sampling.logprobs === null ? null : chatLogprobs(logged);
}

export function completionResponse(plan: Plan): CompletionResponseWire {
  return {
    id: plan.id,
    object: 'text_completion',
    created: plan.created,
    model: plan.input.modelId,
    choices: plan.choices.map((choice, index) => ({
      index,
      text: textOf(choice),
      logprobs: completionLogprobsOf(
        plan,
        choice.steps.flatMap((step) => step.logged),
      ),
      finish_reason: choice.finishReason,
      stop_reason: choice.generation.stopReason,
    })),
    usage: plan.usage,
  };
}

export function chatResponse(plan: Plan): ChatCompletionResponseWire {
  return {
    id: plan.id,
    object: 'chat.completion',
    created: plan.created,
    model: plan.input.modelId,
    choices: plan.choices.map((choice, index) => ({
      index,
      message:
        choice.tools !== null
          ? { role: 'assistant', content: null, tool_calls: toolCallsWire(choice.tools) }
          : choice.reasoning !== null && plan.reasoningStyle === 'reasoning'
            ? { role: 'assistant', content: textOf(choice), reasoning: choice.reasoning }
            : choice.reasoning !== null && plan.reasoningStyle === 'reasoning_content'
              ? { role: 'assistant', content: textOf(choice), reasoning_content: choice.reasoning }
              : { role: 'assistant', content: textOf(choice) },
      logprobs: chatLogprobsOf(
        plan,
        choice.steps.flatMap((step) => step.logged),
      ),
      finish_reason:
        choice.tools?.cut && choice.finishReason === 'tool_calls' ? 'length' : choice.finishReason,
      stop_reason: choice.generation.stopReason,
    })),
    usage: plan.usage,
  };
}

function tokenChunk(plan: Plan, index: number, step: Step, last: ChoicePlan | null): Chunk {
  const finish_reason = last?.finishReason ?? null;
  const stop_reason = last?.generation.stopReason ?? null;
  const { id, created } = plan;
  const model = plan.input.modelId;
  if (plan.input.kind === 'completion') {
    const logprobs = completionLogprobsOf(plan, step.logged);
    const choices = [{ index, text: step.text, logprobs, finish_reason, stop_reason }];
    return { id, object: 'text_completion', created, model, choices };
  }
  const logprobs = chatLogprobsOf(plan, step.logged);
  const field = plan.reasoningStyle === 'reasoning' ? 'reasoning' : 'reasoning_content';
  const delta = step.toolCalls
    ? { tool_calls: step.toolCalls }
    : step.reasoning !== undefined
      ? { [field]: step.reasoning }
      : { content: step.text };
  const choices = [{ index, delta, logprobs, finish_reason, stop_reason }];
  return { id, object: 'chat.completion.chunk', created, model, choices };
}

/**
 * The stream as rounds of chunks: one round per generation step, one token chunk per live
 * choice in each, so choices of different index interleave as they do with vLLM.
 */
export function streamRounds(plan: Plan): StreamEvent[][] {
  const rounds: StreamEvent[][] = [];
  if (plan.input.kind === 'chat') {
    rounds.push(
      plan.choices.map((_, index) => ({
        token: false,
        chunk: {
          id: plan.id,
          object: 'chat.completion.chunk',
          created: plan.created,
          model: plan.input.modelId,
          choices: [
            {
              index,
              delta: { role: 'assistant', content: '' },
              logprobs: null,
              finish_reason: null,
              stop_reason: null,
            },
          ],
        },
      })),
    );
  }
  const steps = Math.max(...plan.choices.map((choice) => choice.steps.length));
  for (let position = 0; position < steps; position++) {
    const round: StreamEvent[] = [];
    plan.choices.forEach((choice, index) => {
      const step = choice.steps[position];
      if (step === undefined) return;
      const last = position === choice.steps.length - 1 ? choice : null;
      round.push({ token: true, chunk: tokenChunk(plan, index, step, last) });
    });
    rounds.push(round);
  }
  return rounds;
}

/** The extra chunk sent with stream_options.include_usage: no choices, just usage. */
export function usageChunk(plan: Plan): Chunk {
  const { id, created, usage } = plan;
  const model = plan.input.modelId;
  return plan.input.kind === 'completion'
    ? { id, object: 'text_completion', created, model, choices: [], usage }
    : { id, object: 'chat.completion.chunk', created, model, choices: [], usage };
}
