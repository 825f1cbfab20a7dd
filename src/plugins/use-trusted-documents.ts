// Trusted documents: with TRUSTED_DOCUMENTS_FILE set, only the operations of its manifests run, by
// hash, as frontends ship them (GraphQL Code Generator's persisted-documents.json: {hash: document}).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultExtractPersistedOperationId,
  usePersistedOperations,
} from '@graphql-yoga/plugin-persisted-operations';
import type { Plugin } from 'graphql-yoga';
import { ConfigError } from '../config.ts';

const EXPECTED =
  'expected a JSON object of {"<sha256 hex>": "<GraphQL document>"} as GraphQL Code Generator writes it';

/** The manifest files a source names: the file, or every `*.json` of the directory, in name order. */
function filesOf(source: string): string[] {
  if (!statSync(source, { throwIfNoEntry: false })?.isDirectory()) return [source];
  // Stryker disable next-line MethodExpression: a hash names one document whichever manifest holds it, so their order changes nothing.
  return readdirSync(source)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(source, name));
}

/** One manifest file's documents; throws a problem line naming the file. */
function readManifest(path: string): [string, string][] {
  let parsed: unknown;
  try {
    // Stryker disable next-line StringLiteral: without an encoding readFileSync returns a Buffer, which JSON.parse reads as UTF-8 too.
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? 'is not JSON'
        : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new Error(`TRUSTED_DOCUMENTS_FILE=${JSON.stringify(path)} ${reason}; ${EXPECTED}`);
  }
  const entries =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? Object.entries(parsed)
      : null;
  if (
    entries === null ||
    entries.length === 0 ||
    !entries.every(([, doc]) => typeof doc === 'string')
  ) {
    throw new Error(
      `TRUSTED_DOCUMENTS_FILE=${JSON.stringify(path)} holds no documents; ${EXPECTED}`,
    );
  }
  return entries as [string, string][];
}

/** What the sources hold now, and a stamp of their files (names, sizes, times) to tell a change. */
function snapshot(sources: readonly string[]): { files: string[]; stamp: string } {
  const files = sources.flatMap(filesOf);
  const stamp = files
    .map((file) => {
      const stat = statSync(file, { throwIfNoEntry: false });
      // Stryker disable next-line UnaryOperator: a file that is gone has no size or time; any value no file has will do.
      return `${file}:${stat?.size ?? -1}:${stat?.mtimeMs ?? -1}`;
    })
    // Stryker disable next-line StringLiteral: a separator only keeps the stamps of different file sets apart.
    .join('\n');
  return { files, stamp };
}

function readAll(sources: readonly string[], files: readonly string[]): Map<string, string> {
  if (files.length === 0)
    throw new Error(
      `TRUSTED_DOCUMENTS_FILE=${JSON.stringify(sources.join(','))} holds no documents; ${EXPECTED}`,
    );
  return new Map(files.flatMap(readManifest));
}

/**
 * The trusted documents of TRUSTED_DOCUMENTS_FILE: a manifest file, a directory of them (every
 * `*.json`, one per frontend), or a comma-separated list of either. Read and checked at start, so a
 * wrong path or file stops the process with a clear line; then looked at again at most once every
 * `recheckMs`, and read again when a file changed, was added or went away: a new operation is served
 * without a restart. A reload that fails keeps the documents in use, and says why once.
 */
export class TrustedDocuments {
  readonly #sources: readonly string[];
  readonly #recheckMs: number;
  readonly #warn: (message: string) => void;
  readonly #now: () => number;
  #documents: Map<string, string>;
  #stamp: string;
  #checkedAt: number;
  #failedStamp: string | null = null;

  constructor(
    spec: string,
    options: { recheckMs?: number; warn?: (message: string) => void; now?: () => number } = {},
  ) {
    this.#sources = spec
      .split(',')
      .map((source) => source.trim())
      .filter((source) => source !== '');
    this.#recheckMs = options.recheckMs ?? 1_000;
    this.#warn = options.warn ?? (() => undefined);
    this.#now = options.now ?? Date.now;
    const { files, stamp } = snapshot(this.#sources);
    try {
      this.#documents = readAll(this.#sources, files);
    } catch (error) {
      throw new ConfigError([(error as Error).message]);
    }
    this.#stamp = stamp;
    this.#checkedAt = this.#now();
  }

  /** The document a hash names. Code Generator keys the manifest "sha256:<hex>"; APQ clients send the bare hex. */
  get(hash: string): string | null {
    this.#recheck();
    return this.#documents.get(hash) ?? this.#documents.get(`sha256:${hash}`) ?? null;
  }

  #recheck(): void {
    const now = this.#now();
    if (now - this.#checkedAt < this.#recheckMs) return;
    this.#checkedAt = now;
    const { files, stamp } = snapshot(this.#sources);
    // Stryker disable next-line ConditionalExpression: reading unchanged files again gives the same documents.
    if (stamp === this.#stamp || stamp === this.#failedStamp) return;
    try {
      this.#documents = readAll(this.#sources, files);
      this.#stamp = stamp;
      this.#failedStamp = null;
    } catch (error) {
      // A file being written, or a bad one: keep serving what was there.
      this.#failedStamp = stamp;
      this.#warn(
        `trusted documents not reloaded, still serving the ${this.#documents.size} in use: ${(error as Error).message}`,
      );
    }
  }
}

export function useTrustedDocuments(documents: TrustedDocuments): Plugin {
  return usePersistedOperations({
    getPersistedOperation: (hash) => documents.get(hash),
    allowArbitraryOperations: false,
    // Apollo's APQ extension (GraphQL Code Generator's clients), or a top-level `doc_id`, the body
    // Relay's docs have its network layer send with the compiler's id (a POST's JSON body only).
    extractPersistedOperationId: (params, request, context) => {
      const docId = (params as { doc_id?: unknown }).doc_id;
      return (
        defaultExtractPersistedOperationId(params, request, context) ??
        (typeof docId === 'string' ? docId : null)
      );
    },
    customErrors: {
      persistedQueryOnly: {
        message:
          'Only trusted documents run here: send extensions.persistedQuery.sha256Hash of a document in the manifest, without a query.',
        extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400, spec: true } },
      },
      keyNotFound: {
        message:
          'Send extensions.persistedQuery with version 1 and the sha256Hash of a document in the manifest (or, as Relay does, its id as doc_id).',
        extensions: { code: 'PERSISTED_QUERY_ID_REQUIRED', http: { status: 400, spec: true } },
      },
      notFound: {
        message: 'This document hash is not in the trusted documents manifest.',
        extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 400, spec: true } },
      },
    },
  });
}
