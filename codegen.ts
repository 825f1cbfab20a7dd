// GraphQL Code Generator, `npm run codegen` (`-- --check` in `npm test`): typed documents from the
// committed SDL, for the operations in examples/operations (examples/gql/) and for each example
// app, whose own codegen.ts (the config a frontend copies) is run here too, so a schema change that
// breaks an app fails `npm test`, with the types of the parts the apps share (examples/react-shared).
import { posix } from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';
import apollo from './examples/apollo/codegen.ts';
import urql from './examples/urql/codegen.ts';
import reactShared from './examples/react-shared/codegen.ts';

type Outputs = CodegenConfig['generates'];

/**
 * An app's outputs, its paths taken from the repository's root: an app's codegen.ts is written to
 * run in the app's folder. Each output gets the app's schema and documents (none are set at the
 * root, or every output would load them all).
 */
function fromRoot(dir: string, app: CodegenConfig): Outputs {
  const { schema, documents, importExtension, generates, ...rest } = app;
  if (typeof schema !== 'string' || !Array.isArray(documents) || Object.keys(rest).length > 0) {
    throw new Error(`${dir}/codegen.ts: expected a schema path, a list of documents and outputs`);
  }
  const path = (p: string) =>
    p.startsWith('!') ? `!${posix.join(dir, p.slice(1))}` : posix.join(dir, p);
  return Object.fromEntries(
    Object.entries(generates).map(([file, output]) => {
      if (Array.isArray(output)) throw new Error(`${dir}/codegen.ts: ${file} needs an object`);
      return [
        path(file), // a preset's folder keeps its trailing slash
        {
          ...output,
          schema: path(schema),
          documents: documents.map((d) => {
            if (typeof d !== 'string') throw new Error(`${dir}/codegen.ts: documents are globs`);
            return path(d);
          }),
          config: { importExtension, ...output.config },
        },
      ];
    }),
  );
}

const config: CodegenConfig = {
  importExtension: '.ts',
  generates: {
    // Apollo Client's InMemoryCache needs the interfaces and unions to read a union member's fields
    // (without it a ModelNotFoundError arrives with code and message undefined): pass it as
    // `possibleTypes`. urql's Graphcache takes the same map.
    'examples/gql/possible-types.ts': {
      schema: 'schema.graphql',
      documents: ['examples/operations/**/*.graphql'],
      plugins: ['fragment-matcher'],
      config: { apolloClientVersion: 3, useExplicitTyping: true },
    },
    'examples/gql/': {
      schema: 'schema.graphql',
      documents: ['examples/operations/**/*.graphql'],
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
    ...fromRoot('examples/apollo', apollo),
    ...fromRoot('examples/urql', urql),
    ...fromRoot('examples/react-shared', reactShared),
  },
};

export default config;
