// Embedding requests of one operation, batched: every `embed` field asks the per-request loader,
// which sends the inputs of all fields with the same model and options as one upstream call (or
// several of at most `batchSize` inputs) and hands each field its own vectors back, in order.
import DataLoader from 'dataloader';
import type {
  EmbeddingEncoding,
  EmbeddingRequest,
  EmbeddingResponse,
  InputType,
  InputUsage,
  Truncate,
} from './wire.ts';
import { NimError } from './errors.ts';

export interface EmbedQuery {
  model: string;
  inputs: readonly string[];
  inputType: InputType | null;
  truncate: Truncate | null;
  dimensions: number | null;
  encoding: EmbeddingEncoding;
}

/** A vector as it came: numbers, or base64 of little-endian float32. */
export type Vector = readonly number[] | string;

export interface Embedded {
  vectors: Vector[];
  model: string;
  /**
   * This query's input tokens: what the upstream reported for the calls that carried its inputs,
   * shared among the queries in a call by their characters; null when the upstream did not say.
   */
  promptTokens: number | null;
}

export interface EmbeddingBatcherOptions {
  embed(body: EmbeddingRequest): Promise<EmbeddingResponse>;
  batchSize: number;
  /** Every upstream call's usage, once (the operation's token count), with the inputs it carried. */
  onUsage(model: string, usage: InputUsage, inputs: readonly string[]): void;
}

/** Input tokens cannot be known before the call: tokenizers average about 4 characters a token. */
const CHARS_PER_TOKEN = 4;

/** The estimate the cost limits reserve for an input, and count when the upstream reports no usage. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / CHARS_PER_TOKEN));
}

/** Queries that may share an upstream call: the same model and options. */
const groupOf = (q: EmbedQuery) =>
  JSON.stringify([q.model, q.inputType, q.truncate, q.dimensions, q.encoding]);

interface Slot {
  query: number;
  position: number;
  text: string;
}

export class EmbeddingBatcher {
  readonly #loader: DataLoader<EmbedQuery, Embedded>;
  readonly #options: EmbeddingBatcherOptions;

  constructor(options: EmbeddingBatcherOptions) {
    this.#options = options;
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: every field loads a query object of its own, so a cache keyed by identity never hits
    this.#loader = new DataLoader((queries) => this.#batch(queries), { cache: false });
  }

  load(query: EmbedQuery): Promise<Embedded> {
    return this.#loader.load(query);
  }

  async #batch(queries: readonly EmbedQuery[]): Promise<(Embedded | Error)[]> {
    const results: (Embedded | Error)[] = queries.map((q) => ({
      // Stryker disable next-line ArrayDeclaration: each position is set by index before the result is handed back, or the result is an error
      vectors: new Array<Vector>(q.inputs.length),
      model: q.model,
      promptTokens: 0,
    }));
    const groups = new Map<string, Slot[]>();
    queries.forEach((q, query) => {
      const slots = groups.get(groupOf(q)) ?? [];
      q.inputs.forEach((text, position) => slots.push({ query, position, text }));
      groups.set(groupOf(q), slots);
    });
    // Stryker disable next-line ArrayDeclaration: Promise.all passes a stray element through and still waits for every call
    const calls: Promise<void>[] = [];
    for (const slots of groups.values()) {
      for (let start = 0; start < slots.length; start += this.#options.batchSize) {
        const chunk = slots.slice(start, start + this.#options.batchSize);
        calls.push(this.#call(queries[chunk[0]!.query]!, chunk, results));
      }
    }
    await Promise.all(calls);
    return results;
  }

  async #call(query: EmbedQuery, chunk: Slot[], results: (Embedded | Error)[]): Promise<void> {
    const body: EmbeddingRequest = {
      model: query.model,
      input: chunk.map((s) => s.text),
      encoding_format: query.encoding,
      ...(query.inputType === null ? {} : { input_type: query.inputType }),
      ...(query.truncate === null ? {} : { truncate: query.truncate }),
      ...(query.dimensions === null ? {} : { dimensions: query.dimensions }),
    };
    let response: EmbeddingResponse;
    try {
      response = await this.#options.embed(body);
      const byIndex = new Map(response.data.map((d) => [d.index, d.embedding]));
      if (byIndex.size !== chunk.length || chunk.some((_, i) => !byIndex.has(i)))
        throw new NimError({
          kind: 'upstream',
          status: 200,
          model: query.model,
          message: `upstream sent ${response.data.length} embeddings for ${chunk.length} inputs`,
        });
      chunk.forEach((slot, i) => {
        const result = results[slot.query];
        if (result instanceof Error || result === undefined) return;
        result.vectors[slot.position] = byIndex.get(i)!;
        if (response.model !== null) result.model = response.model;
      });
    } catch (error) {
      for (const slot of chunk) results[slot.query] = error as Error;
      return;
    }
    this.#options.onUsage(query.model, response.usage, body.input);
    this.#share(chunk, response.usage, results);
  }

  /** The call's tokens divided among its queries by characters (largest remainders), so they add up. */
  #share(chunk: Slot[], usage: InputUsage, results: (Embedded | Error)[]): void {
    const chars = new Map<number, number>();
    for (const slot of chunk)
      // Stryker disable next-line ArithmeticOperator: counted down instead, every count is negated alike, and a share is the ratio of two
      chars.set(slot.query, (chars.get(slot.query) ?? 0) + Math.max(1, slot.text.length));
    const total = [...chars.values()].reduce((a, b) => a + b, 0);
    const tokens = usage?.prompt_tokens ?? null;
    const shares = [...chars].map(([query, n]) => {
      const exact = tokens === null ? 0 : (tokens * n) / total;
      return { query, floor: Math.floor(exact), rest: exact - Math.floor(exact) };
    });
    let left = tokens === null ? 0 : tokens - shares.reduce((a, s) => a + s.floor, 0);
    for (const share of [...shares].sort((a, b) => b.rest - a.rest)) {
      const result = results[share.query];
      if (result instanceof Error || result === undefined) continue;
      const extra = left > 0 ? 1 : 0;
      left -= extra;
      result.promptTokens =
        tokens === null || result.promptTokens === null
          ? null
          : result.promptTokens + share.floor + extra;
    }
  }
}

/** The vector as numbers, decoded from base64 float32 when it came so. */
export function vectorFloats(vector: Vector): readonly number[] {
  if (typeof vector !== 'string') return vector;
  const bytes = Buffer.from(vector, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: Math.floor(bytes.byteLength / 4) }, (_, i) =>
    view.getFloat32(i * 4, true),
  );
}

/** The vector as base64 of little-endian float32 (what OpenAI's `encoding_format: "base64"` sends). */
export function vectorBase64(vector: Vector): string {
  if (typeof vector === 'string') return vector;
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

/** How many values the vector holds. */
export function vectorLength(vector: Vector): number {
  return typeof vector === 'string'
    ? Math.floor(Buffer.from(vector, 'base64').length / 4)
    : vector.length;
}
