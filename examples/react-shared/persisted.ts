// Trusted documents, for both example apps: the gateway (TRUSTED_DOCUMENTS_FILE = the app's
// src/gql/persisted-documents.json) runs only the documents of the app's manifest, asked for by
// hash. Codegen embeds each document's hash in it (persistedDocuments: embedHashInDocument), as
// `__meta__.hash`, which the generated types do not declare: this reads it without a cast, for the
// client's own link or exchange for persisted queries.
import type { DocumentNode } from 'graphql';

/** The manifest hash codegen embedded in a document ("sha256:…"). */
export function persistedHash(document: DocumentNode): string {
  const meta = '__meta__' in document ? document.__meta__ : undefined;
  if (
    typeof meta === 'object' &&
    meta !== null &&
    'hash' in meta &&
    typeof meta.hash === 'string'
  ) {
    return meta.hash;
  }
  throw new Error('A document without an embedded hash: use the documents from src/gql.');
}
