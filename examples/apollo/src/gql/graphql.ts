/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
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

/** What a model is for. NIM's model list does not say: the gateway's map by model id pattern does (MODEL_KINDS first, then defaults by name). */
export type ModelKind =
  /** Turns text into vectors: embed. */
  | 'EMBEDDING'
  /** Generates text: complete, chat and their streams. */
  | 'GENERATION'
  /** Scores passages against a query: rerank. */
  | 'RANKING';

/** A tool call of an earlier ASSISTANT message, echoed back as the model made it. */
export type ToolCallInput = {
  /** Its arguments as the model wrote them (`ToolCall.argumentsText`). */
  argumentsText: string;
  /** The call id (`ToolCall.id`). */
  id: string | number;
  /** The tool called. */
  name: string;
};

export type ModelsQueryVariables = Exact<{ [key: string]: never; }>;


export type ModelsQuery = { __typename: 'Query', models: Array<{ __typename: 'Model', id: string, kind: ModelKind, ownedBy: string | null, maxModelLength: number | null, parent: { __typename: 'Model', id: string } | null }> };

export type CompleteMutationVariables = Exact<{
  model: string | number;
  prompt: string;
  maxTokens?: number | null | undefined;
}>;


export type CompleteMutation = { __typename: 'Mutation', complete:
    | { __typename: 'BudgetExceededError', code: ErrorCode, message: string }
    | { __typename: 'Completion', text: string, choices: Array<{ __typename: 'CompletionChoice', finishReason: FinishReason | null }>, usage: { __typename: 'Usage', totalTokens: number } | null }
    | { __typename: 'ContextLengthExceededError', code: ErrorCode, message: string }
    | { __typename: 'InvalidInputError', code: ErrorCode, message: string }
    | { __typename: 'ModelNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'RateLimitedError', code: ErrorCode, message: string }
    | { __typename: 'UnsupportedByModelError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamTimeoutError', code: ErrorCode, message: string }
    | { __typename: 'WrongModelKindError', code: ErrorCode, message: string }
   };

export type ChatMutationVariables = Exact<{
  model: string | number;
  messages: Array<ChatMessageInput> | ChatMessageInput;
  maxTokens?: number | null | undefined;
}>;


export type ChatMutation = { __typename: 'Mutation', chat:
    | { __typename: 'BudgetExceededError', code: ErrorCode, message: string }
    | { __typename: 'ChatCompletion', reply: { __typename: 'ChatMessage', content: string }, choices: Array<{ __typename: 'ChatChoice', finishReason: FinishReason | null }>, usage: { __typename: 'Usage', totalTokens: number } | null }
    | { __typename: 'ContextLengthExceededError', code: ErrorCode, message: string }
    | { __typename: 'InvalidInputError', code: ErrorCode, message: string }
    | { __typename: 'ModelNotFoundError', code: ErrorCode, message: string, requestedModel: string, availableModels: Array<string> }
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
}>;


export type ChatStreamSubscription = { chatStream:
    | { __typename: 'BudgetExceededError', code: ErrorCode, message: string }
    | { __typename: 'ChatChunk', content: string }
    | { __typename: 'ChatDone', choices: Array<{ __typename: 'ChatChoice', finishReason: FinishReason | null }>, usage: { __typename: 'Usage', promptTokens: number, completionTokens: number, totalTokens: number } | null }
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


export const ModelsDocument = {"__meta__":{"hash":"sha256:321dafc1b6aa407c19d59a4e767ebb03e6c42db37fbb91178e324c1dd8b9a5b6"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Models"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"models"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"ownedBy"}},{"kind":"Field","name":{"kind":"Name","value":"maxModelLength"}},{"kind":"Field","name":{"kind":"Name","value":"parent"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]} as unknown as DocumentNode<ModelsQuery, ModelsQueryVariables>;
export const CompleteDocument = {"__meta__":{"hash":"sha256:a1239cc7eb65272da1511d2e8c8db4ee61ae8543f5cbe81ccddc1103d995bc1e"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Complete"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"model"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"prompt"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"maxTokens"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"complete"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"model"},"value":{"kind":"Variable","name":{"kind":"Name","value":"model"}}},{"kind":"Argument","name":{"kind":"Name","value":"prompt"},"value":{"kind":"Variable","name":{"kind":"Name","value":"prompt"}}},{"kind":"Argument","name":{"kind":"Name","value":"maxTokens"},"value":{"kind":"Variable","name":{"kind":"Name","value":"maxTokens"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Completion"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"text"}},{"kind":"Field","name":{"kind":"Name","value":"choices"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"finishReason"}}]}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"GatewayError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<CompleteMutation, CompleteMutationVariables>;
export const ChatDocument = {"__meta__":{"hash":"sha256:9433f26f0ac5d0878e59dcb8493f37d6c8281029692014811bc65a31f9c7b6f2"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Chat"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"model"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"messages"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ChatMessageInput"}}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"maxTokens"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"chat"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"model"},"value":{"kind":"Variable","name":{"kind":"Name","value":"model"}}},{"kind":"Argument","name":{"kind":"Name","value":"messages"},"value":{"kind":"Variable","name":{"kind":"Name","value":"messages"}}},{"kind":"Argument","name":{"kind":"Name","value":"maxTokens"},"value":{"kind":"Variable","name":{"kind":"Name","value":"maxTokens"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ChatCompletion"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"reply"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"content"}}]}},{"kind":"Field","name":{"kind":"Name","value":"choices"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"finishReason"}}]}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"GatewayError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ModelNotFoundError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"requestedModel"}},{"kind":"Field","name":{"kind":"Name","value":"availableModels"}}]}}]}}]}}]} as unknown as DocumentNode<ChatMutation, ChatMutationVariables>;
export const ChatStreamDocument = {"__meta__":{"hash":"sha256:cfb93ea18d520225d2652ff6290972beea9ccfb90475ff470ae03c1f1942612f"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ChatStream"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"model"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"messages"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ChatMessageInput"}}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"maxTokens"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"chatStream"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"model"},"value":{"kind":"Variable","name":{"kind":"Name","value":"model"}}},{"kind":"Argument","name":{"kind":"Name","value":"messages"},"value":{"kind":"Variable","name":{"kind":"Name","value":"messages"}}},{"kind":"Argument","name":{"kind":"Name","value":"maxTokens"},"value":{"kind":"Variable","name":{"kind":"Name","value":"maxTokens"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ChatChunk"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"content"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ChatDone"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"choices"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"finishReason"}}]}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"promptTokens"}},{"kind":"Field","name":{"kind":"Name","value":"completionTokens"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"GatewayError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ChatStreamSubscription, ChatStreamSubscriptionVariables>;