// Turns a validated request into generated choices, and those into response bodies and stream chunks.
import { randomBytes } from 'node:crypto';
import type {
  ChatCompletionChunkWire,
  ChatCompletionResponseWire,
  CompletionResponseWire,
  UsageWire,
} from '../nim/wire.ts';
import type { GenerationInput } from './requests.ts';
import { generate, type Generation } from './text.ts';

export interface Plan {
  id: string;
  created: number;
  input: GenerationInput;
  choices: Generation[];
  usage: UsageWire;
}

export type Chunk = CompletionResponseWire | ChatCompletionChunkWire;

export interface StreamEvent {
  chunk: Chunk;
  /** Whether this chunk carries a generated token (as opposed to the chat role preamble). */
  token: boolean;
}

function generationKey(input: GenerationInput, index: number): string {
  const prompt = input.kind === 'completion' ? input.prompt : JSON.stringify(input.messages);
  return [input.kind, input.modelId, prompt, input.seed ?? '', index].join('\u0000');
}

export function planGeneration(input: GenerationInput): Plan {
  const choices = Array.from({ length: input.n }, (_, index) =>
    generate(generationKey(input, index), input.maxTokens, input.stop),
  );
  const completionTokens = choices.reduce((sum, choice) => sum + choice.completionTokens, 0);
  const prefix = input.kind === 'completion' ? 'cmpl' : 'chatcmpl';
  return {
    id: `${prefix}-${randomBytes(16).toString('hex')}`,
    created: Math.floor(Date.now() / 1000),
    input,
    choices,
    usage: {
      prompt_tokens: input.promptTokens,
      completion_tokens: completionTokens,
      total_tokens: input.promptTokens + completionTokens,
    },
  };
}

function echoed(plan: Plan, text: string): string {
  return plan.input.kind === 'completion' && plan.input.echo ? plan.input.prompt + text : text;
}

export function completionResponse(plan: Plan): CompletionResponseWire {
  return {
    id: plan.id,
    object: 'text_completion',
    created: plan.created,
    model: plan.input.modelId,
    choices: plan.choices.map((choice, index) => ({
      index,
      text: echoed(plan, choice.text),
      logprobs: null,
      finish_reason: choice.finishReason,
      stop_reason: choice.stopReason,
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
      message: { role: 'assistant', content: choice.text },
      logprobs: null,
      finish_reason: choice.finishReason,
      stop_reason: choice.stopReason,
    })),
    usage: plan.usage,
  };
}

/** The texts one choice streams: its non-empty token pieces, at least one (to carry finish_reason). */
function streamedTexts(plan: Plan, choice: Generation): string[] {
  const texts = choice.pieces.filter((piece) => piece !== '');
  if (texts.length === 0) texts.push('');
  texts[0] = echoed(plan, texts[0]!);
  return texts;
}

function tokenChunk(plan: Plan, index: number, text: string, last: Generation | null): Chunk {
  const finish_reason = last?.finishReason ?? null;
  const stop_reason = last?.stopReason ?? null;
  const { id, created } = plan;
  const model = plan.input.modelId;
  if (plan.input.kind === 'completion') {
    const choices = [{ index, text, logprobs: null, finish_reason, stop_reason }];
    return { id, object: 'text_completion', created, model, choices };
  }
  const choices = [{ index, delta: { content: text }, logprobs: null, finish_reason, stop_reason }];
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
          choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null, stop_reason: null }],
        },
      })),
    );
  }
  const perChoice = plan.choices.map((choice) => streamedTexts(plan, choice));
  const steps = Math.max(...perChoice.map((texts) => texts.length));
  for (let step = 0; step < steps; step++) {
    const round: StreamEvent[] = [];
    perChoice.forEach((texts, index) => {
      const text = texts[step];
      if (text === undefined) return;
      const last = step === texts.length - 1 ? plan.choices[index]! : null;
      round.push({ token: true, chunk: tokenChunk(plan, index, text, last) });
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
