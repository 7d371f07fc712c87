import type { CodegenConfig } from '@graphql-codegen/cli';

// GraphQL Code Generator's client preset over this gateway's schema, run from the project's root
// (`npm run codegen`). It writes typed documents and persisted-documents.json, the hash → document
// map the gateway serves with PERSISTED_OPERATIONS_FILE.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: 'examples/operations/*.graphql',
  generates: {
    'examples/gql/': {
      preset: 'client',
      presetConfig: {
        // Each document carries its id, `sha256:<hex>`, in __meta__.hash: its key in the manifest.
        persistedDocuments: { hashAlgorithm: 'sha256' },
        // Result types with the fragments' fields in place, read without an unmasking call.
        fragmentMasking: false,
      },
      // ES module imports as Node and TypeScript's NodeNext want them: `import type`, `./gql.js`.
      config: { useTypeImports: true, importExtension: '.js' },
    },
  },
};

export default config;
