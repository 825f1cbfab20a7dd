
      export type PossibleTypesResultData = {
  "possibleTypes": {
    "ChatResult": [
      "BudgetExceededError",
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
      "BudgetExceededError",
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
      "BudgetExceededError",
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
      "BudgetExceededError",
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
      "BudgetExceededError",
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
      "BudgetExceededError",
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
      "BudgetExceededError",
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
      "BudgetExceededError",
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
      "BudgetExceededError",
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
      "BudgetExceededError",
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
      "BudgetExceededError",
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
      "BudgetExceededError",
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
      "BudgetExceededError",
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
      "BudgetExceededError",
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
    