/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** One message of the conversation so far: `content`, or (USER only) `parts`. */
export type ChatMessageInput = {
  /** What is said, as text. One of `content` and `parts`. */
  content?: string | null | undefined;
  /** USER messages: what is said as pieces, text and images (at most MAX_IMAGES images per chat). One of `content` and `parts`. */
  parts?: Array<ContentPartInput> | null | undefined;
  /** Who speaks it. */
  role: ChatRole;
  /** TOOL messages (and required there): the id of the call this is the result of. */
  toolCallId?: string | null | undefined;
  /** ASSISTANT messages: the tool calls the model made (then `content` may be left out). */
  toolCalls?: Array<ToolCallInput> | null | undefined;
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

/** A piece of a USER message: text, or an image. */
export type ContentPartInput = {
  /** IMAGE only (and required there): `data:image/png|jpeg|webp|gif;base64,…` (at most MAX_IMAGE_BYTES decoded), or an https URL the NIM can reach. */
  imageUrl?: string | null | undefined;
  /** TEXT only (and required there). */
  text?: string | null | undefined;
  /** What it is. */
  type: ContentPartType;
};

/** What a piece of message content is. */
export type ContentPartType =
  /** An image, by URL in `imageUrl`: the model must have `vision`. */
  | 'IMAGE'
  /** Text, in `text`. */
  | 'TEXT';

/** Every error code a client can get: in `GatewayError.code` of a typed error (mutations, subscriptions, `embed` and `rerank`), and in `errors[].extensions.code` of a query error or a whole-request refusal. */
export type ErrorCode =
  /** Whole-request refusal: The HTTP request is no GraphQL request: not JSON, no query, a wrong method, a bad target or Host. */
  | 'BAD_REQUEST'
  /** An argument is invalid; `argument` names it. Fix the request, do not retry it as is. */
  | 'BAD_USER_INPUT'
  /** The calling key's token budget (TOKEN_BUDGETS) has less left than the field may use; refused before any upstream call, until `resetsAt`. */
  | 'BUDGET_EXCEEDED'
  /** Prompt plus maxTokens is longer than the model's context window; for embed and rerank with `truncate: NONE` (or left out), an input longer than the model takes. */
  | 'CONTEXT_LENGTH_EXCEEDED'
  /** Whole-request refusal: The operation may generate more than MAX_OPERATION_COST tokens; `extensions.cost` and `extensions.limit` say by how much. */
  | 'COST_LIMIT_EXCEEDED'
  /** Whole-request refusal: A request any web page could make a browser send, without the `x-graphql-yoga-csrf` header. */
  | 'CSRF_HEADER_REQUIRED'
  /** The calling key may not do this: only the keys GATEWAY_ADMIN_KEYS names read every key's usage. */
  | 'FORBIDDEN'
  /** Whole-request refusal: The document does not parse, or is over MAX_DOCUMENT_TOKENS. */
  | 'GRAPHQL_PARSE_FAILED'
  /** Whole-request refusal: The document does not validate: unknown fields or arguments, over MAX_DEPTH, MAX_ALIASES or MAX_DIRECTIVES, introspection off. */
  | 'GRAPHQL_VALIDATION_FAILED'
  /** Whole-request refusal: The request headers (URL included) are over 16 KiB. */
  | 'HEADERS_TOO_LARGE'
  /** Whole-request refusal: An unexpected error, masked: the log line has the request id. */
  | 'INTERNAL_SERVER_ERROR'
  /** Whole-request refusal: A POST without Content-Length (chunked). */
  | 'LENGTH_REQUIRED'
  /** The model id is not served by NIM Proxy (after refreshing the model list). */
  | 'MODEL_NOT_FOUND'
  /** Whole-request refusal: A URL that is not a GraphQL endpoint, a health check or /metrics. */
  | 'NOT_FOUND'
  /** Whole-request refusal: The body's Content-Length is over MAX_REQUEST_BYTES. */
  | 'PAYLOAD_TOO_LARGE'
  /** Whole-request refusal: Trusted-documents mode: neither a query nor a usable hash. */
  | 'PERSISTED_QUERY_ID_REQUIRED'
  /** Whole-request refusal: Trusted-documents mode: a hash not in the manifest. */
  | 'PERSISTED_QUERY_NOT_FOUND'
  /** Whole-request refusal: Trusted-documents mode: a free-form document. */
  | 'PERSISTED_QUERY_ONLY'
  /** Too many requests; retry after `retryAfterSeconds` when given. */
  | 'RATE_LIMITED'
  /** The NIM serving the model was not started with tool calling (an operator fixes it: NIM_ENABLE_AUTO_TOOL_CHOICE=1 and NIM_TOOL_CALL_PARSER, or vLLM --enable-auto-tool-choice --tool-call-parser). */
  | 'TOOLS_NOT_ENABLED'
  /** Whole-request refusal: Client auth is on and `Authorization: Bearer <key>` is missing or wrong. */
  | 'UNAUTHENTICATED'
  /** The model cannot do what was asked (tools, images, reasoning, guided decoding), as `Model.capabilities` says; refused before any upstream call. */
  | 'UNSUPPORTED_BY_MODEL'
  /** NIM Proxy failed or answered something unexpected; `upstreamStatus` has its HTTP status. */
  | 'UPSTREAM_ERROR'
  /** NIM Proxy did not answer in time; `phase` says which timeout fired. */
  | 'UPSTREAM_TIMEOUT'
  /** NIM Proxy or the model deployment is unreachable or overloaded; safe to retry later. */
  | 'UPSTREAM_UNAVAILABLE'
  /** The model is for something else (`Model.kind`): a generation asked of an embedding or ranking model, or an embedding or ranking of a generation model; refused before any upstream call. */
  | 'WRONG_MODEL_KIND';

/** Why generation stopped. */
export type FinishReason =
  /** The upstream aborted the generation. */
  | 'ABORT'
  /** A content filter (a guardrail in front of the model) withheld or cut the text. */
  | 'CONTENT_FILTER'
  /** maxTokens or the context window was reached: the text is cut. */
  | 'LENGTH'
  /** A reason this gateway does not know; see the upstream logs. */
  | 'OTHER'
  /** The model ended its answer or hit a stop sequence. */
  | 'STOP'
  /** The model asked to call a tool. */
  | 'TOOL_CALLS';

/** Sampling parameters NIM for LLMs accepts. Leave a field out to get the model default named in its description. */
export type GenerationOptions = {
  /** complete and completionStream only: put the prompt in front of the text. Default false. */
  echo?: boolean | null | undefined;
  /** Penalise tokens by how often they already appeared, -2 to 2. Default 0. */
  frequencyPenalty?: number | null | undefined;
  /** Keep generating past the end-of-sequence token up to maxTokens. Default false. A NIM extension. */
  ignoreEos?: boolean | null | undefined;
  /** Return the log-probability of each generated token with this many likeliest alternatives, 0 to 20 (NIM 1.x: at most 5). Default off. */
  logprobs?: number | null | undefined;
  /** Drop tokens less likely than this fraction of the likeliest one, 0 to 1. Default 0 (off). A NIM extension. */
  minP?: number | null | undefined;
  /** Generate at least this many tokens before a stop may end it, 0 up to maxTokens. Default 0. A NIM extension. */
  minTokens?: number | null | undefined;
  /** How many choices to generate, 1 to 128. Default 1. Each costs up to maxTokens. */
  n?: number | null | undefined;
  /** Penalise tokens that already appeared at all, -2 to 2. Default 0. */
  presencePenalty?: number | null | undefined;
  /** Penalise repeated tokens: above 0 up to 2; 1 is none. Default 1. A NIM extension. */
  repetitionPenalty?: number | null | undefined;
  /** Seed for best-effort reproducible sampling. Default random. */
  seed?: number | null | undefined;
  /** Up to 16 non-empty strings that end the generation; the stop string itself is not returned. Default none. */
  stop?: Array<string> | null | undefined;
  /** Randomness, 0 to 2; 0 is greedy (always the likeliest token). Default 1. */
  temperature?: number | null | undefined;
  /** Sample only from the K likeliest tokens: -1 (off) or at least 1. Default -1. A NIM extension. */
  topK?: number | null | undefined;
  /** Nucleus sampling: keep the likeliest tokens up to this total probability, above 0 up to 1. Default 1. */
  topP?: number | null | undefined;
  /** An end-user id passed to the upstream for its logs, at most 256 characters. No effect on the output. */
  user?: string | null | undefined;
};

/** What a model is for. NIM's model list does not say: the gateway's map by model id pattern does (MODEL_KINDS first, then defaults by name). */
export type ModelKind =
  /** Turns text into vectors: embed. */
  | 'EMBEDDING'
  /** Generates text: complete, chat and their streams. */
  | 'GENERATION'
  /** Scores passages against a query: rerank. */
  | 'RANKING';

/** Which upstream timeout fired. */
export type TimeoutPhase =
  /** Waiting between two pieces of the response body (UPSTREAM_BODY_TIMEOUT_MS). */
  | 'BODY'
  /** Opening the connection to NIM Proxy (UPSTREAM_CONNECT_TIMEOUT_MS). */
  | 'CONNECT'
  /** Streams: from the request to the first token, the first event with content (STREAM_FIRST_TOKEN_TIMEOUT_MS). */
  | 'FIRST_TOKEN'
  /** Waiting for the response headers (UPSTREAM_HEADERS_TIMEOUT_MS). */
  | 'HEADERS'
  /** Streams: the longest silence between two events (STREAM_IDLE_TIMEOUT_MS). */
  | 'IDLE'
  /** A whole non-streamed call (UPSTREAM_TOTAL_TIMEOUT_MS). */
  | 'TOTAL';

/** A tool call of an earlier ASSISTANT message, echoed back as the model made it. */
export type ToolCallInput = {
  /** Its arguments as the model wrote them (`ToolCall.argumentsText`). */
  argumentsText: string;
  /** The call id (`ToolCall.id`). */
  id: string | number;
  /** The tool called. */
  name: string;
};

/** A function the model may call. */
export type ToolInput = {
  /** What it does, for the model. */
  description?: string | null | undefined;
  /** Its name: 1 to 64 of a-z A-Z 0-9 _ -. */
  name: string;
  /** Its arguments as a JSON Schema object. Default: an object of any properties. */
  parameters?: unknown;
};

export type ChatMutationVariables = Exact<{
  model: string | number;
  messages: Array<ChatMessageInput> | ChatMessageInput;
  maxTokens?: number | null | undefined;
}>;


export type ChatMutation = { chat:
    | { __typename: 'BudgetExceededError', code: ErrorCode, message: string }
    | { __typename: 'ChatCompletion', id: string, reply: { role: ChatRole, content: string }, choices: Array<{ index: number, finishReason: FinishReason | null }>, usage: { promptTokens: number, completionTokens: number, totalTokens: number } | null }
    | { __typename: 'ContextLengthExceededError', code: ErrorCode, message: string }
    | { __typename: 'InvalidInputError', code: ErrorCode, message: string, argument: string | null }
    | { __typename: 'ModelNotFoundError', code: ErrorCode, message: string, availableModels: Array<string> }
    | { __typename: 'RateLimitedError', code: ErrorCode, message: string }
    | { __typename: 'ToolsNotEnabledError', code: ErrorCode, message: string }
    | { __typename: 'UnsupportedByModelError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamTimeoutError', code: ErrorCode, message: string }
    | { __typename: 'WrongModelKindError', code: ErrorCode, message: string }
   };

export type ChatStreamSubscriptionVariables = Exact<{
  model: string | number;
  messages: Array<ChatMessageInput> | ChatMessageInput;
  maxTokens?: number | null | undefined;
  options?: GenerationOptions | null | undefined;
}>;


export type ChatStreamSubscription = { chatStream:
    | { __typename: 'BudgetExceededError', code: ErrorCode, message: string }
    | { __typename: 'ChatChunk', index: number, content: string, finishReason: FinishReason | null }
    | { __typename: 'ChatDone', reply: { content: string }, choices: Array<{ index: number, finishReason: FinishReason | null }>, usage: { promptTokens: number, completionTokens: number, totalTokens: number } | null }
    | { __typename: 'ContextLengthExceededError', code: ErrorCode, message: string }
    | { __typename: 'InvalidInputError', code: ErrorCode, message: string }
    | { __typename: 'ModelNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'RateLimitedError', code: ErrorCode, message: string }
    | { __typename: 'ToolsNotEnabledError', code: ErrorCode, message: string }
    | { __typename: 'UnsupportedByModelError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamTimeoutError', code: ErrorCode, message: string, phase: TimeoutPhase }
    | { __typename: 'WrongModelKindError', code: ErrorCode, message: string }
   };

export type ChatToolsMutationVariables = Exact<{
  model: string | number;
  messages: Array<ChatMessageInput> | ChatMessageInput;
  tools?: Array<ToolInput> | ToolInput | null | undefined;
  maxTokens?: number | null | undefined;
}>;


export type ChatToolsMutation = { chat:
    | { __typename: 'BudgetExceededError', code: ErrorCode, message: string }
    | { __typename: 'ChatCompletion', reply: { content: string, toolCalls: Array<{ id: string, name: string, arguments: unknown, argumentsText: string, complete: boolean }> }, choices: Array<{ finishReason: FinishReason | null }> }
    | { __typename: 'ContextLengthExceededError', code: ErrorCode, message: string }
    | { __typename: 'InvalidInputError', code: ErrorCode, message: string }
    | { __typename: 'ModelNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'RateLimitedError', code: ErrorCode, message: string }
    | { __typename: 'ToolsNotEnabledError', code: ErrorCode, message: string }
    | { __typename: 'UnsupportedByModelError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamTimeoutError', code: ErrorCode, message: string }
    | { __typename: 'WrongModelKindError', code: ErrorCode, message: string }
   };

export type CompleteMutationVariables = Exact<{
  model: string | number;
  prompt: string;
  maxTokens?: number | null | undefined;
}>;


export type CompleteMutation = { complete:
    | { __typename: 'BudgetExceededError', code: ErrorCode, message: string }
    | { __typename: 'Completion', id: string, text: string, choices: Array<{ index: number, finishReason: FinishReason | null }>, usage: { promptTokens: number, completionTokens: number, totalTokens: number } | null, model: { id: string, maxModelLength: number | null } }
    | { __typename: 'ContextLengthExceededError', code: ErrorCode, message: string }
    | { __typename: 'InvalidInputError', code: ErrorCode, message: string, argument: string | null }
    | { __typename: 'ModelNotFoundError', code: ErrorCode, message: string, availableModels: Array<string> }
    | { __typename: 'RateLimitedError', code: ErrorCode, message: string, retryAfterSeconds: number | null }
    | { __typename: 'UnsupportedByModelError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamError', code: ErrorCode, message: string, upstreamStatus: number | null, retryable: boolean }
    | { __typename: 'UpstreamTimeoutError', code: ErrorCode, message: string, phase: TimeoutPhase }
    | { __typename: 'WrongModelKindError', code: ErrorCode, message: string }
   };

export type CompletionStreamSubscriptionVariables = Exact<{
  model: string | number;
  prompt: string;
  maxTokens?: number | null | undefined;
  options?: GenerationOptions | null | undefined;
}>;


export type CompletionStreamSubscription = { completionStream:
    | { __typename: 'BudgetExceededError', code: ErrorCode, message: string }
    | { __typename: 'CompletionChunk', index: number, text: string, finishReason: FinishReason | null }
    | { __typename: 'CompletionDone', text: string, choices: Array<{ index: number, finishReason: FinishReason | null }>, usage: { promptTokens: number, completionTokens: number, totalTokens: number } | null }
    | { __typename: 'ContextLengthExceededError', code: ErrorCode, message: string }
    | { __typename: 'InvalidInputError', code: ErrorCode, message: string }
    | { __typename: 'ModelNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'RateLimitedError', code: ErrorCode, message: string }
    | { __typename: 'UnsupportedByModelError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamTimeoutError', code: ErrorCode, message: string, phase: TimeoutPhase }
    | { __typename: 'WrongModelKindError', code: ErrorCode, message: string }
   };

export type ModelsQueryVariables = Exact<{ [key: string]: never; }>;


export type ModelsQuery = { models: Array<{ id: string, kind: ModelKind, ownedBy: string | null, maxModelLength: number | null, parent: { id: string } | null }> };

export type SearchQueryVariables = Exact<{
  embeddingModel: string | number;
  rankingModel: string | number;
  query: string;
  passages: Array<string> | string;
  topN?: number | null | undefined;
}>;


export type SearchQuery = { query:
    | { __typename: 'BudgetExceededError', code: ErrorCode, message: string }
    | { __typename: 'ContextLengthExceededError', code: ErrorCode, message: string }
    | { __typename: 'Embeddings', dimensions: number, vectors: Array<Array<number>>, usage: { promptTokens: number } | null }
    | { __typename: 'InvalidInputError', code: ErrorCode, message: string }
    | { __typename: 'ModelNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'RateLimitedError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamTimeoutError', code: ErrorCode, message: string }
    | { __typename: 'WrongModelKindError', code: ErrorCode, message: string }
  , passages:
    | { __typename: 'BudgetExceededError', code: ErrorCode, message: string }
    | { __typename: 'ContextLengthExceededError', code: ErrorCode, message: string }
    | { __typename: 'Embeddings', base64: Array<string> }
    | { __typename: 'InvalidInputError', code: ErrorCode, message: string }
    | { __typename: 'ModelNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'RateLimitedError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamTimeoutError', code: ErrorCode, message: string }
    | { __typename: 'WrongModelKindError', code: ErrorCode, message: string }
  , rerank:
    | { __typename: 'BudgetExceededError', code: ErrorCode, message: string }
    | { __typename: 'ContextLengthExceededError', code: ErrorCode, message: string }
    | { __typename: 'InvalidInputError', code: ErrorCode, message: string }
    | { __typename: 'ModelNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'Rankings', rankings: Array<{ index: number, score: number, probability: number, passage: string }> }
    | { __typename: 'RateLimitedError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamTimeoutError', code: ErrorCode, message: string }
    | { __typename: 'WrongModelKindError', code: ErrorCode, message: string, modelKind: ModelKind, requiredKind: ModelKind }
   };

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
    `, {"hash":"sha256:3bc22966beebaae058b563e789087e93e0af8a0a7fe0b8cfe6742f6f947855b1"}) as unknown as TypedDocumentString<ChatMutation, ChatMutationVariables>;
export const ChatStreamDocument = new TypedDocumentString(`
    subscription ChatStream($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int, $options: GenerationOptions) {
  chatStream(
    model: $model
    messages: $messages
    maxTokens: $maxTokens
    options: $options
  ) {
    __typename
    ... on ChatChunk {
      index
      content
      finishReason
    }
    ... on ChatDone {
      reply {
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
    ... on UpstreamTimeoutError {
      phase
    }
  }
}
    `, {"hash":"sha256:640748e0576c13f5e30666a09080ae978e6fa1c573b323dc1c76810d27f4a5c8"}) as unknown as TypedDocumentString<ChatStreamSubscription, ChatStreamSubscriptionVariables>;
export const ChatToolsDocument = new TypedDocumentString(`
    mutation ChatTools($model: ID!, $messages: [ChatMessageInput!]!, $tools: [ToolInput!], $maxTokens: Int) {
  chat(model: $model, messages: $messages, tools: $tools, maxTokens: $maxTokens) {
    __typename
    ... on ChatCompletion {
      reply {
        content
        toolCalls {
          id
          name
          arguments
          argumentsText
          complete
        }
      }
      choices {
        finishReason
      }
    }
    ... on GatewayError {
      code
      message
    }
  }
}
    `, {"hash":"sha256:d13e2530901e35fd29f686011f0b944d4b63b04cdfbb4404bb701d5068d9c5c5"}) as unknown as TypedDocumentString<ChatToolsMutation, ChatToolsMutationVariables>;
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
    `, {"hash":"sha256:6b911c4cbf1096099e9dde318e76508c9d7769d4ef68e217ab6546c296cf3a2a"}) as unknown as TypedDocumentString<CompleteMutation, CompleteMutationVariables>;
export const CompletionStreamDocument = new TypedDocumentString(`
    subscription CompletionStream($model: ID!, $prompt: String!, $maxTokens: Int, $options: GenerationOptions) {
  completionStream(
    model: $model
    prompt: $prompt
    maxTokens: $maxTokens
    options: $options
  ) {
    __typename
    ... on CompletionChunk {
      index
      text
      finishReason
    }
    ... on CompletionDone {
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
    }
    ... on GatewayError {
      code
      message
    }
    ... on UpstreamTimeoutError {
      phase
    }
  }
}
    `, {"hash":"sha256:c7cb021adcba4685e784b8ea442c8bb113b5bedb5a6a18917d26445c643a3589"}) as unknown as TypedDocumentString<CompletionStreamSubscription, CompletionStreamSubscriptionVariables>;
export const ModelsDocument = new TypedDocumentString(`
    query Models {
  models {
    id
    kind
    ownedBy
    maxModelLength
    parent {
      id
    }
  }
}
    `, {"hash":"sha256:302a55abaa64ebecdbcadd1f4bcda1236264b05941d6323c7a417193bed4feea"}) as unknown as TypedDocumentString<ModelsQuery, ModelsQueryVariables>;
export const SearchDocument = new TypedDocumentString(`
    query Search($embeddingModel: ID!, $rankingModel: ID!, $query: String!, $passages: [String!]!, $topN: Int) {
  query: embed(model: $embeddingModel, input: [$query], inputType: QUERY) {
    __typename
    ... on Embeddings {
      dimensions
      vectors
      usage {
        promptTokens
      }
    }
    ... on GatewayError {
      code
      message
    }
  }
  passages: embed(
    model: $embeddingModel
    input: $passages
    inputType: PASSAGE
    encoding: BASE64
  ) {
    __typename
    ... on Embeddings {
      base64
    }
    ... on GatewayError {
      code
      message
    }
  }
  rerank(model: $rankingModel, query: $query, passages: $passages, topN: $topN) {
    __typename
    ... on Rankings {
      rankings {
        index
        score
        probability
        passage
      }
    }
    ... on GatewayError {
      code
      message
    }
    ... on WrongModelKindError {
      modelKind
      requiredKind
    }
  }
}
    `, {"hash":"sha256:8062cfd163c90d8592fa1da273a4316675539d5bef5b0171dc1a6cf523cde343"}) as unknown as TypedDocumentString<SearchQuery, SearchQueryVariables>;