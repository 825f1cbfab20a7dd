// GraphQL Code Generator: typed documents for the operations in examples/, from the committed SDL.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  importExtension: '.ts',
  documents: ['examples/operations/**/*.graphql'],
  generates: {
    // Apollo Client's InMemoryCache needs the interfaces and unions to read a union member's fields
    // (without it a ModelNotFoundError arrives with code and message undefined): pass it as
    // `possibleTypes`. urql's Graphcache takes the same map.
    'examples/gql/possible-types.ts': {
      plugins: ['fragment-matcher'],
      config: { apolloClientVersion: 3, useExplicitTyping: true },
    },
    'examples/gql/': {
      preset: 'client',
      // persisted-documents.json is the trusted-documents manifest (TRUSTED_DOCUMENTS_FILE).
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' },
      },
      config: {
        documentMode: 'string',
        useTypeImports: true,
        enumType: 'string-literal',
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
};

export default config;
