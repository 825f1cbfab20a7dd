// The knobs every generation takes: GenerationOptions and ResponseFormatInput, with NIM's ranges
// checked here so that an out-of-range value never costs an upstream call.
import { z } from 'zod';
import {
  PARAMETERS,
  type GenerationParams,
  type AnyParameter,
  type ParameterName,
} from '../nim/parameters.ts';
import type { ResponseFormat } from '../nim/params.ts';
import { builder } from './builder.ts';
import { InvalidInputError } from './failures.ts';

export const GenerationOptionsInput = builder.inputType('GenerationOptions', {
  description:
    'Sampling parameters NIM for LLMs accepts. Leave a field out to get the model default named in its description.',
  // Derived from the one parameter table: a parameter is declared there, nowhere else.
  fields: (t) =>
    Object.fromEntries(
      (Object.entries(PARAMETERS) as [ParameterName, AnyParameter][]).map(
        ([name, { kind, description }]) => {
          const field = { description };
          if (kind === 'float') return [name, t.float(field)];
          if (kind === 'int') return [name, t.int(field)];
          if (kind === 'boolean') return [name, t.boolean(field)];
          return [name, kind === 'string' ? t.string(field) : t.stringList(field)];
        },
      ),
    ) as Record<ParameterName, ReturnType<typeof t.float>>,
});

const ResponseFormatTypeEnum = builder.enumType('ResponseFormatType', {
  description: 'What shape the generated text must have.',
  values: {
    TEXT: { description: 'Free text (the default).' },
    JSON_OBJECT: { description: 'A JSON object.' },
    JSON_SCHEMA: { description: 'JSON that conforms to `schema`.' },
    CHOICE: { description: 'Exactly one of `choices` (guided decoding).' },
    REGEX: { description: 'Text that the regular expression `pattern` matches (guided decoding).' },
    GRAMMAR: {
      description: 'Text of the context-free grammar `grammar` (EBNF, guided decoding).',
    },
  },
});

export const ResponseFormatInput = builder.inputType('ResponseFormatInput', {
  description:
    "Structured output. TEXT, JSON_OBJECT and JSON_SCHEMA are sent as `response_format` (the parsed value is in the result's `json` field); CHOICE, REGEX and GRAMMAR as guided decoding, in the form the configured NIM takes (`NIM_API_DIALECT`: top-level `structured_outputs` for NIM 2.x, `nvext.guided_*` for NIM 1.x).",
  fields: (t) => ({
    type: t.field({
      type: ResponseFormatTypeEnum,
      required: true,
      description: 'The shape to produce.',
    }),
    schema: t.field({
      type: 'JSON',
      description: 'JSON_SCHEMA only (and required there): a JSON Schema object.',
    }),
    name: t.string({
      description:
        'JSON_SCHEMA only: a name for the schema, 1 to 64 of a-z A-Z 0-9 _ -. Default "response".',
    }),
    strict: t.boolean({
      description: 'JSON_SCHEMA only: ask the upstream to follow the schema strictly.',
    }),
    choices: t.stringList({
      description: `CHOICE only (and required there): 1 to ${MAX_CHOICES} non-empty strings, the text is one of them.`,
    }),
    pattern: t.string({
      description: `REGEX only (and required there): the regular expression the whole text matches, at most ${MAX_GUIDE_LENGTH} characters.`,
    }),
    grammar: t.string({
      description: `GRAMMAR only (and required there): the grammar (EBNF, with a \`root\` rule), at most ${MAX_GUIDE_LENGTH} characters.`,
    }),
  }),
});

type Nullable<T> = { [K in keyof T]?: T[K] | null };

const optionsSchema = z
  .object(
    Object.fromEntries(
      Object.entries(PARAMETERS).map(([name, parameter]) => [name, parameter.check]),
    ) as { [N in ParameterName]: (typeof PARAMETERS)[N]['check'] },
  )
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
  const params = parsed.data as GenerationParams;
  for (const name of Object.keys(params) as ParameterName[]) {
    const { only }: AnyParameter = PARAMETERS[name];
    if (only !== undefined && only !== kind) {
      throw new InvalidInputError(
        `options.${name}`,
        `options.${name}: only complete and completionStream accept it`,
      );
    }
  }
  if (params.minTokens != null && params.minTokens > maxTokens) {
    throw new InvalidInputError(
      'options.minTokens',
      `options.minTokens: must be at most maxTokens (${maxTokens})`,
    );
  }
  return params;
}

export interface ResponseFormatArg {
  type: 'TEXT' | 'JSON_OBJECT' | 'JSON_SCHEMA' | 'CHOICE' | 'REGEX' | 'GRAMMAR';
  schema?: unknown;
  name?: string | null;
  strict?: boolean | null;
  choices?: readonly string[] | null;
  pattern?: string | null;
  grammar?: string | null;
}

/** Which fields each type takes (and needs, but for `name` and `strict`). */
const FORMAT_FIELDS = {
  TEXT: [],
  JSON_OBJECT: [],
  JSON_SCHEMA: ['schema', 'name', 'strict'],
  CHOICE: ['choices'],
  REGEX: ['pattern'],
  GRAMMAR: ['grammar'],
} as const satisfies Record<ResponseFormatArg['type'], readonly (keyof ResponseFormatArg)[]>;
const ALL_FORMAT_FIELDS = ['schema', 'name', 'strict', 'choices', 'pattern', 'grammar'] as const;

const SCHEMA_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_CHOICES = 256;
const MAX_GUIDE_LENGTH = 16_384;

/** The wire `response_format`, or an InvalidInputError. */
export function readResponseFormat(
  format: ResponseFormatArg | null | undefined,
): ResponseFormat | null {
  if (!format) return null;
  const bad = (field: string, message: string) =>
    new InvalidInputError(`responseFormat.${field}`, `responseFormat.${field}: ${message}`);
  const takes: readonly string[] = FORMAT_FIELDS[format.type];
  for (const field of ALL_FORMAT_FIELDS) {
    if (format[field] != null && !takes.includes(field)) {
      const owner = Object.entries(FORMAT_FIELDS).find(([, f]) =>
        (f as readonly string[]).includes(field),
      )![0];
      throw bad(field, `only ${owner} takes it`);
    }
  }
  if (format.type === 'TEXT') return { type: 'text' };
  if (format.type === 'JSON_OBJECT') return { type: 'json_object' };
  if (format.type === 'CHOICE') {
    const choices = format.choices;
    if (!choices || choices.length === 0) throw bad('choices', 'CHOICE needs at least one choice');
    if (choices.length > MAX_CHOICES) throw bad('choices', `must hold at most ${MAX_CHOICES}`);
    if (choices.some((c) => c === '')) throw bad('choices', 'must not hold an empty string');
    if (new Set(choices).size !== choices.length) throw bad('choices', 'must not repeat a choice');
    return { type: 'choice', choice: [...choices] };
  }
  if (format.type === 'REGEX' || format.type === 'GRAMMAR') {
    const field = format.type === 'REGEX' ? 'pattern' : 'grammar';
    const value = format[field];
    if (value == null || value === '') throw bad(field, `${format.type} needs a ${field}`);
    if (value.length > MAX_GUIDE_LENGTH)
      throw bad(field, `must be at most ${MAX_GUIDE_LENGTH} characters`);
    return format.type === 'REGEX'
      ? { type: 'regex', regex: value }
      : { type: 'grammar', grammar: value };
  }
  const { schema } = format;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw bad('schema', 'JSON_SCHEMA needs a JSON Schema object');
  }
  const name = format.name ?? 'response';
  if (!SCHEMA_NAME.test(name)) throw bad('name', 'must be 1 to 64 characters of a-z A-Z 0-9 _ -');
  const jsonSchema = {
    name,
    schema: schema as Record<string, unknown>,
    ...(format.strict == null ? {} : { strict: format.strict }),
  };
  return { type: 'json_schema', json_schema: jsonSchema };
}

/** The parsed JSON of a generated text when JSON was asked for; null when it is cut or not JSON. */
export function parsedJson(text: string, format: ResponseFormat | null): unknown {
  if (format === null || (format.type !== 'json_object' && format.type !== 'json_schema'))
    return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
