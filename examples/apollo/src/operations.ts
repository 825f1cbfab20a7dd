// The app's operations. `graphql(…)` returns a typed document (its result and variables types come
// from src/gql, written by codegen.ts); the hash each carries is what the app sends, not the text.
import { graphql } from './gql/index.ts';

export const modelsQuery = graphql(`
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
`);

export const completeMutation = graphql(`
  mutation Complete($model: ID!, $prompt: String!, $maxTokens: Int) {
    complete(model: $model, prompt: $prompt, maxTokens: $maxTokens) {
      ... on Completion {
        text
        choices {
          finishReason
        }
        usage {
          totalTokens
        }
      }
      ... on GatewayError {
        code
        message
      }
    }
  }
`);

export const chatMutation = graphql(`
  mutation Chat($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {
    chat(model: $model, messages: $messages, maxTokens: $maxTokens) {
      ... on ChatCompletion {
        reply {
          content
        }
        choices {
          finishReason
        }
        usage {
          totalTokens
        }
      }
      ... on GatewayError {
        code
        message
      }
      ... on ModelNotFoundError {
        requestedModel
        availableModels
      }
    }
  }
`);

export const chatStreamSubscription = graphql(`
  subscription ChatStream($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int) {
    chatStream(model: $model, messages: $messages, maxTokens: $maxTokens) {
      ... on ChatChunk {
        content
      }
      ... on ChatDone {
        choices {
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
    }
  }
`);
