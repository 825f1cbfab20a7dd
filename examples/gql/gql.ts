/* eslint-disable */
import * as types from './graphql.ts';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation Chat($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {\n  chat(model: $model, messages: $messages, maxTokens: $maxTokens) {\n    __typename\n    ... on ChatCompletion {\n      id\n      reply {\n        role\n        content\n      }\n      choices {\n        index\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on ModelNotFoundError {\n      availableModels\n    }\n    ... on InvalidInputError {\n      argument\n    }\n  }\n}": typeof types.ChatDocument,
    "subscription ChatStream($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int, $options: GenerationOptions) {\n  chatStream(\n    model: $model\n    messages: $messages\n    maxTokens: $maxTokens\n    options: $options\n  ) {\n    __typename\n    ... on ChatChunk {\n      index\n      content\n      finishReason\n    }\n    ... on ChatDone {\n      reply {\n        content\n      }\n      choices {\n        index\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on UpstreamTimeoutError {\n      phase\n    }\n  }\n}": typeof types.ChatStreamDocument,
    "mutation Complete($model: ID!, $prompt: String!, $maxTokens: Int) {\n  complete(model: $model, prompt: $prompt, maxTokens: $maxTokens) {\n    __typename\n    ... on Completion {\n      id\n      text\n      choices {\n        index\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n      model {\n        id\n        maxModelLength\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on ModelNotFoundError {\n      availableModels\n    }\n    ... on InvalidInputError {\n      argument\n    }\n    ... on RateLimitedError {\n      retryAfterSeconds\n    }\n    ... on UpstreamTimeoutError {\n      phase\n    }\n    ... on UpstreamError {\n      upstreamStatus\n      retryable\n    }\n  }\n}": typeof types.CompleteDocument,
    "subscription CompletionStream($model: ID!, $prompt: String!, $maxTokens: Int, $options: GenerationOptions) {\n  completionStream(\n    model: $model\n    prompt: $prompt\n    maxTokens: $maxTokens\n    options: $options\n  ) {\n    __typename\n    ... on CompletionChunk {\n      index\n      text\n      finishReason\n    }\n    ... on CompletionDone {\n      text\n      choices {\n        index\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on UpstreamTimeoutError {\n      phase\n    }\n  }\n}": typeof types.CompletionStreamDocument,
    "query Models {\n  models {\n    id\n    ownedBy\n    maxModelLength\n    parent {\n      id\n    }\n  }\n}": typeof types.ModelsDocument,
};
const documents: Documents = {
    "mutation Chat($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {\n  chat(model: $model, messages: $messages, maxTokens: $maxTokens) {\n    __typename\n    ... on ChatCompletion {\n      id\n      reply {\n        role\n        content\n      }\n      choices {\n        index\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on ModelNotFoundError {\n      availableModels\n    }\n    ... on InvalidInputError {\n      argument\n    }\n  }\n}": types.ChatDocument,
    "subscription ChatStream($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int, $options: GenerationOptions) {\n  chatStream(\n    model: $model\n    messages: $messages\n    maxTokens: $maxTokens\n    options: $options\n  ) {\n    __typename\n    ... on ChatChunk {\n      index\n      content\n      finishReason\n    }\n    ... on ChatDone {\n      reply {\n        content\n      }\n      choices {\n        index\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on UpstreamTimeoutError {\n      phase\n    }\n  }\n}": types.ChatStreamDocument,
    "mutation Complete($model: ID!, $prompt: String!, $maxTokens: Int) {\n  complete(model: $model, prompt: $prompt, maxTokens: $maxTokens) {\n    __typename\n    ... on Completion {\n      id\n      text\n      choices {\n        index\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n      model {\n        id\n        maxModelLength\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on ModelNotFoundError {\n      availableModels\n    }\n    ... on InvalidInputError {\n      argument\n    }\n    ... on RateLimitedError {\n      retryAfterSeconds\n    }\n    ... on UpstreamTimeoutError {\n      phase\n    }\n    ... on UpstreamError {\n      upstreamStatus\n      retryable\n    }\n  }\n}": types.CompleteDocument,
    "subscription CompletionStream($model: ID!, $prompt: String!, $maxTokens: Int, $options: GenerationOptions) {\n  completionStream(\n    model: $model\n    prompt: $prompt\n    maxTokens: $maxTokens\n    options: $options\n  ) {\n    __typename\n    ... on CompletionChunk {\n      index\n      text\n      finishReason\n    }\n    ... on CompletionDone {\n      text\n      choices {\n        index\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on UpstreamTimeoutError {\n      phase\n    }\n  }\n}": types.CompletionStreamDocument,
    "query Models {\n  models {\n    id\n    ownedBy\n    maxModelLength\n    parent {\n      id\n    }\n  }\n}": types.ModelsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Chat($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {\n  chat(model: $model, messages: $messages, maxTokens: $maxTokens) {\n    __typename\n    ... on ChatCompletion {\n      id\n      reply {\n        role\n        content\n      }\n      choices {\n        index\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on ModelNotFoundError {\n      availableModels\n    }\n    ... on InvalidInputError {\n      argument\n    }\n  }\n}"): typeof import('./graphql.ts').ChatDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription ChatStream($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int, $options: GenerationOptions) {\n  chatStream(\n    model: $model\n    messages: $messages\n    maxTokens: $maxTokens\n    options: $options\n  ) {\n    __typename\n    ... on ChatChunk {\n      index\n      content\n      finishReason\n    }\n    ... on ChatDone {\n      reply {\n        content\n      }\n      choices {\n        index\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on UpstreamTimeoutError {\n      phase\n    }\n  }\n}"): typeof import('./graphql.ts').ChatStreamDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Complete($model: ID!, $prompt: String!, $maxTokens: Int) {\n  complete(model: $model, prompt: $prompt, maxTokens: $maxTokens) {\n    __typename\n    ... on Completion {\n      id\n      text\n      choices {\n        index\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n      model {\n        id\n        maxModelLength\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on ModelNotFoundError {\n      availableModels\n    }\n    ... on InvalidInputError {\n      argument\n    }\n    ... on RateLimitedError {\n      retryAfterSeconds\n    }\n    ... on UpstreamTimeoutError {\n      phase\n    }\n    ... on UpstreamError {\n      upstreamStatus\n      retryable\n    }\n  }\n}"): typeof import('./graphql.ts').CompleteDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription CompletionStream($model: ID!, $prompt: String!, $maxTokens: Int, $options: GenerationOptions) {\n  completionStream(\n    model: $model\n    prompt: $prompt\n    maxTokens: $maxTokens\n    options: $options\n  ) {\n    __typename\n    ... on CompletionChunk {\n      index\n      text\n      finishReason\n    }\n    ... on CompletionDone {\n      text\n      choices {\n        index\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on UpstreamTimeoutError {\n      phase\n    }\n  }\n}"): typeof import('./graphql.ts').CompletionStreamDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Models {\n  models {\n    id\n    ownedBy\n    maxModelLength\n    parent {\n      id\n    }\n  }\n}"): typeof import('./graphql.ts').ModelsDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
