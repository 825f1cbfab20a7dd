// The stream subscriptions the fault, resilience and shutdown tests send, with every typed error's fields.
// (Importing them from streaming.test.ts would run that file's tests once more in each importer.)

const ERRORS = /* GraphQL */ `
      ... on GatewayError { code message }
      ... on UpstreamTimeoutError { phase }
      ... on UpstreamError { upstreamStatus retryable }
      ... on RateLimitedError { retryAfterSeconds }
      ... on ContextLengthExceededError { maxContextLength }
`;

export const COMPLETION_STREAM = /* GraphQL */ `
  subscription CompletionStream($model: ID!, $prompt: String!, $maxTokens: Int, $options: GenerationOptions) {
    completionStream(model: $model, prompt: $prompt, maxTokens: $maxTokens, options: $options) {
      __typename
      ... on CompletionChunk { index text }
      ... on CompletionDone { text choices { index finishReason } usage { completionTokens } }
      ${ERRORS}
    }
  }
`;

export const CHAT_STREAM = /* GraphQL */ `
  subscription ChatStream($model: ID!, $messages: [ChatMessageInput!]!, $maxTokens: Int, $options: GenerationOptions) {
    chatStream(model: $model, messages: $messages, maxTokens: $maxTokens, options: $options) {
      __typename
      ... on ChatChunk { index content }
      ... on ChatDone { reply { content } choices { index finishReason } usage { completionTokens } }
      ${ERRORS}
    }
  }
`;
