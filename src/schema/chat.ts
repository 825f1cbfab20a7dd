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
  type Formatted,
  type Prepared,
} from './generation.ts';
import { parsedJson } from './options.ts';
import { generationCost } from './cost.ts';

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

const ChatMessageInput = builder.inputType('ChatMessageInput', {
  description: 'One message of the conversation so far.',
  fields: (t) => ({
    role: t.field({ type: ChatRoleEnum, required: true, description: 'Who speaks it.' }),
    content: t.string({ required: true, description: 'What is said.' }),
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
  args: Parameters<typeof prepareGeneration>[1] & {
    messages: readonly { role: RoleName; content: string }[];
  },
): Prepared & { messages: WireMessage[] } {
  if (args.messages.length === 0)
    throw new InvalidInputError('messages', 'messages: must hold at least one message');
  if (args.messages.length > ctx.limits.maxMessages) {
    throw new InvalidInputError(
      'messages',
      `messages: must hold at most ${ctx.limits.maxMessages} messages`,
    );
  }
  const chars = args.messages.reduce((sum, m) => sum + m.content.length, 0);
  const prepared = prepareGeneration(ctx, args, 'chat', { argument: 'messages', chars });
  const messages = args.messages.map((m) => ({
    role: m.role.toLowerCase() as ChatRole,
    content: m.content,
  }));
  return { ...prepared, messages };
}

builder.mutationField('chat', (t) =>
  t.field({
    extensions: generationCost,
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
