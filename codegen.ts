/**
 * GraphQL Code Generator: typed documents for the web client from the printed schema.
 * `npm run codegen` writes client/src/gql/ (committed); tests/e2e/codegen.test.ts fails when it is stale.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['client/src/**/*.{ts,tsx}', '!client/src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    'client/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        skipTypename: true,
        // Uploads are browser File objects going in; the scalar never comes back out.
        scalars: { File: { input: 'File', output: 'never' } },
      },
    },
  },
};

export default config;
