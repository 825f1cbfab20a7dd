// Trusted documents: with TRUSTED_DOCUMENTS_FILE set, only the operations of that manifest run, by
// hash, as a frontend ships them (GraphQL Code Generator's persisted-documents.json: {hash: document}).
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { Plugin } from 'graphql-yoga';
import { ConfigError } from '../config.ts';

/** Reads and checks the manifest at start, so a wrong path or file stops the process with a clear line. */
export function loadTrustedDocuments(path: string): ReadonlyMap<string, string> {
  const expected =
    'expected a JSON object of {"<sha256 hex>": "<GraphQL document>"} as GraphQL Code Generator writes it';
  let parsed: unknown;
  try {
    // Stryker disable next-line StringLiteral: without an encoding readFileSync returns a Buffer, which JSON.parse reads as UTF-8 too.
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? 'is not JSON'
        : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new ConfigError([
      `TRUSTED_DOCUMENTS_FILE=${JSON.stringify(path)} ${reason}; ${expected}`,
    ]);
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
    throw new ConfigError([
      `TRUSTED_DOCUMENTS_FILE=${JSON.stringify(path)} holds no documents; ${expected}`,
    ]);
  }
  return new Map(entries as [string, string][]);
}

/** The document a hash names. Code Generator keys the manifest "sha256:<hex>"; APQ clients send the bare hex. */
function trustedDocument(documents: ReadonlyMap<string, string>, hash: string): string | null {
  return documents.get(hash) ?? documents.get(`sha256:${hash}`) ?? null;
}

export function useTrustedDocuments(documents: ReadonlyMap<string, string>): Plugin {
  return usePersistedOperations({
    getPersistedOperation: (hash) => trustedDocument(documents, hash),
    allowArbitraryOperations: false,
    customErrors: {
      persistedQueryOnly: {
        message:
          'Only trusted documents run here: send extensions.persistedQuery.sha256Hash of a document in the manifest, without a query.',
        extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } },
      },
      keyNotFound: {
        message:
          'Send extensions.persistedQuery with version 1 and the sha256Hash of a document in the manifest.',
        extensions: { code: 'PERSISTED_QUERY_ID_REQUIRED', http: { status: 400 } },
      },
      notFound: {
        message: 'This document hash is not in the trusted documents manifest.',
        extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 400 } },
      },
    },
  });
}
