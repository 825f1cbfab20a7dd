// The knobs every generation takes: GenerationOptions and ResponseFormatInput, with NIM's ranges
// checked here so that an out-of-range value never costs an upstream call.
import { z } from 'zod';
import type { GenerationParams, ResponseFormat } from '../nim/params.ts';
import { builder } from './builder.ts';
import { InvalidInputError } from './failures.ts';

export const GenerationOptionsInput = builder.inputType('GenerationOptions', {
  description:
    'Sampling parameters NIM for LLMs accepts. Leave a field out to get the model default named in its description.',
  fields: (t) => ({
    temperature: t.float({ description: 'Randomness, 0 to 2; 0 is greedy (always the likeliest token). Default 1.' }),
    topP: t.float({ description: 'Nucleus sampling: keep the likeliest tokens up to this total probability, above 0 up to 1. Default 1.' }),
    n: t.int({ description: 'How many choices to generate, 1 to 128. Default 1. Each costs up to maxTokens.' }),
    stop: t.stringList({ description: 'Up to 16 non-empty strings that end the generation; the stop string itself is not returned. Default none.' }),
    seed: t.int({ description: 'Seed for best-effort reproducible sampling. Default random.' }),
    frequencyPenalty: t.float({ description: 'Penalise tokens by how often they already appeared, -2 to 2. Default 0.' }),
    presencePenalty: t.float({ description: 'Penalise tokens that already appeared at all, -2 to 2. Default 0.' }),
    logprobs: t.int({
      description:
        'Return the log-probability of each generated token with this many likeliest alternatives, 0 to 20 (NIM 1.x: at most 5). Default off.',
    }),
    echo: t.boolean({ description: 'complete and completionStream only: put the prompt in front of the text. Default false.' }),
    user: t.string({ description: 'An end-user id passed to the upstream for its logs, at most 256 characters. No effect on the output.' }),
    topK: t.int({ description: 'Sample only from the K likeliest tokens: -1 (off) or at least 1. Default -1. A NIM extension.' }),
    repetitionPenalty: t.float({ description: 'Penalise repeated tokens: above 0 up to 2; 1 is none. Default 1. A NIM extension.' }),
    ignoreEos: t.boolean({ description: 'Keep generating past the end-of-sequence token up to maxTokens. Default false. A NIM extension.' }),
    minTokens: t.int({ description: 'Generate at least this many tokens before a stop may end it, 0 up to maxTokens. Default 0. A NIM extension.' }),
    minP: t.float({ description: 'Drop tokens less likely than this fraction of the likeliest one, 0 to 1. Default 0 (off). A NIM extension.' }),
  }),
});

export const ResponseFormatTypeEnum = builder.enumType('ResponseFormatType', {
  description: 'What shape the generated text must have.',
  values: {
    TEXT: { description: 'Free text (the default).' },
    JSON_OBJECT: { description: 'A JSON object.' },
    JSON_SCHEMA: { description: 'JSON that conforms to `schema`.' },
  },
});

export const ResponseFormatInput = builder.inputType('ResponseFormatInput', {
  description: 'Structured output, sent as `response_format`. The parsed value is in the result\'s `json` field.',
  fields: (t) => ({
    type: t.field({ type: ResponseFormatTypeEnum, required: true, description: 'The shape to produce.' }),
    schema: t.field({ type: 'JSON', description: 'JSON_SCHEMA only (and required there): a JSON Schema object.' }),
    name: t.string({ description: 'JSON_SCHEMA only: a name for the schema, 1 to 64 of a-z A-Z 0-9 _ -. Default "response".' }),
    strict: t.boolean({ description: 'JSON_SCHEMA only: ask the upstream to follow the schema strictly.' }),
  }),
});

type Nullable<T> = { [K in keyof T]?: T[K] | null };

const between = (min: number, max: number) => z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const int = (min: number, max: number) => z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const optionsSchema = z
  .object({
    temperature: between(0, 2),
    topP: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1'),
    n: int(1, 128),
    stop: z.array(z.string().min(1, 'must not hold an empty string')).max(16, 'must hold at most 16 strings'),
    seed: z.number().int(),
    frequencyPenalty: between(-2, 2),
    presencePenalty: between(-2, 2),
    logprobs: int(0, 20),
    echo: z.boolean(),
    user: z.string().max(256, 'must be at most 256 characters'),
    topK: z.number().int().refine((k) => k === -1 || k >= 1, 'must be -1 (off) or at least 1'),
    repetitionPenalty: z.number().gt(0, 'must be above 0').max(2, 'must be at most 2'),
    ignoreEos: z.boolean(),
    minTokens: z.number().int().min(0, 'must be at least 0'),
    minP: between(0, 1),
  })
  .partial();

/** The options as given (nulls dropped), or an InvalidInputError that names the field. */
export function readOptions(
  options: Nullable<z.input<typeof optionsSchema>> | null | undefined,
  kind: 'completion' | 'chat',
  maxTokens: number,
): GenerationParams {
  if (!options) return {};
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v != null));
  const parsed = optionsSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const argument = `options.${issue.path.join('.').replace(/\.\d+$/, '')}`;
    throw new InvalidInputError(argument, `${argument}: ${issue.message}`);
  }
  const params = parsed.data;
  if (kind === 'chat' && params.echo !== undefined) {
    throw new InvalidInputError('options.echo', 'options.echo: only complete and completionStream accept it');
  }
  if (params.minTokens !== undefined && params.minTokens > maxTokens) {
    throw new InvalidInputError('options.minTokens', `options.minTokens: must be at most maxTokens (${maxTokens})`);
  }
  return params;
}

export interface ResponseFormatArg {
  type: 'TEXT' | 'JSON_OBJECT' | 'JSON_SCHEMA';
  schema?: unknown;
  name?: string | null;
  strict?: boolean | null;
}

const SCHEMA_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The wire `response_format`, or an InvalidInputError. */
export function readResponseFormat(format: ResponseFormatArg | null | undefined): ResponseFormat | null {
  if (!format) return null;
  const bad = (field: string, message: string) => new InvalidInputError(`responseFormat.${field}`, `responseFormat.${field}: ${message}`);
  if (format.type !== 'JSON_SCHEMA') {
    for (const field of ['schema', 'name', 'strict'] as const) {
      if (format[field] != null) throw bad(field, 'only JSON_SCHEMA takes it');
    }
    return { type: format.type === 'TEXT' ? 'text' : 'json_object' };
  }
  const { schema } = format;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw bad('schema', 'JSON_SCHEMA needs a JSON Schema object');
  }
  const name = format.name ?? 'response';
  if (!SCHEMA_NAME.test(name)) throw bad('name', 'must be 1 to 64 characters of a-z A-Z 0-9 _ -');
  const jsonSchema = { name, schema: schema as Record<string, unknown>, ...(format.strict == null ? {} : { strict: format.strict }) };
  return { type: 'json_schema', json_schema: jsonSchema };
}

/** The parsed JSON of a generated text when JSON was asked for; null when it is cut or not JSON. */
export function parsedJson(text: string, format: ResponseFormat | null): unknown {
  if (format === null || format.type === 'text') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
