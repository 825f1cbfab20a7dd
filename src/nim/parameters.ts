// The one table of generation parameters: each declared once with its type, range, default (in its
// description), an example, and where it goes on the wire per endpoint and dialect. The GraphQL
// input (schema/options.ts), its validation, the wire body (params.ts) and the simulator's list of
// the keys it reads all derive from it; test/integration/parameter-table.test.ts fails when a
// declared parameter is not sent, or a sent key is not declared.
import { z } from 'zod';

/** GraphQL input field kinds. */
export type ParameterKind = 'float' | 'int' | 'boolean' | 'string' | 'strings';

interface KindValue {
  float: number;
  int: number;
  boolean: boolean;
  string: string;
  strings: readonly string[];
}

export interface ParameterSpec<K extends ParameterKind = ParameterKind> {
  kind: K;
  /** For people (GraphQL descriptions): the range and the upstream's default. */
  description: string;
  /** The range, checked before any upstream call; messages finish "options.<name>: …". */
  check: z.ZodType<KindValue[K]>;
  /** A valid value (tests send every parameter with it). */
  example: KindValue[K];
  /** The wire key, the same for completions and chat. */
  wire: string;
  /** NIM 1.x takes it inside `nvext`; NIM 2.x (vLLM) only at the top level. */
  extension?: true;
  /** Only these endpoints take it (default: both). */
  only?: 'completion';
  /** Chat asks for it in another shape than the wire key alone. */
  chatWire?: (value: KindValue[K]) => Record<string, unknown>;
}

/** Any parameter of the table, its value's type left open. */
export interface AnyParameter {
  kind: ParameterKind;
  description: string;
  check: z.ZodType;
  example: unknown;
  wire: string;
  extension?: true;
  only?: 'completion';
  chatWire?: (value: never) => Record<string, unknown>;
}

const between = (min: number, max: number) =>
  z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const int = (min: number, max: number) =>
  z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const spec = <K extends ParameterKind>(s: ParameterSpec<K>): ParameterSpec<K> => s;

export const PARAMETERS = {
  temperature: spec({
    kind: 'float',
    wire: 'temperature',
    check: between(0, 2),
    example: 0.7,
    description: 'Randomness, 0 to 2; 0 is greedy (always the likeliest token). Default 1.',
  }),
  topP: spec({
    kind: 'float',
    wire: 'top_p',
    check: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1'),
    example: 0.9,
    description:
      'Nucleus sampling: keep the likeliest tokens up to this total probability, above 0 up to 1. Default 1.',
  }),
  n: spec({
    kind: 'int',
    wire: 'n',
    check: int(1, 128),
    example: 2,
    description: 'How many choices to generate, 1 to 128. Default 1. Each costs up to maxTokens.',
  }),
  stop: spec({
    kind: 'strings',
    wire: 'stop',
    example: ['\n\n', 'END'],
    check: z
      .array(z.string().min(1, 'must not hold an empty string'))
      .max(16, 'must hold at most 16 strings'),
    description:
      'Up to 16 non-empty strings that end the generation; the stop string itself is not returned. Default none.',
  }),
  seed: spec({
    kind: 'int',
    wire: 'seed',
    check: z.number().int(),
    example: 42,
    description: 'Seed for best-effort reproducible sampling. Default random.',
  }),
  frequencyPenalty: spec({
    kind: 'float',
    wire: 'frequency_penalty',
    check: between(-2, 2),
    example: 0.5,
    description: 'Penalise tokens by how often they already appeared, -2 to 2. Default 0.',
  }),
  presencePenalty: spec({
    kind: 'float',
    wire: 'presence_penalty',
    check: between(-2, 2),
    example: -0.5,
    description: 'Penalise tokens that already appeared at all, -2 to 2. Default 0.',
  }),
  logprobs: spec({
    kind: 'int',
    wire: 'logprobs',
    check: int(0, 20),
    example: 2,
    // Chat asks with a boolean plus a separate count of alternatives.
    chatWire: (value) => ({ logprobs: true, top_logprobs: value }),
    description:
      'Return the log-probability of each generated token with this many likeliest alternatives, 0 to 20 (NIM 1.x: at most 5). Default off.',
  }),
  echo: spec({
    kind: 'boolean',
    wire: 'echo',
    check: z.boolean(),
    example: true,
    only: 'completion',
    description:
      'complete and completionStream only: put the prompt in front of the text. Default false.',
  }),
  user: spec({
    kind: 'string',
    wire: 'user',
    check: z.string().max(256, 'must be at most 256 characters'),
    example: 'user-17',
    description:
      'An end-user id passed to the upstream for its logs, at most 256 characters. No effect on the output.',
  }),
  topK: spec({
    kind: 'int',
    wire: 'top_k',
    extension: true,
    example: 40,
    check: z
      .number()
      .int()
      .refine((k) => k === -1 || k >= 1, 'must be -1 (off) or at least 1'),
    description:
      'Sample only from the K likeliest tokens: -1 (off) or at least 1. Default -1. A NIM extension.',
  }),
  repetitionPenalty: spec({
    kind: 'float',
    wire: 'repetition_penalty',
    extension: true,
    example: 1.1,
    check: z.number().gt(0, 'must be above 0').max(2, 'must be at most 2'),
    description:
      'Penalise repeated tokens: above 0 up to 2; 1 is none. Default 1. A NIM extension.',
  }),
  ignoreEos: spec({
    kind: 'boolean',
    wire: 'ignore_eos',
    extension: true,
    check: z.boolean(),
    example: false,
    description:
      'Keep generating past the end-of-sequence token up to maxTokens. Default false. A NIM extension.',
  }),
  minTokens: spec({
    kind: 'int',
    wire: 'min_tokens',
    check: z.number().int().min(0, 'must be at least 0'),
    example: 2,
    description:
      'Generate at least this many tokens before a stop may end it, 0 up to maxTokens. Default 0. A NIM extension.',
  }),
  minP: spec({
    kind: 'float',
    wire: 'min_p',
    check: between(0, 1),
    example: 0.05,
    description:
      'Drop tokens less likely than this fraction of the likeliest one, 0 to 1. Default 0 (off). A NIM extension.',
  }),
} as const;

export type ParameterName = keyof typeof PARAMETERS;

/** Every sampling knob NIM for LLMs accepts; unset ones are not sent, so NIM's defaults apply. */
export type GenerationParams = {
  -readonly [N in ParameterName]?: (typeof PARAMETERS)[N] extends ParameterSpec<infer K>
    ? KindValue[K] | null
    : never;
};

export type Endpoint = 'completion' | 'chat';
/** Where NIM's sampling extensions go: top level (NIM 2.x, vLLM) or inside `nvext` (NIM 1.x). */
export const NIM_DIALECTS = ['top-level', 'nvext'] as const;
export type NimDialect = (typeof NIM_DIALECTS)[number];

/** The wire keys of the set parameters, for one endpoint and dialect. */
export function samplingBody(
  params: GenerationParams,
  endpoint: Endpoint,
  dialect: NimDialect,
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const extensions: Record<string, unknown> = {};
  for (const name of Object.keys(PARAMETERS) as ParameterName[]) {
    const value = params[name];
    if (value == null) continue;
    const parameter: AnyParameter = PARAMETERS[name];
    if (parameter.only !== undefined && parameter.only !== endpoint) continue;
    if (endpoint === 'chat' && parameter.chatWire)
      Object.assign(body, parameter.chatWire(value as never));
    else (parameter.extension ? extensions : body)[parameter.wire] = value;
  }
  if (dialect === 'nvext') {
    if (Object.keys(extensions).length > 0) body.nvext = extensions;
  } else {
    Object.assign(body, extensions);
  }
  return body;
}

/** Every wire key a parameter can be sent as (the simulator reads exactly these). */
export const PARAMETER_WIRE_KEYS: readonly string[] = [
  ...new Set(
    Object.values(PARAMETERS as Record<string, AnyParameter>).flatMap((p) =>
      p.chatWire ? [p.wire, ...Object.keys(p.chatWire(p.example as never))] : [p.wire],
    ),
  ),
];
