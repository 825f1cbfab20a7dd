/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** One message of the conversation so far. */
export type ChatMessageInput = {
  /** What is said. */
  content: string;
  /** Who speaks it. */
  role: ChatRole;
};

/** Who speaks a chat message. */
export type ChatRole =
  /** The model (earlier answers, when continuing a conversation). */
  | 'ASSISTANT'
  /** Instructions that frame the conversation. */
  | 'SYSTEM'
  /** The result of a tool call. */
  | 'TOOL'
  /** The person talking to the model. */
  | 'USER';

/** Stable error codes: in `GatewayError.code` for mutations, in `extensions.code` for queries. */
export type ErrorCode =
  /** An argument is invalid; `argument` names it. Fix the request, do not retry it as is. */
  | 'BAD_USER_INPUT'
  /** Prompt plus maxTokens is longer than the model's context window. */
  | 'CONTEXT_LENGTH_EXCEEDED'
  /** The model id is not served by NIM Proxy (after refreshing the model list). */
  | 'MODEL_NOT_FOUND'
  /** Too many requests; retry after `retryAfterSeconds` when given. */
  | 'RATE_LIMITED'
  /** NIM Proxy failed or answered something unexpected; `upstreamStatus` has its HTTP status. */
  | 'UPSTREAM_ERROR'
  /** NIM Proxy did not answer in time; `phase` says which timeout fired. */
  | 'UPSTREAM_TIMEOUT'
  /** NIM Proxy or the model deployment is unreachable or overloaded; safe to retry later. */
  | 'UPSTREAM_UNAVAILABLE';

/** Why generation stopped. */
export type FinishReason =
  /** The upstream aborted the generation. */
  | 'ABORT'
  /** maxTokens or the context window was reached: the text is cut. */
  | 'LENGTH'
  /** A reason this gateway does not know; see the upstream logs. */
  | 'OTHER'
  /** The model ended its answer or hit a stop sequence. */
  | 'STOP'
  /** The model asked to call a tool. */
  | 'TOOL_CALLS';

/** Which upstream timeout fired. */
export type TimeoutPhase =
  /** Waiting between two pieces of the response body (UPSTREAM_BODY_TIMEOUT_MS). */
  | 'BODY'
  /** Opening the connection to NIM Proxy (UPSTREAM_CONNECT_TIMEOUT_MS). */
  | 'CONNECT'
  /** Waiting for the response headers (UPSTREAM_HEADERS_TIMEOUT_MS). */
  | 'HEADERS'
  /** The whole call (UPSTREAM_TOTAL_TIMEOUT_MS). */
  | 'TOTAL';

export type ChatMutationVariables = Exact<{
  model: string | number;
  messages: Array<ChatMessageInput> | ChatMessageInput;
  maxTokens?: number | null | undefined;
}>;


export type ChatMutation = { chat:
    | { __typename: 'ChatCompletion', id: string, reply: { role: ChatRole, content: string }, choices: Array<{ index: number, finishReason: FinishReason | null }>, usage: { promptTokens: number, completionTokens: number, totalTokens: number } | null }
    | { __typename: 'ContextLengthExceededError', code: ErrorCode, message: string }
    | { __typename: 'InvalidInputError', code: ErrorCode, message: string, argument: string | null }
    | { __typename: 'ModelNotFoundError', code: ErrorCode, message: string, availableModels: Array<string> }
    | { __typename: 'RateLimitedError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamTimeoutError', code: ErrorCode, message: string }
   };

export type CompleteMutationVariables = Exact<{
  model: string | number;
  prompt: string;
  maxTokens?: number | null | undefined;
}>;


export type CompleteMutation = { complete:
    | { __typename: 'Completion', id: string, text: string, choices: Array<{ index: number, finishReason: FinishReason | null }>, usage: { promptTokens: number, completionTokens: number, totalTokens: number } | null, model: { id: string, maxModelLength: number | null } }
    | { __typename: 'ContextLengthExceededError', code: ErrorCode, message: string }
    | { __typename: 'InvalidInputError', code: ErrorCode, message: string, argument: string | null }
    | { __typename: 'ModelNotFoundError', code: ErrorCode, message: string, availableModels: Array<string> }
    | { __typename: 'RateLimitedError', code: ErrorCode, message: string, retryAfterSeconds: number | null }
    | { __typename: 'UpstreamError', code: ErrorCode, message: string, upstreamStatus: number | null, retryable: boolean }
    | { __typename: 'UpstreamTimeoutError', code: ErrorCode, message: string, phase: TimeoutPhase }
   };

export type ModelsQueryVariables = Exact<{ [key: string]: never; }>;


export type ModelsQuery = { models: Array<{ id: string, ownedBy: string | null, maxModelLength: number | null, parent: { id: string } | null }> };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const ChatDocument = new TypedDocumentString(`
    mutation Chat($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {
  chat(model: $model, messages: $messages, maxTokens: $maxTokens) {
    __typename
    ... on ChatCompletion {
      id
      reply {
        role
        content
      }
      choices {
        index
        finishReason
      }
      usage {
        promptTokens
        completionTokens
        totalTokens
      }
    }
    ... on GatewayError {
      code
      message
    }
    ... on ModelNotFoundError {
      availableModels
    }
    ... on InvalidInputError {
      argument
    }
  }
}
    `) as unknown as TypedDocumentString<ChatMutation, ChatMutationVariables>;
export const CompleteDocument = new TypedDocumentString(`
    mutation Complete($model: ID!, $prompt: String!, $maxTokens: Int) {
  complete(model: $model, prompt: $prompt, maxTokens: $maxTokens) {
    __typename
    ... on Completion {
      id
      text
      choices {
        index
        finishReason
      }
      usage {
        promptTokens
        completionTokens
        totalTokens
      }
      model {
        id
        maxModelLength
      }
    }
    ... on GatewayError {
      code
      message
    }
    ... on ModelNotFoundError {
      availableModels
    }
    ... on InvalidInputError {
      argument
    }
    ... on RateLimitedError {
      retryAfterSeconds
    }
    ... on UpstreamTimeoutError {
      phase
    }
    ... on UpstreamError {
      upstreamStatus
      retryable
    }
  }
}
    `) as unknown as TypedDocumentString<CompleteMutation, CompleteMutationVariables>;
export const ModelsDocument = new TypedDocumentString(`
    query Models {
  models {
    id
    ownedBy
    maxModelLength
    parent {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<ModelsQuery, ModelsQueryVariables>;