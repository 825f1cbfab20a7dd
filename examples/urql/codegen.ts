// GraphQL Code Generator for a frontend on urql with Graphcache: copy this file into the app and run
// `npx graphql-codegen` there (it needs @graphql-codegen/cli, @graphql-codegen/client-preset,
// @graphql-codegen/urql-introspection, and @graphql-typed-document-node/core for the types the
// generated documents import). Paths are relative to the app's folder; this repository's
// `npm run codegen` runs it too (the root codegen.ts), so a schema change that breaks the app
// fails `npm test`.
import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

const config: CodegenConfig = {
  // The gateway's SDL (in an app: node_modules/nim-graphql/schema.graphql, or the running endpoint).
  schema: '../../schema.graphql',
  // The operations: the documents the two example apps share. An app of its own lists its own,
  // .graphql files or `graphql(…)` calls in its code ('src/**/*.{ts,tsx}', '!src/gql/**').
  documents: ['../react-shared/operations.graphql'],
  // Relative imports with their extension (this repository type-checks with nodenext resolution);
  // a bundler-resolved app can leave it out.
  importExtension: '.ts',
  generates: {
    // Graphcache's schema awareness, cacheExchange({ schema }): it knows every type, union and
    // interface, so a typed error reads back with its fields (a ModelNotFoundError's code and
    // message), and the fragments of a union's other members are neither written nor warned about.
    'src/gql/introspection.ts': {
      plugins: ['urql-introspection'],
      config: { useTypeImports: true },
    },
    'src/gql/': {
      preset: 'client',
      // __typename in every selection, in the typed documents and in the manifest alike: with
      // trusted documents the gateway runs the manifest's text, and the cache needs __typename.
      documentTransforms: [addTypenameSelectionDocumentTransform],
      presetConfig: {
        fragmentMasking: false,
        // Each document carries its hash (document.__meta__.hash), and persisted-documents.json is
        // the manifest to give the gateway as TRUSTED_DOCUMENTS_FILE.
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' },
      },
      config: {
        // documentMode stays the default, graphQLTag: urql and Graphcache take the documents as ASTs.
        useTypeImports: true,
        enumType: 'string-literal',
        // Every custom scalar is mapped, or codegen fails (strictScalars): a new one needs a type here.
        strictScalars: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
};

export default config;
