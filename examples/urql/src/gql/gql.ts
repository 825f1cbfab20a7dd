/* eslint-disable */
import * as types from './graphql.ts';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

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
    "query Models {\n  models {\n    id\n    kind\n    ownedBy\n    maxModelLength\n    parent {\n      id\n    }\n  }\n}\n\nmutation Complete($model: ID!, $prompt: String!, $maxTokens: Int) {\n  complete(model: $model, prompt: $prompt, maxTokens: $maxTokens) {\n    ... on Completion {\n      text\n      choices {\n        finishReason\n      }\n      usage {\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n  }\n}\n\nmutation Chat($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {\n  chat(model: $model, messages: $messages, maxTokens: $maxTokens) {\n    ... on ChatCompletion {\n      reply {\n        content\n      }\n      choices {\n        finishReason\n      }\n      usage {\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on ModelNotFoundError {\n      requestedModel\n      availableModels\n    }\n  }\n}\n\nsubscription ChatStream($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {\n  chatStream(model: $model, messages: $messages, maxTokens: $maxTokens) {\n    ... on ChatChunk {\n      content\n    }\n    ... on ChatDone {\n      choices {\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n  }\n}": typeof types.ModelsDocument,
};
const documents: Documents = {
    "query Models {\n  models {\n    id\n    kind\n    ownedBy\n    maxModelLength\n    parent {\n      id\n    }\n  }\n}\n\nmutation Complete($model: ID!, $prompt: String!, $maxTokens: Int) {\n  complete(model: $model, prompt: $prompt, maxTokens: $maxTokens) {\n    ... on Completion {\n      text\n      choices {\n        finishReason\n      }\n      usage {\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n  }\n}\n\nmutation Chat($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {\n  chat(model: $model, messages: $messages, maxTokens: $maxTokens) {\n    ... on ChatCompletion {\n      reply {\n        content\n      }\n      choices {\n        finishReason\n      }\n      usage {\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on ModelNotFoundError {\n      requestedModel\n      availableModels\n    }\n  }\n}\n\nsubscription ChatStream($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {\n  chatStream(model: $model, messages: $messages, maxTokens: $maxTokens) {\n    ... on ChatChunk {\n      content\n    }\n    ... on ChatDone {\n      choices {\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n  }\n}": types.ModelsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Models {\n  models {\n    id\n    kind\n    ownedBy\n    maxModelLength\n    parent {\n      id\n    }\n  }\n}\n\nmutation Complete($model: ID!, $prompt: String!, $maxTokens: Int) {\n  complete(model: $model, prompt: $prompt, maxTokens: $maxTokens) {\n    ... on Completion {\n      text\n      choices {\n        finishReason\n      }\n      usage {\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n  }\n}\n\nmutation Chat($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {\n  chat(model: $model, messages: $messages, maxTokens: $maxTokens) {\n    ... on ChatCompletion {\n      reply {\n        content\n      }\n      choices {\n        finishReason\n      }\n      usage {\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on ModelNotFoundError {\n      requestedModel\n      availableModels\n    }\n  }\n}\n\nsubscription ChatStream($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {\n  chatStream(model: $model, messages: $messages, maxTokens: $maxTokens) {\n    ... on ChatChunk {\n      content\n    }\n    ... on ChatDone {\n      choices {\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n  }\n}"): (typeof documents)["query Models {\n  models {\n    id\n    kind\n    ownedBy\n    maxModelLength\n    parent {\n      id\n    }\n  }\n}\n\nmutation Complete($model: ID!, $prompt: String!, $maxTokens: Int) {\n  complete(model: $model, prompt: $prompt, maxTokens: $maxTokens) {\n    ... on Completion {\n      text\n      choices {\n        finishReason\n      }\n      usage {\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n  }\n}\n\nmutation Chat($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {\n  chat(model: $model, messages: $messages, maxTokens: $maxTokens) {\n    ... on ChatCompletion {\n      reply {\n        content\n      }\n      choices {\n        finishReason\n      }\n      usage {\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n    ... on ModelNotFoundError {\n      requestedModel\n      availableModels\n    }\n  }\n}\n\nsubscription ChatStream($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {\n  chatStream(model: $model, messages: $messages, maxTokens: $maxTokens) {\n    ... on ChatChunk {\n      content\n    }\n    ... on ChatDone {\n      choices {\n        finishReason\n      }\n      usage {\n        promptTokens\n        completionTokens\n        totalTokens\n      }\n    }\n    ... on GatewayError {\n      code\n      message\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;