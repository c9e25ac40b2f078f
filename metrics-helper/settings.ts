/**
 * `vpcwire metrics-helper` settings, parsed once from the environment (the chart sets it) and
 * command-line flags (which win), into a frozen object. A bad value stops the publisher with a
 * message naming the variable or flag, its value and what was expected (DESIGN.md §8).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CLOUDWATCH_NAMESPACE, IPAMD_METRICS_PORT } from './catalog.ts';
import { MetricsHelperError } from './errors.ts';

export type ScrapeMode = 'direct' | 'proxy';

export interface Settings {
  /** AWS_CLUSTER_ID (upstream's name): the CLUSTER_ID dimension. Required. */
  readonly clusterId: string;
  readonly region: string;
  readonly cloudwatchNamespace: string;
  /** AWS_CLOUDWATCH_ENDPOINT: another CloudWatch endpoint (the emulator, a VPC endpoint). */
  readonly cloudwatchEndpoint: string | undefined;
  readonly nodeDimension: boolean;
  /** Where ipamd's pods are and how to pick them. */
  readonly ipamdNamespace: string;
  readonly ipamdSelector: string;
  readonly ipamdPort: number;
  readonly scrape: ScrapeMode;
  readonly scrapeIntervalMs: number;
  readonly publishIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  /** The ConfigMap holding the last published baselines (its namespace: the publisher's own). */
  readonly stateNamespace: string;
  readonly stateConfigMap: string;
  /** KUBECONFIG, else in-cluster (VPCWIRE_SERVICEACCOUNT_ROOT prefixes the token's path in tests). */
  readonly kubeconfig: string | undefined;
  readonly serviceAccountRoot: string;
}

/** A bad setting (exit 2): the message names the variable or flag and its value. */
export class SettingsError extends MetricsHelperError {
  constructor(message: string) {
    super('METRICS_HELPER_CONFIG_INVALID', message);
  }
}

/** Each setting: its variable, its flag, and a default (undefined: none). */
const SPEC = {
  clusterId: { env: 'AWS_CLUSTER_ID', flag: 'cluster-id' },
  region: { env: 'AWS_REGION', flag: 'region' },
  cloudwatchNamespace: { env: 'CLOUDWATCH_NAMESPACE', flag: 'cloudwatch-namespace', dflt: DEFAULT_CLOUDWATCH_NAMESPACE },
  cloudwatchEndpoint: { env: 'AWS_CLOUDWATCH_ENDPOINT', flag: 'cloudwatch-endpoint' },
  nodeDimension: { env: 'METRICS_NODE_DIMENSION', flag: 'node-dimension', dflt: 'false' },
  ipamdNamespace: { env: 'IPAMD_NAMESPACE', flag: 'ipamd-namespace', dflt: 'kube-system' },
  ipamdSelector: { env: 'IPAMD_LABEL_SELECTOR', flag: 'ipamd-selector', dflt: 'app.kubernetes.io/name=vpcwire' },
  ipamdPort: { env: 'IPAMD_METRICS_PORT', flag: 'ipamd-port', dflt: String(IPAMD_METRICS_PORT) },
  scrape: { env: 'SCRAPE_MODE', flag: 'scrape', dflt: 'proxy' },
  scrapeInterval: { env: 'SCRAPE_INTERVAL', flag: 'scrape-interval', dflt: '30s' },
  publishInterval: { env: 'PUBLISH_INTERVAL', flag: 'publish-interval', dflt: '60s' },
  scrapeTimeout: { env: 'SCRAPE_TIMEOUT', flag: 'scrape-timeout', dflt: '10s' },
  stateNamespace: { env: 'POD_NAMESPACE', flag: 'state-namespace', dflt: 'kube-system' },
  stateConfigMap: { env: 'STATE_CONFIGMAP', flag: 'state-configmap', dflt: 'vpcwire-metrics-helper-state' },
  kubeconfig: { env: 'KUBECONFIG', flag: 'kubeconfig' },
  serviceAccountRoot: { env: 'VPCWIRE_SERVICEACCOUNT_ROOT', flag: 'serviceaccount-root', dflt: '' },
} as const satisfies Record<string, { env: string; flag: string; dflt?: string }>;

type Key = keyof typeof SPEC;

export const USAGE = `usage: vpcwire metrics-helper [options]

Scrapes every ipamd's /metrics and publishes the cluster's figures to CloudWatch (README
"Metrics publisher"). Each option can also be set by its environment variable:

${Object.values(SPEC)
  .map((s) => `  --${s.flag.padEnd(22)} ${s.env}${'dflt' in s && s.dflt !== '' ? ` (default ${s.dflt})` : ''}`)
  .join('\n')}`;

/** "30s", "2m", "500ms" or plain seconds. */
export function parseDuration(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

export function parseSettings(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Settings {
  let flags: Record<string, string | undefined>;
  try {
    const options = Object.fromEntries(Object.values(SPEC).map((s) => [s.flag, { type: 'string' as const }]));
    flags = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
  } catch (e) {
    throw new SettingsError(`${(e as Error).message}\n\n${USAGE}`);
  }
  /** The value and the name it came under (flag or variable), for messages. */
  const get = (k: Key): { value: string | undefined; name: string } => {
    const s = SPEC[k];
    const f = flags[s.flag]?.trim();
    if (f !== undefined && f !== '') return { value: f, name: `--${s.flag}` };
    const e = env[s.env]?.trim();
    if (e !== undefined && e !== '') return { value: e, name: s.env };
    return { value: 'dflt' in s ? s.dflt : undefined, name: s.env };
  };
  const bad = (k: Key, why: string): never => {
    const { value, name } = get(k);
    throw new SettingsError(`invalid ${name}=${JSON.stringify(value ?? '')}: ${why}`);
  };
  const required = (k: Key, why: string): string => get(k).value ?? bad(k, `required: ${why}`);
  const duration = (k: Key, min: number): number => {
    const ms = parseDuration(get(k).value!);
    if (ms === undefined) return bad(k, "expected a duration such as '30s', '2m' or '500ms'");
    if (ms < min) return bad(k, `must be at least ${min} ms`);
    return ms;
  };

  const clusterId = required('clusterId', 'the CLUSTER_ID dimension of every datum (upstream: AWS_CLUSTER_ID)');
  const region = get('region').value ?? env.AWS_DEFAULT_REGION?.trim() ?? bad('region', 'required: the Region of the CloudWatch endpoint (or AWS_DEFAULT_REGION)');
  const cloudwatchNamespace = get('cloudwatchNamespace').value!;
  if (!/^[^:$][^$]{0,254}$/.test(cloudwatchNamespace) || cloudwatchNamespace.startsWith('AWS/')) {
    bad('cloudwatchNamespace', "expected a CloudWatch namespace (1-255 characters, not starting with ':' or 'AWS/')");
  }
  const cloudwatchEndpoint = get('cloudwatchEndpoint').value;
  if (cloudwatchEndpoint !== undefined && !/^https?:\/\/./.test(cloudwatchEndpoint)) bad('cloudwatchEndpoint', 'expected an http(s) URL');
  const nd = get('nodeDimension').value!.toLowerCase();
  if (nd !== 'true' && nd !== 'false') bad('nodeDimension', "expected 'true' or 'false'");
  const port = Number(get('ipamdPort').value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) bad('ipamdPort', 'expected a port number 1-65535');
  const scrape = get('scrape').value!;
  if (scrape !== 'direct' && scrape !== 'proxy') bad('scrape', "expected 'proxy' (through the API server's pod proxy) or 'direct' (the pod IP)");
  const scrapeIntervalMs = duration('scrapeInterval', 100);
  const publishIntervalMs = duration('publishInterval', 100);
  if (publishIntervalMs < scrapeIntervalMs) bad('publishInterval', `must not be shorter than the scrape interval (${scrapeIntervalMs} ms)`);
  const scrapeTimeoutMs = duration('scrapeTimeout', 100);
  const stateConfigMap = get('stateConfigMap').value!;
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(stateConfigMap)) bad('stateConfigMap', 'expected a ConfigMap name (DNS subdomain)');
  return Object.freeze({
    clusterId,
    region,
    cloudwatchNamespace,
    cloudwatchEndpoint,
    nodeDimension: nd === 'true',
    ipamdNamespace: get('ipamdNamespace').value!,
    ipamdSelector: get('ipamdSelector').value!,
    ipamdPort: port,
    scrape: scrape as ScrapeMode,
    scrapeIntervalMs,
    publishIntervalMs,
    scrapeTimeoutMs,
    stateNamespace: get('stateNamespace').value!,
    stateConfigMap,
    kubeconfig: get('kubeconfig').value,
    serviceAccountRoot: get('serviceAccountRoot').value!,
  });
}
