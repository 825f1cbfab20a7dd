import type { ObjectFieldBuilder } from '@pothos/core';
import type { Context } from '../context.ts';
import type { ChatCompletionResponse, ChatMessage as WireMessage, ChatRole } from '../nim/wire.ts';
import { builder, type BuilderTypes } from './builder.ts';
import { GENERATION_FAILURES, InvalidInputError } from './failures.ts';
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

const ChatMessageInput = builder.inputType('ChatMessageInput', {
  description: 'One message of the conversation so far: `content`, or (USER only) `parts`.',
  fields: (t) => ({
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
  content?: string | null;
  parts?:
    readonly { type: 'TEXT' | 'IMAGE'; text?: string | null; imageUrl?: string | null }[] | null;
}

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
    reasoningContent: t.exposeString('reasoning_content', {
      nullable: true,
      description: 'The reasoning of reasoning models, when the upstream separates it.',
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
      c.choices[0]?.message ?? { role: 'assistant', content: '', reasoning_content: null },
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
  messages: arg({
    type: [ChatMessageInput],
    required: true,
    description:
      'The conversation so far, oldest first; at least one message. Total content at most MAX_PROMPT_CHARS characters.',
  }),
});

export function prepareChat(
  ctx: Context,
  args: Parameters<typeof prepareGeneration>[1] & { messages: readonly MessageArg[] },
): Prepared & { messages: WireMessage[] } {
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
    typeof m.content === 'string' ? [] : m.content.filter((p) => p.type === 'image_url'),
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
      (typeof m.content === 'string'
        ? m.content.length
        : m.content.reduce((n, p) => n + (p.type === 'text' ? p.text.length : 0), 0)),
    0,
  );
  const prepared = prepareGeneration(ctx, args, 'chat', { argument: 'messages', chars });
  if (images.length > 0) requireCapability(ctx, prepared.model, 'vision', 'messages');
  return { ...prepared, messages };
}

/** One message in its wire form, its content checked: text, or parts of a USER message. */
function readMessage(ctx: Context, message: MessageArg, at: string): WireMessage {
  const role = message.role.toLowerCase() as ChatRole;
  const { content, parts } = message;
  if ((content == null) === (parts == null))
    throw new InvalidInputError(at, `${at}: give one of content and parts`);
  if (content != null) return { role, content };
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
      types: GENERATION_FAILURES,
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
