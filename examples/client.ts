// A small typed client: the operations in examples/operations, typed by GraphQL Code Generator.
// Run: npm run example [-- http://localhost:4000/graphql] (or node examples/client.ts … on Node >= 22.19)
import { createClient } from 'graphql-sse';
import {
  ChatStreamDocument,
  ChatToolsDocument,
  CompleteDocument,
  ModelsDocument,
  SearchDocument,
  type ChatMessageInput,
  type ChatStreamSubscription,
  type ToolInput,
  type TypedDocumentString,
} from './gql/graphql.ts';

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function execute<TResult, TVariables>(
  endpoint: string,
  document: TypedDocumentString<TResult, TVariables>,
  ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
): Promise<TResult> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json()) as GraphQLResponse<TResult>;
  if (body.errors?.length || !body.data) {
    const first = body.errors?.[0];
    throw new Error(
      `${first?.extensions?.code ?? response.status}: ${first?.message ?? 'no data'}`,
    );
  }
  return body.data;
}

export async function tellAStory(endpoint: string): Promise<string> {
  const { models } = await execute(endpoint, ModelsDocument);
  const generating = models.filter((m) => m.kind === 'GENERATION');
  const model = generating.find((m) => m.parent === null) ?? generating[0];
  if (!model) throw new Error('the gateway serves no generation models');
  const { complete } = await execute(endpoint, CompleteDocument, {
    model: model.id,
    prompt: 'Once upon a time',
    maxTokens: 64,
  });
  switch (complete.__typename) {
    case 'Completion':
      return `${model.id}: Once upon a time${complete.text}\n(${complete.usage?.totalTokens ?? '?'} tokens, ${complete.choices[0]?.finishReason})`;
    case 'ModelNotFoundError':
      return `no such model; try one of ${complete.availableModels.join(', ')}`;
    default:
      return `${complete.code}: ${complete.message}`;
  }
}

/** Streams a chat answer with graphql-sse's client, calling `onText` for each chunk as it arrives. */
export async function streamAnswer(
  endpoint: string,
  model: string,
  question: string,
  onText: (text: string) => void,
) {
  const client = createClient({ url: endpoint, retryAttempts: 0 });
  try {
    const events = client.iterate({
      query: ChatStreamDocument.toString(),
      variables: { model, messages: [{ role: 'USER', content: question }], maxTokens: 48 },
    });
    for await (const { data } of events) {
      const event = data?.chatStream as ChatStreamSubscription['chatStream'] | undefined;
      if (event === undefined) continue;
      switch (event.__typename) {
        case 'ChatChunk':
          onText(event.content);
          break;
        case 'ChatDone':
          return `(${event.usage?.totalTokens ?? '?'} tokens, ${event.choices[0]?.finishReason})`;
        default:
          return `${event.code}: ${event.message}`;
      }
    }
    return 'the stream ended without a terminal event';
  } finally {
    client.dispose();
  }
}

/** A tool the model may call, and the code that runs it. */
export interface Tool extends ToolInput {
  run(args: unknown): Promise<string> | string;
}

/**
 * The whole tool loop: ask, run the calls the model makes, send their results back, until it
 * answers in text (or `maxTurns` runs out). Typed end to end by the generated ChatToolsDocument.
 */
export async function askWithTools(
  endpoint: string,
  model: string,
  question: string,
  tools: Tool[],
  maxTurns = 4,
): Promise<string> {
  const messages: ChatMessageInput[] = [{ role: 'USER', content: question }];
  const declared = tools.map(({ run: _run, ...tool }) => tool);
  for (let turn = 0; turn < maxTurns; turn++) {
    const { chat } = await execute(endpoint, ChatToolsDocument, {
      model,
      messages,
      tools: declared,
      maxTokens: 256,
    });
    if (chat.__typename !== 'ChatCompletion') return `${chat.code}: ${chat.message}`;
    const { content, toolCalls } = chat.reply;
    if (toolCalls.length === 0) return content;
    const cut = toolCalls.find((call) => !call.complete);
    if (cut)
      return `the call of ${cut.name} was cut (${chat.choices[0]?.finishReason}): raise maxTokens`;
    messages.push({
      role: 'ASSISTANT',
      toolCalls: toolCalls.map(({ id, name, argumentsText }) => ({ id, name, argumentsText })),
    });
    for (const call of toolCalls) {
      const tool = tools.find((t) => t.name === call.name);
      const result = tool ? await tool.run(call.arguments) : `no tool named ${call.name}`;
      messages.push({ role: 'TOOL', toolCallId: call.id, content: result });
    }
  }
  return `no answer after ${maxTurns} turns`;
}

/** A vector sent as base64 of little-endian float32 (`encoding: BASE64`). */
export function decodeVector(base64: string): Float32Array {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * (b[i] ?? 0);
  return dot; // both are normalised
};

/**
 * Retrieval in one operation: the query and the passages embedded (one upstream call per model),
 * the passages ordered by cosine similarity to the query, and reranked by a ranking model.
 */
export async function search(
  endpoint: string,
  query: string,
  passages: string[],
  topN = 2,
): Promise<{ bySimilarity: string[]; reranked: { passage: string; probability: number }[] }> {
  const { models } = await execute(endpoint, ModelsDocument);
  const embeddingModel = models.find((m) => m.kind === 'EMBEDDING')?.id;
  const rankingModel = models.find((m) => m.kind === 'RANKING')?.id;
  if (!embeddingModel || !rankingModel) throw new Error('no embedding or no ranking model served');
  const found = await execute(endpoint, SearchDocument, {
    embeddingModel,
    rankingModel,
    query,
    passages,
    topN,
  });
  if (found.query.__typename !== 'Embeddings')
    throw new Error(`${found.query.code}: ${found.query.message}`);
  if (found.passages.__typename !== 'Embeddings')
    throw new Error(`${found.passages.code}: ${found.passages.message}`);
  if (found.rerank.__typename !== 'Rankings')
    throw new Error(`${found.rerank.code}: ${found.rerank.message}`);
  const target = found.query.vectors[0]!;
  const scored = found.passages.base64.map((v, i) => ({
    i,
    score: cosine(decodeVector(v), target),
  }));
  return {
    bySimilarity: scored.sort((a, b) => b.score - a.score).map(({ i }) => passages[i]!),
    reranked: found.rerank.rankings.map(({ passage, probability }) => ({ passage, probability })),
  };
}

if (import.meta.main) {
  const endpoint = process.argv[2] ?? 'http://localhost:4000/graphql';
  console.log(await tellAStory(endpoint));
  const { models } = await execute(endpoint, ModelsDocument);
  const model = models.find((m) => m.kind === 'GENERATION')?.id ?? 'sim/lorem-8b-instruct';
  const summary = await streamAnswer(endpoint, model, 'Describe a harbor.', (text) =>
    process.stdout.write(text),
  );
  console.log(`\n${summary}`);
  const weather: Tool = {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    run: (args) => JSON.stringify({ city: (args as { city?: string }).city, celsius: 12 }),
  };
  console.log(await askWithTools(endpoint, model, 'Weather in Oslo?', [weather]));
  console.log(
    await search(endpoint, 'harbor lighthouse', [
      'Apple pie with cream.',
      'The harbor lighthouse at night.',
      'A lighthouse keeper.',
    ]),
  );
}
