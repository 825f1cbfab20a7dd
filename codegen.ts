// GraphQL Code Generator: typed documents for the operations in examples/, from the committed SDL.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  importExtension: '.ts',
  documents: ['examples/operations/**/*.graphql'],
  generates: {
    'examples/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
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
