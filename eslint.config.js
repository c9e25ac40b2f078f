// Lint: ESLint's and typescript-eslint's recommended rules. Types are checked by `tsc` (npm run typecheck).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * A relative import that reaches into one of `folders` (a package name never matches). As a
 * regular expression because the same text also has to catch `import()`, which
 * no-restricted-imports does not look at: no-restricted-syntax does, through an esquery regex,
 * which may not contain a `/` (hence \x2F).
 */
const into = (folders) => `^\\.{1,2}\\x2F(.*\\x2F)?(${folders.join('|')})\\x2F`;

/** Production code (DESIGN.md §1): what the image ships. It never loads the emulator, the harness or tests. */
const PRODUCTION = ['ipamd/**/*.ts', 'cni/**/*.ts', 'warm-pool/**/*.ts', 'contract/**/*.ts', 'iproute/**/*.ts', 'durable/**/*.ts', 'migrate/**/*.ts', 'metrics-helper/**/*.ts', 'bin/vpcwire.ts'];
const NOT_DEV_CODE = {
  regex: into(['sim', 'cluster', 'test']),
  message: 'production code never loads sim/, cluster/ or test/: the image ships none of them (DESIGN.md §1, issue 10 item 3)',
};
/** The emulator is a leaf (DESIGN.md §8): it shares no code with what it is the oracle for. */
const SIM_LEAF = {
  regex: into(['ipamd', 'cni', 'warm-pool', 'contract', 'iproute', 'durable', 'cluster', 'test', 'bin']),
  message: 'sim/ imports nothing outside sim/: it is an independent oracle for the code it tests (issue 10 item 3)',
};
/** The local-cluster harness serves the tests and the demo, never the other way round. */
const HARNESS_NOT_TESTS = { regex: into(['test']), message: 'cluster/ is used by tests, it does not use them' };

/**
 * ipamd: nothing of the plugin; the Kubernetes client only as types, its code loaded by
 * ipamd/kube/client.ts with import() (issue 11: a standalone ipamd never loads it).
 */
const IPAMD_PATTERNS = [
  NOT_DEV_CODE,
  { group: ['**/cni/**'], message: 'ipamd shares only contract/ with the CNI plugin (DESIGN.md §1)' },
  {
    group: ['@kubernetes/client-node', '@kubernetes/client-node/*'],
    allowTypeImports: true,
    message: 'only types: ipamd/kube/client.ts loads the Kubernetes client lazily, so a standalone ipamd never does (issue 11)',
  },
];
/** prom-client has one home (issue 13): the rest of ipamd reports through the MetricsPort. */
const PROM_CLIENT_ONE_HOME = {
  group: ['prom-client', 'prom-client/*'],
  message: 'only ipamd/metrics/prometheus.ts imports prom-client; report events through ipamd/metrics/port.ts (MetricsPort)',
};

/** Outside ipamd/kube/, the Kubernetes side is reached only through the daemon's import(). */
const KUBE_ONLY_LAZILY = {
  // settings.ts is plain parsing (config.ts reads it in every mode) and imports no client.
  group: ['./kube/*', '../kube/*', '**/ipamd/kube/*', '!./kube/settings.ts'],
  allowTypeImports: true,
  message: 'ipamd/kube/ is imported lazily (daemon.ts startKubeLink), never statically: a standalone ipamd must not load it (issue 11)',
};

/**
 * iam/: the one home of vpcwire's IAM documents, plain JSON values that the CDK app, render.ts, the
 * emulator's tests and operators take from it. It imports nothing outside itself, so whoever uses it
 * (cdk/ above all, which may not load sim/, cluster/ or test/) gets nothing more.
 */
const IAM_LEAF = { regex: '^\\.\\.\\x2F', message: 'iam/ imports nothing outside iam/: its documents are plain JSON that cdk/, render.ts and the tests take from it' };

/**
 * metrics-helper/: the CloudWatch publisher, a subcommand of the node CLI. Its SDKs only as types,
 * loaded by import() when it runs (cloudwatch.ts, ipamd/kube/client.ts), so the CLI's other
 * commands and the CDK app (which takes catalog.ts) load neither.
 */
const METRICS_HELPER_PATTERNS = [
  NOT_DEV_CODE,
  {
    group: ['@aws-sdk/*', '@kubernetes/client-node', '@kubernetes/client-node/*'],
    allowTypeImports: true,
    message: 'only types: metrics-helper loads its SDKs with import() when it runs',
  },
];

/** cdk/: a real cluster's description. */
const CDK_ONLY_REAL = { regex: into(['sim', 'cluster', 'test']), message: 'cdk/ describes a real cluster: it never loads sim/, cluster/ or test/' };
const CDK_IPAMD = {
  group: ['**/ipamd/**', '!**/ipamd/max-pods.ts', '!**/ipamd/instance-catalog.ts'],
  message: 'cdk/ uses of ipamd only max-pods.ts and instance-catalog.ts (the computation `vpcwire max-pods` does)',
};

/** The same patterns for `import()` (see into()). */
const dynamicImports = (...patterns) => [
  'error',
  ...patterns.map(({ regex, message }) => ({ selector: `ImportExpression[source.value=/${regex}/]`, message })),
];

export default tseslint.config(
  // contract/generated/ is @grpc/proto-loader's output (npm run contract:gen), checked for staleness by a test, not linted.
  { ignores: ['node_modules/', 'dist/', 'build/', 'cdk.out/', 'cdk/cdk.out/', 'bench-results/', 'contract/generated/'] },
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
            NOT_DEV_CODE,
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
  // Emulator, harness and the rest of production (issue 10 items 3 and 6); test/lint/boundaries.test.ts
  // shows each rule failing on a forbidden import. One block per file set: a later block's
  // no-restricted-imports would replace an earlier one's, not add to it.
  {
    files: ['ipamd/**/*.ts'],
    ignores: ['ipamd/kube/**', 'ipamd/metrics/prometheus.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...IPAMD_PATTERNS, KUBE_ONLY_LAZILY, PROM_CLIENT_ONE_HOME] }] },
  },
  { files: ['ipamd/metrics/prometheus.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [...IPAMD_PATTERNS, KUBE_ONLY_LAZILY] }] } },
  { files: ['ipamd/kube/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [...IPAMD_PATTERNS, PROM_CLIENT_ONE_HOME] }] } },
  {
    files: ['warm-pool/**/*.ts', 'iproute/**/*.ts', 'durable/**/*.ts', 'migrate/**/*.ts', 'bin/vpcwire.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NOT_DEV_CODE] }] },
  },
  { files: ['metrics-helper/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: METRICS_HELPER_PATTERNS }] } },
  { files: PRODUCTION, rules: { 'no-restricted-syntax': dynamicImports(NOT_DEV_CODE) } },
  {
    files: ['sim/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [SIM_LEAF] }],
      'no-restricted-syntax': dynamicImports(SIM_LEAF),
    },
  },
  {
    files: ['iam/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [IAM_LEAF] }],
      'no-restricted-syntax': dynamicImports(IAM_LEAF),
    },
  },
  // The CDK app describes a real cluster: nothing of the emulator, the harness or the tests, and of
  // ipamd only the pure max-pods arithmetic and the instance data it reads (cdk/node-config.ts).
  {
    files: ['cdk/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [CDK_ONLY_REAL, CDK_IPAMD] }],
      'no-restricted-syntax': dynamicImports(CDK_ONLY_REAL),
    },
  },
  {
    files: ['cluster/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [HARNESS_NOT_TESTS] }],
      'no-restricted-syntax': dynamicImports(HARNESS_NOT_TESTS),
    },
  },
);
