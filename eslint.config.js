// Lint: ESLint's and typescript-eslint's recommended rules. Types are checked by `tsc` (npm run typecheck).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'build/', 'cdk.out/', 'bench-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  // Boundaries (DESIGN.md §1, §8): the plugin shares only contract/ with ipamd and loads no gRPC
  // runtime; contract/ is imported by both and imports nothing.
  {
    files: ['cni/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/ipamd/**', '**/sim/**', '**/warm-pool/**'], message: 'the CNI plugin shares only contract/ with ipamd (DESIGN.md §1)' },
            { group: ['@grpc/*', 'protobufjs', '@aws-sdk/*', 'winston'], message: 'the CNI plugin is a lean one-shot executable (cni/ipam/ is its gRPC client)' },
          ],
        },
      ],
    },
  },
  {
    files: ['contract/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['*', '.*', '/*'], message: 'contract/ is imported by the plugin and ipamd, and imports nothing' }] }] },
  },
);
