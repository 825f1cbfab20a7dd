// Operations the auth and rate-limit tests send: a completion stream and a completion with options.

export const COMPLETION_STREAM = /* GraphQL */ `
  subscription CompletionStream(
    $model: ID!
    $prompt: String!
    $maxTokens: Int
    $options: GenerationOptions
  ) {
    completionStream(model: $model, prompt: $prompt, maxTokens: $maxTokens, options: $options) {
      __typename
      ... on CompletionChunk {
        text
      }
      ... on CompletionDone {
        text
        usage {
          completionTokens
        }
      }
      ... on GatewayError {
        code
        message
      }
    }
  }
`;

export const COMPLETE_WITH_OPTIONS = /* GraphQL */ `
  mutation CompleteWithOptions(
    $model: ID!
    $prompt: String!
    $maxTokens: Int
    $options: GenerationOptions
  ) {
    complete(model: $model, prompt: $prompt, maxTokens: $maxTokens, options: $options) {
      __typename
      ... on Completion {
        text
        usage {
          completionTokens
        }
      }
      ... on GatewayError {
        code
        message
      }
    }
  }
`;

/**
 * A short generation whatever maxTokens says: the simulator's tokens are " word" or punctuation, so
 * stopping at " " once 10 tokens are out ends it after 10 (or 11) tokens.
 */
export const SHORT = { minTokens: 10, stop: [' '] };
