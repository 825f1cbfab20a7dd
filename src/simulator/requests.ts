// Validation of completion and chat bodies, with the status, message and param NIM/vLLM use.
import { SimulatorError } from './errors.ts';
import { bad, describe, isObject, optionalBoolean, optionalInteger, type Body } from './fields.ts';
import { readGuided, type Guided } from './guided.ts';
import { readResponseFormat, type ResponseFormat } from './json.ts';
import { contextWindow, type SimulatorModel } from './models.ts';
import { checkMinTokens, readSampling, type ApiVersion, type Sampling } from './sampling.ts';
import { countTokens } from './text.ts';
import { readTools, type ToolsRequest } from './tools.ts';
import { PARAMETER_WIRE_KEYS } from '../nim/parameters.ts';

/** What a request carries besides the sampling parameters of the gateway's one table. */
const REQUEST_KEYS = [
  'model',
  'prompt',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'stream',
  'stream_options',
  'response_format',
  'nvext',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'chat_template_kwargs',
  'reasoning_effort',
  'reasoning_budget',
];
const KNOWN_KEYS = new Set([...REQUEST_KEYS, ...PARAMETER_WIRE_KEYS]);

type Role = 'system' | 'user' | 'assistant' | 'tool';

interface CommonInput {
  model: SimulatorModel;
  /** The model id as requested, echoed in responses. */
  modelId: string;
  maxTokens: number;
  n: number;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
  promptTokens: number;
  sampling: Sampling;
  /** Structured output; null for plain text. */
  responseFormat: ResponseFormat | null;
  /** Guided decoding (a choice, a regex, a grammar); null for none. */
  guided: Guided | null;
}

interface CompletionInput extends CommonInput {
  kind: 'completion';
  prompt: string;
  echo: boolean;
}

interface ChatInput extends CommonInput {
  kind: 'chat';
  messages: { role: Role; content: string; images: number }[];
  tools: ToolsRequest | null;
  /** How many tokens a reasoning model thinks (0: thinking off), as the request's switches say. */
  thinking: { tokens: number };
}

export type GenerationInput = CompletionInput | ChatInput;

export interface ParseOptions {
  apiVersion: ApiVersion;
}

const COMPLETION_DEFAULT_MAX_TOKENS = 16;
const MAX_N = 128;
const ROLES: readonly string[] = ['system', 'user', 'assistant', 'tool'];
/** Chat templates add a few tokens around each message. */
const TOKENS_PER_MESSAGE = 4;

function readStop(body: Body): string[] {
  const value = body['stop'];
  if (value === undefined || value === null) return [];
  const list =
    typeof value === 'string'
      ? [value]
      : Array.isArray(value) && value.every((item): item is string => typeof item === 'string')
        ? value
        : null;
  if (list === null) throw bad('stop must be a string or a list of strings.', 'stop');
  if (list.includes('')) throw bad('stop cannot contain an empty string.', 'stop');
  return list;
}

function readStreamOptions(body: Body, stream: boolean): boolean {
  const value = body['stream_options'];
  if (value === undefined || value === null) return false;
  if (!stream)
    throw bad('Stream options can only be defined when `stream=True`.', 'stream_options');
  if (!isObject(value)) throw bad('stream_options must be an object.', 'stream_options');
  const includeUsage = value['include_usage'];
  if (includeUsage !== undefined && includeUsage !== null && typeof includeUsage !== 'boolean') {
    throw bad('stream_options.include_usage must be a boolean.', 'stream_options');
  }
  return includeUsage === true;
}

function readMessages(body: Body): { role: Role; content: string; images: number }[] {
  const value = body['messages'];
  if (!Array.isArray(value) || value.length === 0)
    throw bad('messages must be a non-empty list of messages.', 'messages');
  return value.map((item: unknown, index) => {
    if (!isObject(item))
      throw bad(`messages[${index}] must be an object with role and content.`, 'messages');
    const { role, content } = item;
    if (typeof role !== 'string' || !ROLES.includes(role)) {
      throw bad(
        `messages[${index}].role must be one of ${ROLES.join(', ')}, got ${describe(role)}.`,
        'messages',
      );
    }
    if (role === 'tool' && typeof item['tool_call_id'] !== 'string')
      throw bad(`messages[${index}]: a tool message needs tool_call_id.`, 'messages');
    const calls = item['tool_calls'];
    if (calls !== undefined && calls !== null) {
      if (role !== 'assistant' || !Array.isArray(calls))
        throw bad(
          `messages[${index}].tool_calls: only an assistant message has a list of them.`,
          'messages',
        );
      calls.forEach((call: unknown, j) => {
        const fn = isObject(call) ? call['function'] : undefined;
        if (
          !isObject(call) ||
          typeof call['id'] !== 'string' ||
          !isObject(fn) ||
          typeof fn['name'] !== 'string' ||
          typeof fn['arguments'] !== 'string'
        )
          throw bad(
            `messages[${index}].tool_calls[${j}] must have an id and a function with name and arguments (a string).`,
            'messages',
          );
      });
      if (content === undefined || content === null)
        return { role: role as Role, content: JSON.stringify(calls), images: 0 };
    }
    if (typeof content === 'string') return { role: role as Role, content, images: 0 };
    if (!Array.isArray(content) || content.length === 0)
      throw bad(
        `messages[${index}].content must be a string or a non-empty list of parts.`,
        'messages',
      );
    // vLLM: text parts are joined; each image is read as IMAGE_TOKENS tokens of the prompt.
    let text = '';
    let images = 0;
    content.forEach((part: unknown, j) => {
      const at = `messages[${index}].content[${j}]`;
      if (!isObject(part)) throw bad(`${at} must be an object.`, 'messages');
      if (part['type'] === 'text' && typeof part['text'] === 'string') text += part['text'];
      else if (part['type'] === 'image_url' && isObject(part['image_url'])) {
        const url = part['image_url']['url'];
        if (typeof url !== 'string' || !/^(data:image\/[a-z]+;base64,|https?:\/\/)/.test(url))
          throw bad(
            `${at}.image_url.url must be a data: URL of an image or an http(s) URL.`,
            'messages',
          );
        images += 1;
      } else throw bad(`${at} must be a text or an image_url part.`, 'messages');
    });
    return { role: role as Role, content: text, images };
  });
}

const EFFORT_TOKENS: Record<string, number> = { low: 4, medium: 12, high: 24 };

/**
 * Every family's switch at once: `chat_template_kwargs.enable_thinking`, a system prompt
 * `detailed thinking off` or `/no_think`, `reasoning_effort`, `reasoning_budget`.
 */
function readThinking(body: Body, messages: { role: Role; content: string }[]): { tokens: number } {
  const kwargs = body['chat_template_kwargs'];
  if (kwargs !== undefined && kwargs !== null && !isObject(kwargs))
    throw bad(
      `chat_template_kwargs must be an object, got ${describe(kwargs)}.`,
      'chat_template_kwargs',
    );
  if (isObject(kwargs) && kwargs['enable_thinking'] === false) return { tokens: 0 };
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n');
  if (/detailed thinking off|\/no_think/.test(system)) return { tokens: 0 };
  const effort = body['reasoning_effort'];
  if (
    effort !== undefined &&
    effort !== null &&
    !(typeof effort === 'string' && effort in EFFORT_TOKENS)
  )
    throw bad(
      `reasoning_effort must be low, medium or high, got ${describe(effort)}.`,
      'reasoning_effort',
    );
  const tokens = EFFORT_TOKENS[(effort as string | undefined) ?? 'medium']!;
  const budget = optionalInteger(body, 'reasoning_budget');
  return { tokens: budget === null ? tokens : Math.min(tokens, budget) };
}

/** What a vision model reads one image as. */
const IMAGE_TOKENS = 256;

function contextError(limit: number, promptTokens: number, maxTokens: number): SimulatorError {
  return bad(
    `This model's maximum context length is ${limit} tokens. However, you requested ${promptTokens + maxTokens} tokens ` +
      `(${promptTokens} in the messages, ${maxTokens} in the completion). ` +
      'Please reduce the length of the messages or completion.',
    null,
  );
}

/** Parses a completion or chat body; throws SimulatorError with NIM's status, message and param. */
export function parseGenerationRequest(
  kind: 'completion' | 'chat',
  body: unknown,
  models: readonly SimulatorModel[],
  options: ParseOptions = { apiVersion: 2 },
): GenerationInput {
  if (!isObject(body)) throw bad('The request body must be a JSON object.', null);
  const fields: Body = body;
  // NIM 1.x (pydantic, extra fields forbidden) refuses a key it does not know; vLLM (2.x) ignores it.
  if (options.apiVersion === 1) {
    const extra = Object.keys(fields).find((key) => !KNOWN_KEYS.has(key));
    if (extra !== undefined) throw bad(`Extra inputs are not permitted: ${extra}`, extra);
  }
  const modelId = fields['model'];
  if (modelId === undefined || modelId === null) throw bad('Field required: model', 'model');
  if (typeof modelId !== 'string')
    throw bad(`model must be a string, got ${describe(modelId)}.`, 'model');

  let prompt = '';
  let messages: { role: Role; content: string; images: number }[] = [];
  if (kind === 'completion') {
    const value = fields['prompt'];
    if (typeof value !== 'string') throw bad('prompt must be a string.', 'prompt');
    if (value === '') throw bad('prompt must not be empty.', 'prompt');
    prompt = value;
  } else {
    messages = readMessages(fields);
  }

  // vLLM takes OpenAI's newer name for chat too; max_tokens wins when both are set.
  const requestedMax =
    optionalInteger(fields, 'max_tokens') ??
    (kind === 'chat' ? optionalInteger(fields, 'max_completion_tokens') : null);
  const maxParam =
    fields['max_tokens'] === undefined || fields['max_tokens'] === null
      ? 'max_completion_tokens'
      : 'max_tokens';
  if (requestedMax !== null && requestedMax < 1)
    throw bad(`max_tokens must be at least 1, got ${requestedMax}.`, maxParam);
  const sampling = readSampling(fields, kind, options.apiVersion);
  const n = optionalInteger(fields, 'n') ?? 1;
  if (n < 1) throw bad(`n must be at least 1, got ${n}.`, 'n');
  if (n > MAX_N) throw bad(`n must be at most ${MAX_N}, got ${n}.`, 'n');
  const stop = readStop(fields);
  const stream = optionalBoolean(fields, 'stream') ?? false;
  const includeUsage = readStreamOptions(fields, stream);
  const echo = kind === 'completion' ? (optionalBoolean(fields, 'echo') ?? false) : false;
  const responseFormat = readResponseFormat(fields);
  const guided = readGuided(fields, options.apiVersion);
  if (guided !== null && responseFormat !== null)
    throw bad(
      'Only one kind of structured output may be requested at a time.',
      'structured_outputs',
    );

  const model = models.find((m) => m.id === modelId);
  if (model === undefined)
    throw new SimulatorError(404, `The model \`${modelId}\` does not exist.`, 'model');
  if (model.kind !== undefined)
    throw bad(
      `The model \`${modelId}\` does not support the ${kind === 'chat' ? 'Chat Completions' : 'Completions'} API.`,
      'model',
    );

  const promptTokens =
    kind === 'completion'
      ? countTokens(prompt)
      : messages.reduce(
          (sum, message) =>
            sum + countTokens(message.content) + message.images * IMAGE_TOKENS + TOKENS_PER_MESSAGE,
          0,
        );
  const limit = contextWindow(model, models);
  let maxTokens: number;
  if (requestedMax !== null) {
    maxTokens = requestedMax;
  } else if (kind === 'completion') {
    maxTokens = COMPLETION_DEFAULT_MAX_TOKENS;
  } else {
    // NIM's chat default is everything left of the context window.
    if (limit !== null && promptTokens >= limit) {
      throw bad(
        `This model's maximum context length is ${limit} tokens. However, your messages resulted in ${promptTokens} tokens. ` +
          'Please reduce the length of the messages.',
        null,
      );
    }
    maxTokens = limit === null ? Number.MAX_SAFE_INTEGER : limit - promptTokens;
  }
  if (limit !== null && promptTokens + maxTokens > limit)
    throw contextError(limit, promptTokens, maxTokens);
  checkMinTokens(sampling, maxTokens);

  const common: CommonInput = {
    model,
    modelId,
    maxTokens,
    n,
    stop,
    stream,
    includeUsage,
    promptTokens,
    sampling,
    responseFormat,
    guided,
  };
  return kind === 'completion'
    ? { ...common, kind, prompt, echo }
    : {
        ...common,
        kind,
        messages,
        tools: readTools(fields),
        thinking: readThinking(fields, messages),
      };
}
