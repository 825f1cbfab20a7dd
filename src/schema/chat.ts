import type { ObjectFieldBuilder } from '@pothos/core';
import type { Context } from '../context.ts';
import type { ToolsBody } from '../nim/params.ts';
import { thinkingBody, withSystemSwitch } from '../nim/thinking.ts';
import type { ToolCall } from '../nim/tool-calls.ts';
import type {
  ChatCompletionResponse,
  ChatMessage as WireMessage,
  ChatRole,
  ToolWire,
} from '../nim/wire.ts';
import { builder, type BuilderTypes } from './builder.ts';
import { CHAT_FAILURES, InvalidInputError } from './failures.ts';
import {
  finishReasonField,
  generate,
  generationArgs,
  GenerationRef,
  logprobsField,
  prepareGeneration,
  requireCapability,
  type Formatted,
  type Prepared,
} from './generation.ts';
import { parsedJson } from './options.ts';
import { chatCost } from './cost.ts';

const ROLES = ['SYSTEM', 'USER', 'ASSISTANT', 'TOOL'] as const;
type RoleName = (typeof ROLES)[number];

/** A wire role as the enum; unknown roles of generated messages read as ASSISTANT. */
export function toRoleName(role: string): RoleName {
  const name = role.toUpperCase();
  return (ROLES as readonly string[]).includes(name) ? (name as RoleName) : 'ASSISTANT';
}

export const ChatRoleEnum = builder.enumType('ChatRole', {
  description: 'Who speaks a chat message.',
  values: {
    SYSTEM: { description: 'Instructions that frame the conversation.' },
    USER: { description: 'The person talking to the model.' },
    ASSISTANT: { description: 'The model (earlier answers, when continuing a conversation).' },
    TOOL: { description: 'The result of a tool call.' },
  },
});

const ContentPartTypeEnum = builder.enumType('ContentPartType', {
  description: 'What a piece of message content is.',
  values: {
    TEXT: { description: 'Text, in `text`.' },
    IMAGE: { description: 'An image, by URL in `imageUrl`: the model must have `vision`.' },
  },
});

const ContentPartInput = builder.inputType('ContentPartInput', {
  description: 'A piece of a USER message: text, or an image.',
  fields: (t) => ({
    type: t.field({ type: ContentPartTypeEnum, required: true, description: 'What it is.' }),
    text: t.string({ description: 'TEXT only (and required there).' }),
    imageUrl: t.string({
      description:
        'IMAGE only (and required there): `data:image/png|jpeg|webp|gif;base64,…` (at most MAX_IMAGE_BYTES decoded), or an https URL the NIM can reach.',
    }),
  }),
});

const ToolCallInput = builder.inputType('ToolCallInput', {
  description: 'A tool call of an earlier ASSISTANT message, echoed back as the model made it.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The call id (`ToolCall.id`).' }),
    name: t.string({ required: true, description: 'The tool called.' }),
    argumentsText: t.string({
      required: true,
      description: 'Its arguments as the model wrote them (`ToolCall.argumentsText`).',
    }),
  }),
});

const ToolInput = builder.inputType('ToolInput', {
  description: 'A function the model may call.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Its name: 1 to 64 of a-z A-Z 0-9 _ -.' }),
    description: t.string({ description: 'What it does, for the model.' }),
    parameters: t.field({
      type: 'JSON',
      description: 'Its arguments as a JSON Schema object. Default: an object of any properties.',
    }),
  }),
});

const ToolChoiceModeEnum = builder.enumType('ToolChoiceMode', {
  description: 'Whether the model must, may or must not call a tool.',
  values: {
    AUTO: { description: 'The model decides (the default).' },
    NONE: { description: 'No tool call: the tools are not sent.' },
    REQUIRED: { description: 'At least one tool call.' },
    FUNCTION: { description: 'A call of the tool named in `function`.' },
  },
});

const ToolChoiceInput = builder.inputType('ToolChoiceInput', {
  description: 'Which tool calls the model may make.',
  fields: (t) => ({
    mode: t.field({ type: ToolChoiceModeEnum, required: true, description: 'The choice.' }),
    function: t.string({ description: 'FUNCTION only (and required there): the tool to call.' }),
  }),
});

const ReasoningEffortEnum = builder.enumType('ReasoningEffort', {
  description: 'How hard a reasoning model thinks (models whose thinking control is effort).',
  values: {
    LOW: { description: 'Briefly.' },
    MEDIUM: { description: 'The default.' },
    HIGH: { description: 'At length.' },
  },
});

const ThinkingInput = builder.inputType('ThinkingInput', {
  description:
    "A reasoning model's thinking, on or off, with an effort or a budget where the model takes one. Sent in the form the model's family takes (`MODEL_THINKING`): `chat_template_kwargs.enable_thinking`, `reasoning_effort`, or a system-prompt switch.",
  fields: (t) => ({
    enabled: t.boolean({ required: true, description: 'Think before answering.' }),
    effort: t.field({
      type: ReasoningEffortEnum,
      description: 'How hard: only for models whose thinking control is `effort` (gpt-oss).',
    }),
    budgetTokens: t.int({
      description:
        'Most tokens to think, up to maxTokens: only for models whose thinking control is `template`.',
    }),
  }),
});

const ChatMessageInput = builder.inputType('ChatMessageInput', {
  description: 'One message of the conversation so far: `content`, or (USER only) `parts`.',
  fields: (t) => ({
    toolCalls: t.field({
      type: [ToolCallInput],
      description:
        'ASSISTANT messages: the tool calls the model made (then `content` may be left out).',
    }),
    toolCallId: t.string({
      description: 'TOOL messages (and required there): the id of the call this is the result of.',
    }),
    role: t.field({ type: ChatRoleEnum, required: true, description: 'Who speaks it.' }),
    content: t.string({ description: 'What is said, as text. One of `content` and `parts`.' }),
    parts: t.field({
      type: [ContentPartInput],
      description:
        'USER messages: what is said as pieces, text and images (at most MAX_IMAGES images per chat). One of `content` and `parts`.',
    }),
  }),
});

interface MessageArg {
  role: RoleName;
  toolCalls?: readonly { id: string | number; name: string; argumentsText: string }[] | null;
  toolCallId?: string | null;
  content?: string | null;
  parts?:
    readonly { type: 'TEXT' | 'IMAGE'; text?: string | null; imageUrl?: string | null }[] | null;
}

const ToolCallRef = builder.objectRef<ToolCall>('ToolCall').implement({
  description: "A call of one of the request's tools, as the model made it.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Its id: a TOOL message answers it by `toolCallId`.' }),
    name: t.exposeString('name', { description: 'The tool called.' }),
    arguments: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The arguments, parsed; null when they are not JSON (`complete` is false).',
      resolve: (c) => c.arguments,
    }),
    argumentsText: t.exposeString('argumentsText', {
      description: 'The arguments as the model wrote them (echo them back as they are).',
    }),
    complete: t.exposeBoolean('complete', {
      description:
        'Whether the arguments are whole JSON: false for a call cut by maxTokens (the finish reason is then LENGTH).',
    }),
  }),
});

type ChatChoice = ChatCompletionResponse['choices'][number];
type ChatMessage = ChatChoice['message'];

const ChatMessageRef = builder.objectRef<ChatMessage>('ChatMessage').implement({
  description: 'A message the model produced.',
  fields: (t) => ({
    role: t.field({
      type: ChatRoleEnum,
      description: 'Who speaks it (ASSISTANT for generated messages).',
      resolve: (m) => toRoleName(m.role),
    }),
    content: t.string({ description: 'The text of the message.', resolve: (m) => m.content ?? '' }),
    toolCalls: t.field({
      type: [ToolCallRef],
      description:
        'The tools the model calls (finish reason TOOL_CALLS); empty for a text answer. Run them and send each result back as a TOOL message with its `toolCallId`.',
      resolve: (m) => m.tool_calls,
    }),
    reasoning: t.exposeString('reasoning_content', {
      nullable: true,
      description:
        'What a reasoning model thought before it answered, kept apart from `content`: read from `reasoning`, `reasoning_content` or an inline `<think>…</think>`, whichever the upstream writes. Null when there is none.',
    }),
    reasoningContent: t.exposeString('reasoning_content', {
      nullable: true,
      deprecationReason: 'Use `reasoning`: the same text.',
      description: 'The reasoning of reasoning models (as `reasoning`).',
    }),
  }),
});

const ChatChoiceRef = builder.objectRef<ChatChoice>('ChatChoice').implement({
  description: 'One generated alternative answer.',
  fields: (t) => ({
    index: t.exposeInt('index', {
      description: 'Position of this choice (0 unless several were asked for).',
    }),
    message: t.field({
      type: ChatMessageRef,
      description: 'The answer.',
      resolve: (c) => c.message,
    }),
    finishReason: finishReasonField(t),
    logprobs: logprobsField(t),
  }),
});

export type ChatResult = Formatted<ChatCompletionResponse>;

/** The fields a ChatCompletion and the end of a chat stream (ChatDone) share. */
export const chatFields = (t: ObjectFieldBuilder<BuilderTypes, ChatResult>) => ({
  // Not `message`: in a ChatResult selection it would clash with GatewayError.message (String!).
  reply: t.field({
    type: ChatMessageRef,
    description: 'The message of the first choice (`choices[0].message`).',
    resolve: (c) =>
      c.choices[0]?.message ?? {
        role: 'assistant',
        content: '',
        reasoning_content: null,
        tool_calls: [],
      },
  }),
  json: t.field({
    type: 'JSON',
    nullable: true,
    description:
      "With a JSON responseFormat: the reply's content parsed; null when it is not valid JSON (e.g. cut by LENGTH).",
    resolve: (c) => parsedJson(c.choices[0]?.message.content ?? '', c.responseFormat),
  }),
  choices: t.field({
    type: [ChatChoiceRef],
    description: 'Every choice, by index.',
    resolve: (c) => c.choices,
  }),
});

const ChatCompletionRef = builder.objectRef<ChatResult>('ChatCompletion').implement({
  description: "A chat answer: the model's next message in the conversation.",
  interfaces: [GenerationRef],
  fields: chatFields,
});

export const chatArgs = (arg: Parameters<typeof generationArgs>[0]) => ({
  ...generationArgs(arg),
  tools: arg({
    type: [ToolInput],
    description: `Functions the model may call (at most ${MAX_TOOLS}); the model must have \`tools\`.`,
  }),
  toolChoice: arg({
    type: ToolChoiceInput,
    description: 'Whether the model must, may or must not call a tool. Default AUTO.',
  }),
  thinking: arg({
    type: ThinkingInput,
    description: "Turn a reasoning model's thinking on or off (the model must have `reasoning`).",
  }),
  parallelToolCalls: arg.boolean({
    description:
      'Whether the model may call several tools in one answer (true needs `parallelToolCalls`). Default: the upstream default.',
  }),
  messages: arg({
    type: [ChatMessageInput],
    required: true,
    description:
      'The conversation so far, oldest first; at least one message. Total content at most MAX_PROMPT_CHARS characters.',
  }),
});

export function prepareChat(
  ctx: Context,
  args: Parameters<typeof prepareGeneration>[1] & {
    messages: readonly MessageArg[];
    tools?: readonly ToolArg[] | null;
    toolChoice?: {
      mode: 'AUTO' | 'NONE' | 'REQUIRED' | 'FUNCTION';
      function?: string | null;
    } | null;
    parallelToolCalls?: boolean | null;
    thinking?: {
      enabled: boolean;
      effort?: 'LOW' | 'MEDIUM' | 'HIGH' | null;
      budgetTokens?: number | null;
    } | null;
  },
): Prepared & { messages: WireMessage[]; tools: ToolsBody | null; extra: Record<string, unknown> } {
  if (args.messages.length === 0)
    throw new InvalidInputError('messages', 'messages: must hold at least one message');
  if (args.messages.length > ctx.limits.maxMessages) {
    throw new InvalidInputError(
      'messages',
      `messages: must hold at most ${ctx.limits.maxMessages} messages`,
    );
  }
  const messages = args.messages.map((m, i) => readMessage(ctx, m, `messages[${i}]`));
  const images = messages.flatMap((m) =>
    Array.isArray(m.content) ? m.content.filter((p) => p.type === 'image_url') : [],
  );
  if (images.length > ctx.limits.maxImages) {
    throw new InvalidInputError(
      'messages',
      `messages: must hold at most ${ctx.limits.maxImages} images, got ${images.length}`,
    );
  }
  const chars = messages.reduce(
    (sum, m) =>
      sum +
      (Array.isArray(m.content)
        ? m.content.reduce((n, p) => n + (p.type === 'text' ? p.text.length : 0), 0)
        : (m.content?.length ?? 0)) +
      (m.tool_calls ?? []).reduce((n, c) => n + c.function.arguments.length, 0),
    0,
  );
  const prepared = prepareGeneration(ctx, args, 'chat', { argument: 'messages', chars }, chatCost);
  if (images.length > 0) requireCapability(ctx, prepared.model, 'vision', 'messages');
  const tools = readTools(ctx, prepared, args);
  if (args.thinking == null) return { ...prepared, messages, tools, extra: {} };
  requireCapability(ctx, prepared.model, 'reasoning', 'thinking');
  const { enabled, effort, budgetTokens } = args.thinking;
  if (budgetTokens != null && (budgetTokens < 1 || budgetTokens > prepared.maxTokens))
    throw new InvalidInputError(
      'thinking.budgetTokens',
      `thinking.budgetTokens: must be 1 to maxTokens (${prepared.maxTokens})`,
    );
  const { control } = ctx.thinking.of(prepared.model);
  const body = thinkingBody(control, {
    enabled,
    effort: effort == null ? null : (effort.toLowerCase() as 'low' | 'medium' | 'high'),
    budgetTokens: budgetTokens ?? null,
  });
  if (!body.ok)
    throw new InvalidInputError(
      `thinking.${body.field}`,
      `thinking.${body.field}: ${body.problem}`,
    );
  return {
    ...prepared,
    messages: body.system === null ? messages : withSystemSwitch(messages, body.system),
    tools,
    extra: body.fields,
  };
}

interface ToolArg {
  name: string;
  description?: string | null;
  parameters?: unknown;
}

const MAX_TOOLS = 128;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** The tools to send, checked; null when none go out (none given, or toolChoice NONE). */
function readTools(
  ctx: Context,
  prepared: Prepared,
  args: Parameters<typeof prepareChat>[1],
): ToolsBody | null {
  const { tools, toolChoice, parallelToolCalls } = args;
  const wrong = (argument: string, why: string) =>
    new InvalidInputError(argument, `${argument}: ${why}`);
  if (tools == null || tools.length === 0) {
    if (toolChoice != null && toolChoice.mode !== 'NONE') throw wrong('toolChoice', 'needs tools');
    if (parallelToolCalls != null) throw wrong('parallelToolCalls', 'needs tools');
    return null;
  }
  if (tools.length > MAX_TOOLS) throw wrong('tools', `must hold at most ${MAX_TOOLS} tools`);
  const names = new Set<string>();
  const wire = tools.map((tool, i): ToolWire => {
    if (!TOOL_NAME.test(tool.name))
      throw wrong(`tools[${i}].name`, 'must be 1 to 64 characters of a-z A-Z 0-9 _ -');
    if (names.has(tool.name)) throw wrong(`tools[${i}].name`, `${tool.name} is given twice`);
    names.add(tool.name);
    const { parameters } = tool;
    if (parameters != null && (typeof parameters !== 'object' || Array.isArray(parameters)))
      throw wrong(`tools[${i}].parameters`, 'must be a JSON Schema object');
    return {
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description == null ? {} : { description: tool.description }),
        parameters: (parameters as Record<string, unknown> | null) ?? { type: 'object' },
      },
    };
  });
  const mode = toolChoice?.mode ?? 'AUTO';
  if (mode !== 'FUNCTION' && toolChoice?.function != null)
    throw wrong('toolChoice.function', 'only FUNCTION takes it');
  if (mode === 'FUNCTION' && (toolChoice?.function == null || !names.has(toolChoice.function)))
    throw wrong('toolChoice.function', 'FUNCTION needs the name of one of the tools');
  // NVIDIA's advice: leave the tools out rather than send tool_choice none (they cost prompt tokens).
  if (mode === 'NONE') return null;
  // A JSON or guided format's grammar keeps the model from writing a tool call: tools would never fire.
  if (prepared.responseFormat !== null && prepared.responseFormat.type !== 'text')
    throw wrong(
      'responseFormat',
      'a structured responseFormat keeps tools from ever being called; leave it out, or set toolChoice NONE',
    );
  requireCapability(ctx, prepared.model, 'tools', 'tools');
  if (parallelToolCalls === true)
    requireCapability(ctx, prepared.model, 'parallelToolCalls', 'parallelToolCalls');
  return {
    tools: wire,
    ...(toolChoice == null
      ? {}
      : {
          tool_choice:
            mode === 'FUNCTION'
              ? { type: 'function' as const, function: { name: toolChoice.function! } }
              : mode === 'REQUIRED'
                ? ('required' as const)
                : ('auto' as const),
        }),
    ...(parallelToolCalls == null ? {} : { parallel_tool_calls: parallelToolCalls }),
  };
}

/** One message in its wire form, its content checked: text, or parts of a USER message. */
function readMessage(ctx: Context, message: MessageArg, at: string): WireMessage {
  const role = message.role.toLowerCase() as ChatRole;
  const { content, parts, toolCalls, toolCallId } = message;
  if (toolCalls != null && message.role !== 'ASSISTANT')
    throw new InvalidInputError(
      `${at}.toolCalls`,
      `${at}.toolCalls: only ASSISTANT messages take them`,
    );
  if ((toolCallId != null) !== (message.role === 'TOOL'))
    throw new InvalidInputError(
      `${at}.toolCallId`,
      message.role === 'TOOL'
        ? `${at}.toolCallId: a TOOL message needs the id of its call`
        : `${at}.toolCallId: only TOOL messages take it`,
    );
  if (toolCalls != null) {
    if (toolCalls.length === 0)
      throw new InvalidInputError(
        `${at}.toolCalls`,
        `${at}.toolCalls: must hold at least one call`,
      );
    if (parts != null) throw new InvalidInputError(at, `${at}: give one of content and parts`);
    return {
      role,
      content: content ?? null,
      tool_calls: toolCalls.map((call) => ({
        id: String(call.id),
        type: 'function',
        function: { name: call.name, arguments: call.argumentsText },
      })),
    };
  }
  if ((content == null) === (parts == null))
    throw new InvalidInputError(at, `${at}: give one of content and parts`);
  if (content != null)
    return toolCallId != null ? { role, content, tool_call_id: toolCallId } : { role, content };
  if (message.role !== 'USER')
    throw new InvalidInputError(`${at}.parts`, `${at}.parts: only USER messages take parts`);
  if (parts!.length === 0)
    throw new InvalidInputError(`${at}.parts`, `${at}.parts: must hold at least one part`);
  return {
    role,
    content: parts!.map((part, j) => {
      const where = `${at}.parts[${j}]`;
      const wrong = (field: string, why: string) =>
        new InvalidInputError(`${where}.${field}`, `${where}.${field}: ${why}`);
      if (part.type === 'TEXT') {
        if (part.imageUrl != null) throw wrong('imageUrl', 'only IMAGE takes it');
        if (part.text == null) throw wrong('text', 'TEXT needs a text');
        return { type: 'text', text: part.text };
      }
      if (part.text != null) throw wrong('text', 'only TEXT takes it');
      if (part.imageUrl == null) throw wrong('imageUrl', 'IMAGE needs an imageUrl');
      const problem = imageUrlProblem(part.imageUrl, ctx.limits.maxImageBytes);
      if (problem !== null) throw wrong('imageUrl', problem);
      return { type: 'image_url', image_url: { url: part.imageUrl } };
    }),
  };
}

const IMAGE_DATA_URL = /^data:image\/(png|jpeg|webp|gif);base64,([A-Za-z0-9+/]*={0,2})$/;

/** Why an image URL cannot be sent, or null: a base64 data URL of an image, or https. */
function imageUrlProblem(url: string, maxBytes: number): string | null {
  if (url.startsWith('data:')) {
    const match = IMAGE_DATA_URL.exec(url);
    if (!match || match[2]!.length % 4 !== 0 || match[2] === '')
      return 'a data URL must be data:image/png|jpeg|webp|gif;base64,<base64>';
    const padding = match[2]!.endsWith('==') ? 2 : match[2]!.endsWith('=') ? 1 : 0;
    const bytes = (match[2]!.length / 4) * 3 - padding;
    if (bytes > maxBytes)
      return `the image is ${bytes} bytes, more than MAX_IMAGE_BYTES (${maxBytes})`;
    return null;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be a data: URL or an https URL';
  }
  if (parsed.protocol !== 'https:') return 'must be a data: URL or an https URL';
  if (parsed.username !== '' || parsed.password !== '')
    return 'must not carry credentials in the URL';
  return null;
}

builder.mutationField('chat', (t) =>
  t.field({
    extensions: chatCost,
    type: ChatCompletionRef,
    description:
      'Ask a model for the next message of a conversation (`POST /v1/chat/completions`).',
    errors: {
      types: CHAT_FAILURES,
      union: { name: 'ChatResult', description: 'A ChatCompletion, or why there is none.' },
    },
    args: chatArgs(t.arg),
    resolve: (_root, args, ctx) =>
      generate(
        ctx,
        () => prepareChat(ctx, args),
        (input) => ctx.nim.chat(input, ctx.upstream),
      ),
  }),
);
