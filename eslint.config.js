// Lint: ESLint's and typescript-eslint's recommended rules. Types are checked by `tsc` (npm run typecheck).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // contract/generated/ is @grpc/proto-loader's output (npm run contract:gen), checked for staleness by a test, not linted.
  { ignores: ['node_modules/', 'dist/', 'build/', 'cdk.out/', 'bench-results/', 'contract/generated/'] },
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
  // runtime; ipamd imports nothing of the plugin; contract/ is imported by both and imports
  // nothing outside itself.
  {
    files: ['cni/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/ipamd/**', '**/sim/**', '**/warm-pool/**'], message: 'the CNI plugin shares only contract/ with ipamd (DESIGN.md §1)' },
            { group: ['@grpc/*', 'protobufjs', '@aws-sdk/*', 'winston'], message: 'the CNI plugin is a lean one-shot executable (cni/ipam/ is its ipamd client)' },
          ],
        },
      ],
    },
  },
  {
    files: ['contract/**/*.ts'],
    ignores: ['contract/generate.ts'], // the generator's build step, not part of the contract
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!\\./)', message: 'contract/ is imported by the plugin and ipamd, and imports nothing but contract/' }] }] },
  },
  {
    files: ['ipamd/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/cni/**'], message: 'ipamd shares only contract/ with the CNI plugin (DESIGN.md §1)' }] }] },
  },
);
