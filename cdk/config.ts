/**
 * The test cluster's settings, read once from CDK context (`-c key=value` or cdk.json "context") into
 * a frozen object; a bad value is rejected with a message naming the key. Context rather than
 * CloudFormation parameters: max pods, the Kubernetes version's kubectl layer and the ENIConfigs are
 * decided at synth time.
 */
import { fileURLToPath } from 'node:url';

/** The kubectl layer the app ships (@aws-cdk/lambda-layer-kubectl-v35): kubectl and helm 1.35. */
export const KUBECTL_MINOR = 35;

/** Where the chart lives in this repository (issue 12's chart); a context key or prop overrides it. */
export const DEFAULT_CHART_PATH = fileURLToPath(new URL('../charts/vpcwire', import.meta.url));

export interface TestClusterConfig {
  readonly clusterName: string;
  /** "1.MINOR", within kubectl's skew (one minor) of the kubectl layer. */
  readonly kubernetesVersion: string;
  readonly instanceTypes: readonly string[];
  readonly nodeCount: number;
  readonly customNetworking: boolean;
  readonly prefixDelegation: boolean;
  readonly vcpus: Readonly<Record<string, number>>;
  readonly chartPath: string;
  /** The secondary CIDR the pod subnets are cut from. */
  readonly podCidr: string;
  /** An IAM principal ARN given cluster-admin through an EKS access entry (for kubectl after deploy). */
  readonly adminPrincipalArn?: string;
  /** Chart values merged over the computed ones (top-level keys replace), e.g. the image to run. */
  readonly chartValues: Readonly<Record<string, unknown>>;
}

export const DEFAULTS: TestClusterConfig = Object.freeze({
  clusterName: 'vpcwire-test',
  kubernetesVersion: `1.${KUBECTL_MINOR}`,
  instanceTypes: Object.freeze(['t3.medium']),
  nodeCount: 2,
  customNetworking: false,
  prefixDelegation: false,
  vcpus: Object.freeze({}),
  chartPath: DEFAULT_CHART_PATH,
  podCidr: '100.64.0.0/16',
  chartValues: Object.freeze({}),
});

export class ConfigError extends Error {
  constructor(key: string, value: unknown, why: string) {
    super(`context '${key}': ${why} (got ${JSON.stringify(value)})`);
    this.name = 'ConfigError';
  }
}

function bool(key: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new ConfigError(key, v, 'must be true or false');
}

function parseJsonIfString(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** Settings from context: `get(key)` is node.tryGetContext (undefined when unset). */
export function readConfig(get: (key: string) => unknown): TestClusterConfig {
  const out: { -readonly [K in keyof TestClusterConfig]: TestClusterConfig[K] } = { ...DEFAULTS };

  const name = get('clusterName');
  if (name !== undefined) {
    // EKS: 1-100 characters, a letter or digit first, then letters, digits, hyphens, underscores.
    if (typeof name !== 'string' || !/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(name)) throw new ConfigError('clusterName', name, 'must be an EKS cluster name');
    out.clusterName = name;
  }

  const version = get('kubernetesVersion');
  if (version !== undefined) {
    const m = typeof version === 'string' ? /^1\.(\d+)$/.exec(version) : null;
    if (!m) throw new ConfigError('kubernetesVersion', version, 'must be 1.MINOR, e.g. 1.35');
    if (Math.abs(Number(m[1]) - KUBECTL_MINOR) > 1) {
      throw new ConfigError('kubernetesVersion', version, `the kubectl layer is 1.${KUBECTL_MINOR}, and kubectl supports one minor version either side of it`);
    }
    out.kubernetesVersion = version as string;
  }

  const types = parseJsonIfString(get('instanceTypes'));
  if (types !== undefined) {
    const list = typeof types === 'string' ? types.split(',').map((t) => t.trim()) : types;
    if (!Array.isArray(list) || list.length === 0 || !list.every((t) => typeof t === 'string' && /^[a-z0-9-]+\.[a-z0-9-]+$/.test(t))) {
      throw new ConfigError('instanceTypes', types, 'must be instance types, comma-separated or a JSON array, e.g. t3.medium,m5.large');
    }
    out.instanceTypes = Object.freeze([...(list as string[])]);
  }

  const count = parseJsonIfString(get('nodeCount'));
  if (count !== undefined) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 20) throw new ConfigError('nodeCount', count, 'must be an integer from 1 to 20');
    out.nodeCount = count;
  }

  const custom = get('customNetworking');
  if (custom !== undefined) out.customNetworking = bool('customNetworking', custom);
  const prefix = get('prefixDelegation');
  if (prefix !== undefined) out.prefixDelegation = bool('prefixDelegation', prefix);

  const vcpus = parseJsonIfString(get('vcpus'));
  if (vcpus !== undefined) {
    const ok =
      typeof vcpus === 'object' && vcpus !== null && !Array.isArray(vcpus) && Object.values(vcpus).every((n) => Number.isInteger(n) && (n as number) > 0);
    if (!ok) throw new ConfigError('vcpus', vcpus, 'must be a JSON object of instance type to vCPUs, e.g. {"m5.8xlarge":32}');
    out.vcpus = Object.freeze({ ...(vcpus as Record<string, number>) });
  }

  const chart = get('chartPath');
  if (chart !== undefined) {
    if (typeof chart !== 'string' || chart === '') throw new ConfigError('chartPath', chart, 'must be a directory path');
    out.chartPath = chart;
  }
  const admin = get('adminPrincipalArn');
  if (admin !== undefined) {
    if (typeof admin !== 'string' || !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$/.test(admin)) throw new ConfigError('adminPrincipalArn', admin, 'must be an IAM role or user ARN');
    out.adminPrincipalArn = admin;
  }

  const values = parseJsonIfString(get('chartValues'));
  if (values !== undefined) {
    if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new ConfigError('chartValues', values, 'must be a JSON object of Helm values');
    out.chartValues = Object.freeze({ ...(values as Record<string, unknown>) });
  }
  return Object.freeze(out);
}
