import { z } from 'zod';
import type { ChatCompletionResponse, ChatRole } from '../nim/wire.ts';
import { builder } from './builder.ts';
import {
  checkGenerationLimits,
  finishReasonField,
  GenerationRef,
  maxTokensArgSchema,
  modelArgSchema,
} from './generation.ts';
import { toFailure } from './errors.ts';
import { GENERATION_FAILURES } from './failures.ts';

const ROLES = ['SYSTEM', 'USER', 'ASSISTANT', 'TOOL'] as const;

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
      resolve: (m) => {
        const role = m.role.toUpperCase();
        return (ROLES as readonly string[]).includes(role) ? (role as (typeof ROLES)[number]) : 'ASSISTANT';
      },
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
    index: t.exposeInt('index', { description: 'Position of this choice (0 unless several were asked for).' }),
    message: t.field({ type: ChatMessageRef, description: 'The answer.', resolve: (c) => c.message }),
    finishReason: finishReasonField(t),
  }),
});

export const ChatCompletionRef = builder.objectRef<ChatCompletionResponse>('ChatCompletion').implement({
  description: "A chat answer: the model's next message in the conversation.",
  interfaces: [GenerationRef],
  fields: (t) => ({
    // Not `message`: in a ChatResult selection it would clash with GatewayError.message (String!).
    reply: t.field({
      type: ChatMessageRef,
      description: 'The message of the first choice (`choices[0].message`).',
      resolve: (c) => c.choices[0]?.message ?? { role: 'assistant', content: '', reasoning_content: null },
    }),
    choices: t.field({ type: [ChatChoiceRef], description: 'Every choice, by index.', resolve: (c) => c.choices }),
  }),
});

builder.mutationField('chat', (t) =>
  t.field({
    type: ChatCompletionRef,
    description: 'Ask a model for the next message of a conversation (`POST /v1/chat/completions`).',
    errors: { types: GENERATION_FAILURES, union: { name: 'ChatResult', description: 'A ChatCompletion, or why there is none.' } },
    args: {
      model: t.arg.id({ required: true, description: 'Model id from `models`.', validate: modelArgSchema }),
      messages: t.arg({
        type: [ChatMessageInput],
        required: true,
        description: 'The conversation so far, oldest first; at least one message. Total content at most MAX_PROMPT_CHARS characters.',
        validate: z.array(z.unknown()).min(1, 'must hold at least one message'),
      }),
      maxTokens: t.arg.int({
        description: 'Most tokens to generate: 1 to MAX_TOKENS_LIMIT. Default DEFAULT_MAX_TOKENS; a cap is always sent (NIM would otherwise use the whole context window).',
        validate: maxTokensArgSchema,
      }),
    },
    resolve: async (_root, args, ctx) => {
      const model = String(args.model).trim();
      const maxTokens = args.maxTokens ?? ctx.limits.defaultMaxTokens;
      const chars = args.messages.reduce((sum, m) => sum + m.content.length, 0);
      checkGenerationLimits(ctx, maxTokens, chars, 'messages');
      const messages = args.messages.map((m) => ({ role: m.role.toLowerCase() as ChatRole, content: m.content }));
      try {
        return await ctx.models.withModel(model, () =>
          ctx.nim.chat({ model, messages, max_tokens: maxTokens }, ctx.signal),
        );
      } catch (error) {
        throw toFailure(error);
      }
    },
  }),
);
