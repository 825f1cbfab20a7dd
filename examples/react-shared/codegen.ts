// GraphQL Code Generator: the result and variables types of operations.graphql, for the parts the
// two example apps share (views.tsx, chat-stream.ts), written to gql/ by the root codegen.ts. Types
// only: each app runs the operations with the typed documents its own codegen.ts writes from the
// same file, with the same options for what a type holds (`__typename` on every selection, the
// scalars, string-literal enums), so an app's results are these types; where one differs, the type
// check fails where the app hands it to a view.
import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['operations.graphql'],
  importExtension: '.ts',
  generates: {
    'gql/': {
      preset: 'client',
      documentTransforms: [addTypenameSelectionDocumentTransform],
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumType: 'string-literal',
        strictScalars: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
        // Of the schema's types, only the enums and inputs the operations use.
        onlyOperationTypes: true,
      },
    },
  },
};

export default config;
