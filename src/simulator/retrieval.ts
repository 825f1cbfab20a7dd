// The retrieval NIMs: `POST /v1/embeddings` and `POST /v1/ranking`, deterministic. A vector is a
// hashed bag of the text's words into `dimensions` values (same text, same vector; texts sharing
// words point alike), normalised; a ranking's logit
// grows with the share of the query's words a passage holds.
import { SimulatorError } from './errors.ts';
import { bad, describe, isObject, optionalInteger, type Body } from './fields.ts';
import type { SimulatorModel } from './models.ts';
import { fnv1a, splitTokens } from './text.ts';
import type { EmbeddingResponseWire, RankingResponseWire } from '../nim/wire-server.ts';

/** Vector size when a model does not say, and the tokens a retrieval model takes. */
const DEFAULT_DIMENSIONS = 64;
const DEFAULT_MAX_INPUT_TOKENS = 512;

/** The refusal of an over-long input with truncate NONE, in the retrieval NIMs' words. */
const tooLong = (tokens: number, limit: number) =>
  bad(`Input length ${tokens} exceeds maximum allowed token size ${limit}`, 'input');

const TRUNCATES = ['NONE', 'START', 'END'];

function retrievalModel(
  body: Body,
  models: readonly SimulatorModel[],
  kind: string,
): SimulatorModel {
  const id = body['model'];
  if (typeof id !== 'string') throw bad('model must be a string.', 'model');
  const model = models.find((m) => m.id === id);
  if (model === undefined)
    throw new SimulatorError(404, `The model \`${id}\` does not exist.`, 'model');
  if (model.kind !== kind)
    throw bad(`The model \`${id}\` does not support the ${kind} API.`, 'model');
  return model;
}

function readTruncate(body: Body): string {
  const value = body['truncate'] ?? 'NONE';
  if (typeof value !== 'string' || !TRUNCATES.includes(value))
    throw bad(
      `truncate must be one of ${TRUNCATES.join(', ')}, got ${describe(value)}.`,
      'truncate',
    );
  return value;
}

/** The tokens of a text the model reads: all of them, or the end or start kept under the limit. */
function fitted(text: string, truncate: string, limit: number): string[] {
  const tokens = splitTokens(text);
  if (tokens.length <= limit) return tokens;
  if (truncate === 'NONE') throw tooLong(tokens.length, limit);
  return truncate === 'START' ? tokens.slice(tokens.length - limit) : tokens.slice(0, limit);
}

const words = (tokens: readonly string[]) =>
  tokens.map((t) => t.trim().toLowerCase()).filter((t) => /^[a-z0-9]+$/.test(t));

function normalised(values: number[]): number[] {
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => v / norm);
}

function vectorOf(tokens: readonly string[], size: number, inputType: string | null): number[] {
  const values = new Array<number>(size).fill(0);
  for (const word of words(tokens)) {
    const hash = fnv1a(word);
    values[hash % size]! += hash & 0x10000 ? 1 : -1;
    values[(hash >>> 8) % size]! += 0.5;
  }
  // A query and a passage of the same text differ a little, as an asymmetric model's do.
  if (inputType !== null) values[inputType === 'query' ? 0 : 1]! += 0.25;
  // A text of no words (punctuation only) still gets a unit vector.
  if (!values.some((v) => v !== 0)) values[0] = 1;
  return normalised(values);
}

function float32Base64(values: number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString('base64');
}

export function embeddingResponse(
  body: Body,
  models: readonly SimulatorModel[],
): EmbeddingResponseWire {
  const model = retrievalModel(body, models, 'embedding');
  const raw = body['input'];
  const inputs = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((i) => typeof i === 'string'))
    throw bad('input must be a string or a non-empty list of strings.', 'input');
  if (inputs.some((i) => i === '')) throw bad('input must not contain an empty string.', 'input');
  const inputType = body['input_type'] ?? null;
  if (inputType !== null && inputType !== 'query' && inputType !== 'passage')
    throw bad(`input_type must be query or passage, got ${describe(inputType)}.`, 'input_type');
  if (model.asymmetric && inputType === null)
    throw bad("'input_type' parameter is required for asymmetric models", 'input_type');
  const encoding = body['encoding_format'] ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64')
    throw bad(
      `encoding_format must be float or base64, got ${describe(encoding)}.`,
      'encoding_format',
    );
  const full = model.dimensions ?? DEFAULT_DIMENSIONS;
  const dimensions = optionalInteger(body, 'dimensions') ?? full;
  if (dimensions < 1 || dimensions > full)
    throw bad(`dimensions must be from 1 to ${full}, got ${dimensions}.`, 'dimensions');
  const truncate = readTruncate(body);
  const limit = model.maxModelLength ?? DEFAULT_MAX_INPUT_TOKENS;
  let promptTokens = 0;
  const data = (inputs as string[]).map((text, index) => {
    const tokens = fitted(text, truncate, limit);
    promptTokens += tokens.length;
    const vector = vectorOf(tokens, dimensions, inputType as string | null);
    return {
      object: 'embedding' as const,
      index,
      embedding: encoding === 'base64' ? float32Base64(vector) : vector,
    };
  });
  return {
    object: 'list',
    data,
    model: model.id,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

function readText(value: unknown, param: string): string {
  if (!isObject(value) || typeof value['text'] !== 'string' || value['text'] === '')
    throw bad(`${param} must be an object with a non-empty text.`, param);
  return value['text'];
}

export function rankingResponse(
  body: Body,
  models: readonly SimulatorModel[],
): RankingResponseWire {
  const model = retrievalModel(body, models, 'ranking');
  const query = readText(body['query'], 'query');
  const passages = body['passages'];
  if (!Array.isArray(passages) || passages.length === 0)
    throw bad('passages must be a non-empty list of {text} objects.', 'passages');
  const texts = passages.map((p, i) => readText(p, `passages[${i}]`));
  const truncate = readTruncate(body);
  const limit = model.maxModelLength ?? DEFAULT_MAX_INPUT_TOKENS;
  const queryTokens = splitTokens(query);
  const queryWords = new Set(words(queryTokens));
  const rankings = texts.map((text, index) => {
    // The model reads the query and the passage together; truncation cuts the passage.
    const room = Math.max(1, limit - queryTokens.length);
    if (truncate === 'NONE' && queryTokens.length + splitTokens(text).length > limit)
      throw tooLong(queryTokens.length + splitTokens(text).length, limit);
    const passageWords = new Set(words(fitted(text, truncate, room)));
    const shared = [...queryWords].filter((w) => passageWords.has(w)).length;
    const overlap = queryWords.size === 0 ? 0 : shared / queryWords.size;
    // A small, stable nudge per passage keeps ties apart without hiding the overlap's order.
    const nudge = (fnv1a(`${query}\u0000${text}`) % 1000) / 100_000;
    return { index, logit: Math.round((-6 + 12 * overlap + nudge) * 10_000) / 10_000 };
  });
  rankings.sort((a, b) => b.logit - a.logit || a.index - b.index);
  return { rankings };
}
