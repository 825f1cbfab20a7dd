// Sampling fields: vLLM's ranges and messages, and where each API version wants the NVIDIA extras.
import type { SimulatorError } from './errors.ts';
import {
  bad,
  describe,
  isObject,
  isSet,
  optionalBoolean,
  optionalInteger,
  optionalNumber,
  optionalString,
  type Body,
} from './fields.ts';

/** 1 = early NIM 1.x (extras under `nvext`), 2 = NIM 2.x / vLLM (extras top-level, `nvext` ignored). */
export type ApiVersion = 1 | 2;

export interface Sampling {
  temperature: number | null;
  topP: number | null;
  topK: number | null;
  minP: number | null;
  repetitionPenalty: number | null;
  frequencyPenalty: number | null;
  presencePenalty: number | null;
  seed: number | null;
  ignoreEos: boolean;
  minTokens: number;
  user: string | null;
  /** Alternatives listed per token; null when logprobs were not asked for. */
  logprobs: number | null;
}

/** vLLM's default --max-logprobs. */
const MAX_LOGPROBS = 20;
/** Early NIM 1.x refused these at the top level; they had to go under `nvext`. */
const NVEXT_ONLY = ['top_k', 'repetition_penalty'] as const;
const INT64_LIMIT = 2 ** 63;

function temperature(body: Body): number | null {
  const value = optionalNumber(body, 'temperature');
  if (value === null) return null;
  if (value < 0) throw bad(`temperature must be non-negative, got ${value}.`, 'temperature');
  if (value > 2) throw bad(`temperature must be in [0, 2], got ${value}.`, 'temperature');
  return value;
}

function topP(body: Body): number | null {
  const value = optionalNumber(body, 'top_p');
  if (value !== null && !(value > 0 && value <= 1))
    throw bad(`top_p must be in (0, 1], got ${value}.`, 'top_p');
  return value;
}

function penalty(body: Body, name: 'frequency_penalty' | 'presence_penalty'): number | null {
  const value = optionalNumber(body, name);
  if (value !== null && !(value >= -2 && value <= 2))
    throw bad(`${name} must be in [-2, 2], got ${value}.`, name);
  return value;
}

function seed(body: Body): number | null {
  const value = optionalInteger(body, 'seed');
  if (value !== null && !(value >= -INT64_LIMIT && value < INT64_LIMIT)) {
    throw bad(`seed must fit in a signed 64-bit integer, got ${value}.`, 'seed');
  }
  return value;
}

function topK(body: Body, param: string): number | null {
  const value = optionalInteger(body, 'top_k', param);
  if (value !== null && value < -1)
    throw bad(`top_k must be 0 (disable), or at least 1, got ${value}.`, param);
  return value;
}

function repetitionPenalty(body: Body, param: string): number | null {
  const value = optionalNumber(body, 'repetition_penalty', param);
  if (value === null) return null;
  if (value <= 0) throw bad(`repetition_penalty must be greater than zero, got ${value}.`, param);
  if (value > 2) throw bad(`repetition_penalty must be in (0, 2], got ${value}.`, param);
  return value;
}

function minP(body: Body): number | null {
  const value = optionalNumber(body, 'min_p');
  if (value !== null && !(value >= 0 && value <= 1))
    throw bad(`min_p must be in [0, 1], got ${value}.`, 'min_p');
  return value;
}

function minTokens(body: Body): number {
  const value = optionalInteger(body, 'min_tokens') ?? 0;
  if (value < 0)
    throw bad(`min_tokens must be greater than or equal to 0, got ${value}.`, 'min_tokens');
  return value;
}

function tooManyLogprobs(value: number, param: string): SimulatorError {
  return bad(
    `Requested sample logprobs of ${value}, which is greater than max allowed: ${MAX_LOGPROBS}`,
    param,
  );
}

/** Completions take an int (how many alternatives); chat takes a flag plus `top_logprobs`. */
function logprobs(body: Body, kind: 'completion' | 'chat'): number | null {
  if (kind === 'completion') {
    const value = optionalInteger(body, 'logprobs');
    if (value === null) return null;
    if (value < 0) throw bad(`logprobs must be non-negative, got ${value}.`, 'logprobs');
    if (value > MAX_LOGPROBS) throw tooManyLogprobs(value, 'logprobs');
    return value;
  }
  const wanted = optionalBoolean(body, 'logprobs') ?? false;
  const top = optionalInteger(body, 'top_logprobs');
  if (top !== null) {
    if (top < 0) throw bad('`top_logprobs` must be a positive value.', 'top_logprobs');
    // vLLM lets `top_logprobs: 0` through without the flag; anything more needs it.
    if (top > 0 && !wanted)
      throw bad('when using `top_logprobs`, `logprobs` must be set to true.', 'top_logprobs');
    if (top > MAX_LOGPROBS) throw tooManyLogprobs(top, 'top_logprobs');
  }
  return wanted ? (top ?? 0) : null;
}

interface Extras {
  topK: number | null;
  repetitionPenalty: number | null;
  ignoreEos: boolean | null;
}

function nvext(body: Body): Extras {
  const value = body['nvext'];
  if (value === undefined || value === null)
    return { topK: null, repetitionPenalty: null, ignoreEos: null };
  if (!isObject(value)) throw bad(`nvext must be an object, got ${describe(value)}.`, 'nvext');
  return {
    topK: topK(value, 'nvext.top_k'),
    repetitionPenalty: repetitionPenalty(value, 'nvext.repetition_penalty'),
    ignoreEos: optionalBoolean(value, 'ignore_eos', 'nvext.ignore_eos'),
  };
}

/** NVIDIA/vLLM extras, from where the API version puts them. */
function extras(body: Body, apiVersion: ApiVersion): Extras {
  const topLevelIgnoreEos = optionalBoolean(body, 'ignore_eos');
  if (apiVersion === 2) {
    // vLLM ignores keys it does not know, and 2.x removed `nvext`.
    return {
      topK: topK(body, 'top_k'),
      repetitionPenalty: repetitionPenalty(body, 'repetition_penalty'),
      ignoreEos: topLevelIgnoreEos,
    };
  }
  for (const name of NVEXT_ONLY) {
    if (isSet(body, name)) throw bad(`The field ${name} is unsupported`, name);
  }
  const nested = nvext(body);
  // 1.14 also took ignore_eos at the top level; the nvext value wins when both are sent.
  return { ...nested, ignoreEos: nested.ignoreEos ?? topLevelIgnoreEos };
}

export function readSampling(
  body: Body,
  kind: 'completion' | 'chat',
  apiVersion: ApiVersion,
): Sampling {
  const sampled = {
    temperature: temperature(body),
    topP: topP(body),
    frequencyPenalty: penalty(body, 'frequency_penalty'),
    presencePenalty: penalty(body, 'presence_penalty'),
    seed: seed(body),
    logprobs: logprobs(body, kind),
    user: optionalString(body, 'user'),
    minP: minP(body),
    minTokens: minTokens(body),
  };
  const { topK: k, repetitionPenalty: penaltyValue, ignoreEos } = extras(body, apiVersion);
  return { ...sampled, topK: k, repetitionPenalty: penaltyValue, ignoreEos: ignoreEos ?? false };
}

/** vLLM compares min_tokens with the effective max_tokens, the chat default included. */
export function checkMinTokens(sampling: Sampling, maxTokens: number): void {
  if (sampling.minTokens > maxTokens) {
    throw bad(
      `min_tokens must be less than or equal to max_tokens=${maxTokens}, got ${sampling.minTokens}.`,
      'min_tokens',
    );
  }
}
