// `response_format`: validation, and deterministic JSON made of the simulator's words that fits the schema.
import { bad, describe, isObject, type Body } from './fields.ts';
import { splitTokens, WORDS } from './text.ts';

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type ResponseFormat =
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Body; strict: boolean | null };

const FORMAT_TYPES: readonly string[] = ['text', 'json_object', 'json_schema'];
const PARAM = 'response_format';

/** The requested structured output, or null for plain text (absent or `{type: "text"}`). */
export function readResponseFormat(body: Body): ResponseFormat | null {
  const value = body[PARAM];
  if (value === undefined || value === null) return null;
  if (!isObject(value))
    throw bad(`response_format must be an object, got ${describe(value)}.`, PARAM);
  const type = value['type'];
  if (typeof type !== 'string' || !FORMAT_TYPES.includes(type)) {
    throw bad(
      `response_format.type must be one of 'text', 'json_object' or 'json_schema', got ${describe(type)}.`,
      PARAM,
    );
  }
  if (type === 'text') return null;
  if (type === 'json_object') return { type };
  const spec = value['json_schema'];
  if (!isObject(spec))
    throw bad('response_format.json_schema must be an object when type is json_schema.', PARAM);
  const name = spec['name'];
  if (typeof name !== 'string')
    throw bad(`response_format.json_schema.name must be a string, got ${describe(name)}.`, PARAM);
  const schema = spec['schema'];
  if (!isObject(schema))
    throw bad(
      `response_format.json_schema.schema must be an object, got ${describe(schema)}.`,
      PARAM,
    );
  const strict = spec['strict'] ?? null;
  if (strict !== null && typeof strict !== 'boolean') {
    throw bad(
      `response_format.json_schema.strict must be a boolean, got ${describe(strict)}.`,
      PARAM,
    );
  }
  return { type: 'json_schema', name, schema, strict };
}

type Random = () => number;

/** Longer words make better keys and values than 'the' or 'of'. */
const CONTENT_WORDS = WORDS.filter((word) => word.length > 3);

function pick<T>(items: readonly T[], random: Random): T {
  return items[Math.floor(random() * items.length)]!;
}

function between(low: number, high: number, random: Random): number {
  return low + Math.floor(random() * (high - low + 1));
}

function phrase(random: Random, count = between(1, 3, random)): string {
  return Array.from({ length: count }, () => pick(CONTENT_WORDS, random)).join(' ');
}

function distinctWords(count: number, random: Random): string[] {
  const chosen: string[] = [];
  while (chosen.length < count) {
    const word = pick(CONTENT_WORDS, random);
    if (!chosen.includes(word)) chosen.push(word);
  }
  return chosen;
}

/** What json_object mode writes: a flat-ish object keyed by words. */
function freeObject(random: Random, depth: number): { [key: string]: JsonValue } {
  const entries = distinctWords(between(2, 4, random), random).map((key): [string, JsonValue] => {
    const kind = between(0, depth > 0 ? 3 : 4, random);
    if (kind === 0) return [key, phrase(random)];
    if (kind === 1) return [key, between(0, 999, random)];
    if (kind === 2) return [key, random() < 0.5];
    if (kind === 3)
      return [key, Array.from({ length: between(1, 3, random) }, () => phrase(random, 1))];
    return [key, freeObject(random, depth + 1)];
  });
  return Object.fromEntries(entries);
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function bounds(schema: Body, integer: boolean): [number, number] {
  const step = integer ? 1 : 0.01;
  let low = numberOr(schema['minimum'], numberOr(schema['exclusiveMinimum'], Number.NaN) + step);
  let high = numberOr(schema['maximum'], numberOr(schema['exclusiveMaximum'], Number.NaN) - step);
  if (Number.isNaN(low)) low = Number.isNaN(high) ? 0 : high - 100;
  if (Number.isNaN(high)) high = low + 100;
  if (integer) [low, high] = [Math.ceil(low), Math.floor(high)];
  return high < low ? [low, low] : [low, high];
}

function stringFor(schema: Body, random: Random): string {
  const minLength = numberOr(schema['minLength'], 0);
  const maxLength = numberOr(schema['maxLength'], Number.POSITIVE_INFINITY);
  let text = phrase(random);
  while (text.length < minLength) text += ` ${pick(CONTENT_WORDS, random)}`;
  return text.slice(0, maxLength);
}

function arrayFor(schema: Body, random: Random): JsonValue[] {
  const maxItems = numberOr(schema['maxItems'], Number.POSITIVE_INFINITY);
  const minItems = numberOr(schema['minItems'], Math.min(1, maxItems));
  const count = between(minItems, Math.max(minItems, Math.min(maxItems, minItems + 2)), random);
  const items = schema['items'];
  return Array.from({ length: count }, () => valueFor(items === undefined ? {} : items, random));
}

function objectFor(schema: Body, random: Random): { [key: string]: JsonValue } {
  const properties = isObject(schema['properties']) ? schema['properties'] : {};
  const required = Array.isArray(schema['required'])
    ? schema['required'].filter((k): k is string => typeof k === 'string')
    : [];
  const result: { [key: string]: JsonValue } = {};
  for (const [key, property] of Object.entries(properties))
    result[key] = valueFor(property, random);
  for (const key of required) if (!(key in result)) result[key] = phrase(random);
  if (
    Object.keys(properties).length === 0 &&
    required.length === 0 &&
    schema['additionalProperties'] !== false
  ) {
    return freeObject(random, 1);
  }
  return result;
}

/** The first type that is not null, so optional fields still carry a value. */
function typeOf(schema: Body): string | undefined {
  const type = schema['type'];
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const named = type.filter((t): t is string => typeof t === 'string');
    return named.find((t) => t !== 'null') ?? named[0];
  }
  if (isObject(schema['properties'])) return 'object';
  if (schema['items'] !== undefined) return 'array';
  return undefined;
}

/** A value that conforms to the schema, for the subset we support; other schemas get a string. */
function valueFor(schema: unknown, random: Random): JsonValue {
  if (!isObject(schema)) return phrase(random);
  const choices = schema['enum'];
  if (Array.isArray(choices) && choices.length > 0) return pick(choices as JsonValue[], random);
  if ('const' in schema) return schema['const'] as JsonValue;
  const options = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(options) && options.length > 0) {
    return valueFor(
      options.find((o) => !(isObject(o) && o['type'] === 'null')) ?? options[0],
      random,
    );
  }
  switch (typeOf(schema)) {
    case 'object':
      return objectFor(schema, random);
    case 'array':
      return arrayFor(schema, random);
    case 'integer': {
      const [low, high] = bounds(schema, true);
      return between(low, high, random);
    }
    case 'number': {
      const [low, high] = bounds(schema, false);
      return Math.min(high, Math.max(low, Math.round((low + random() * (high - low)) * 100) / 100));
    }
    case 'boolean':
      return random() < 0.5;
    case 'null':
      return null;
    default:
      return stringFor(schema, random);
  }
}

/** JSON as models write it: `{"key": value, ...}` with a space after colons and commas. */
function serialize(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(serialize).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}: ${serialize(item)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** The JSON text for a format, split into tokens. */
export function jsonTokens(format: ResponseFormat, random: Random): string[] {
  const value =
    format.type === 'json_object' ? freeObject(random, 0) : valueFor(format.schema, random);
  return splitTokens(serialize(value));
}

/** A tool call's arguments as a model writes them: JSON that fits the tool's parameters schema. */
export function argumentsFor(schema: unknown, random: Random): string {
  return serialize(valueFor(schema, random));
}
