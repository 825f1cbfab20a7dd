
      export type PossibleTypesResultData = {
  "possibleTypes": {
    "ChatResult": [
      "ChatCompletion",
      "ContextLengthExceededError",
      "InvalidInputError",
      "ModelNotFoundError",
      "RateLimitedError",
      "ToolsNotEnabledError",
      "UnsupportedByModelError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ],
    "ChatStreamEvent": [
      "ChatChunk",
      "ChatDone",
      "ContextLengthExceededError",
      "InvalidInputError",
      "ModelNotFoundError",
      "RateLimitedError",
      "ToolsNotEnabledError",
      "UnsupportedByModelError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ],
    "CompleteResult": [
      "Completion",
      "ContextLengthExceededError",
      "InvalidInputError",
      "ModelNotFoundError",
      "RateLimitedError",
      "UnsupportedByModelError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ],
    "CompletionStreamEvent": [
      "CompletionChunk",
      "CompletionDone",
      "ContextLengthExceededError",
      "InvalidInputError",
      "ModelNotFoundError",
      "RateLimitedError",
      "UnsupportedByModelError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ],
    "EmbedResult": [
      "ContextLengthExceededError",
      "Embeddings",
      "InvalidInputError",
      "ModelNotFoundError",
      "RateLimitedError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ],
    "GatewayError": [
      "ContextLengthExceededError",
      "InvalidInputError",
      "ModelNotFoundError",
      "RateLimitedError",
      "ToolsNotEnabledError",
      "UnsupportedByModelError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ],
    "Generation": [
      "ChatCompletion",
      "ChatDone",
      "Completion",
      "CompletionDone"
    ],
    "RerankResult": [
      "ContextLengthExceededError",
      "InvalidInputError",
      "ModelNotFoundError",
      "Rankings",
      "RateLimitedError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ]
  }
};
      const result: PossibleTypesResultData = {
  "possibleTypes": {
    "ChatResult": [
      "ChatCompletion",
      "ContextLengthExceededError",
      "InvalidInputError",
      "ModelNotFoundError",
      "RateLimitedError",
      "ToolsNotEnabledError",
      "UnsupportedByModelError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ],
    "ChatStreamEvent": [
      "ChatChunk",
      "ChatDone",
      "ContextLengthExceededError",
      "InvalidInputError",
      "ModelNotFoundError",
      "RateLimitedError",
      "ToolsNotEnabledError",
      "UnsupportedByModelError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ],
    "CompleteResult": [
      "Completion",
      "ContextLengthExceededError",
      "InvalidInputError",
      "ModelNotFoundError",
      "RateLimitedError",
      "UnsupportedByModelError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ],
    "CompletionStreamEvent": [
      "CompletionChunk",
      "CompletionDone",
      "ContextLengthExceededError",
      "InvalidInputError",
      "ModelNotFoundError",
      "RateLimitedError",
      "UnsupportedByModelError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ],
    "EmbedResult": [
      "ContextLengthExceededError",
      "Embeddings",
      "InvalidInputError",
      "ModelNotFoundError",
      "RateLimitedError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ],
    "GatewayError": [
      "ContextLengthExceededError",
      "InvalidInputError",
      "ModelNotFoundError",
      "RateLimitedError",
      "ToolsNotEnabledError",
      "UnsupportedByModelError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ],
    "Generation": [
      "ChatCompletion",
      "ChatDone",
      "Completion",
      "CompletionDone"
    ],
    "RerankResult": [
      "ContextLengthExceededError",
      "InvalidInputError",
      "ModelNotFoundError",
      "Rankings",
      "RateLimitedError",
      "UpstreamError",
      "UpstreamTimeoutError",
      "WrongModelKindError"
    ]
  }
};
      export default result;
    