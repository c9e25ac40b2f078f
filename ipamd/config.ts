import { DEFAULT_GRPC_SOCKET, DEFAULT_RELEASE_NOTES_DIR } from '../contract/paths.ts';
import { DEFAULT_INTROSPECTION_ADDRESS, DEFAULT_METRICS_PORT } from '../contract/metrics.ts';
import { bad, bool, type Env, int, type ListenAddress, listenAddress, str } from './env-parse.ts';
import { DAY_MS, DEFAULT_MAX_AGE_DAYS, DEFAULT_MAX_FILE_MB, DEFAULT_MAX_FILES, historyDirBeside } from './history/rotation.ts';
import { type KubeSettings, parseKubeSettings } from './kube/settings.ts';
import { ipamdLogTarget, logLevel, type LogRotation, logRotation } from './log-config.ts';

export type { LogLevel } from '../contract/log-settings.ts';
import type { LogLevel } from '../contract/log-settings.ts';

/** ipamd's configuration, parsed once at start (upstream's variable names and defaults). */
export interface Config {
  readonly warmEniTarget: number;
  readonly warmIpTarget: number | undefined;
  readonly minimumIpTarget: number | undefined;
  readonly warmPrefixTarget: number | undefined;
  readonly prefixDelegation: boolean;
  /** MAX_ENI; undefined = the instance type's limit. */
  readonly maxEni: number | undefined;
  /** The node's max pods (kubelet's maxPods); undefined = the formula of DESIGN.md §3. */
  readonly maxPods: number | undefined;
  readonly ipCooldownMs: number;
  readonly eniMtu: number;
  readonly vethPrefix: string;
  readonly clusterName: string | undefined;
  readonly additionalEniTags: Readonly<Record<string, string>>;
  readonly ec2Endpoint: string | undefined;
  readonly disableLeakedEniCleanup: boolean;
  /**
   * ENABLE_SUBNET_DISCOVERY (upstream default true since v1.18): new ENIs go to the subnet of the
   * node's VPC and zone with the most free addresses among the primary ENI's and those tagged
   * `kubernetes.io/role/cni` (placement/subnet-discovery.ts); false = the primary ENI's subnet.
   */
  readonly subnetDiscovery: boolean;
  readonly logLevel: LogLevel;
  /** 'stdout', 'stderr' or a file path. */
  readonly logFile: string;
  /** VPCWIRE_LOG_MAX_SIZE_MB / VPCWIRE_LOG_MAX_FILES: rotation of a log file (ipamd's and the plugin's). */
  readonly logRotation: LogRotation;
  // vpcwire's own
  readonly socketPath: string;
  readonly checkpointPath: string;
  readonly imdsEndpoint: string;
  /** VPCWIRE_IMDS_WAIT_MS: how long start-up keeps trying IMDS before it gives up. */
  readonly imdsWaitMs: number;
  /** Where the CNI plugin leaves release notes while ipamd is down (DESIGN.md §5). */
  readonly releaseNotesDir: string;
  readonly region: string | undefined;
  /** Pacing of the pool: how often it may release addresses, how old an ENI must be to be freed. */
  readonly releaseIntervalMs: number;
  readonly minEniAgeMs: number;
  readonly reconcileIntervalMs: number;
  /** How often the datastore is compared with EC2 (and always after a failed EC2 call). */
  readonly resyncIntervalMs: number;
  /** The leaked-ENI sweep: how often, and how old an available ENI must be to count as leaked. */
  readonly leakSweepIntervalMs: number;
  readonly leakMinAgeMs: number;
  /** How long growth pauses after the subnet ran out of addresses or /28 blocks. */
  readonly subnetFullBackoffMs: number;
  // Host networking (DESIGN.md §2: per secondary ENI, node egress)
  /** VPCWIRE_HOST_NETWORK: false turns every kernel change off (tests and the demo without root). */
  readonly hostNetwork: boolean;
  /**
   * VPCWIRE_HOST_NETNS: where the kernel work happens, a netns name under /run/netns or an
   * absolute path; undefined = ipamd's own netns (production). Only the local emulator sets it.
   */
  readonly hostNetns: string | undefined;
  /** How often the kernel is compared with what it should be and repaired. */
  readonly hostNetworkCheckMs: number;
  /** AWS_VPC_K8S_CNI_EXTERNALSNAT: no SNAT, connmark or fwmark rule (a NAT gateway does it). */
  readonly externalSnat: boolean;
  /** AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: destinations never SNATed, as network/len. */
  readonly excludeSnatCidrs: readonly string[];
  /** AWS_VPC_K8S_CNI_RANDOMIZESNAT: prng = --random-fully, hashrandom = --random, none. */
  readonly randomizeSnat: SnatRandomization;
  /** Kubernetes: how it is reached (or not), the node's name, custom networking (kube/settings.ts). */
  readonly kube: KubeSettings;
  // Observability (issue 13)
  /** VPCWIRE_METRICS_BIND_ADDRESS (default :61678, every interface: Prometheus scrapes the pod IP); undefined with DISABLE_METRICS=true. */
  readonly metricsListen: ListenAddress | undefined;
  /** INTROSPECTION_BIND_ADDRESS (default 127.0.0.1:61679, or unix:/path); undefined with DISABLE_INTROSPECTION=true. */
  readonly introspectionListen: ListenAddress | undefined;
  /** The address history (issue 13, ipamd/history/); undefined with VPCWIRE_HISTORY=false. */
  readonly history: HistorySettings | undefined;
}

/** Where the address history goes and how much of it is kept (history/rotation.ts: the defaults' arithmetic). */
export interface HistorySettings {
  /** VPCWIRE_HISTORY_DIR. */
  readonly dir: string;
  /** VPCWIRE_HISTORY_MAX_SIZE_MB, in bytes. */
  readonly maxFileBytes: number;
  /** VPCWIRE_HISTORY_MAX_FILES. */
  readonly maxFiles: number;
  /** VPCWIRE_HISTORY_MAX_AGE_DAYS, in ms. */
  readonly maxAgeMs: number;
}

export type SnatRandomization = 'prng' | 'hashrandom' | 'none';

/** Tag keys upstream reserves for its own bookkeeping; ADDITIONAL_ENI_TAGS may not set them. */
const RESERVED_TAG_PREFIX = 'k8s.amazonaws.com';

/** Comma-separated IPv4 CIDRs, each returned as network/len (host bits cleared, as iptables shows them). */
function cidrList(env: Env, name: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  const out: string[] = [];
  for (const item of raw.split(',').map((x) => x.trim())) {
    if (item === '') continue;
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(item);
    const octets = m ? m.slice(1, 5).map(Number) : [];
    const len = m ? Number(m[5]) : NaN;
    if (!m || octets.some((o) => o > 255) || len > 32) bad(name, raw, `'${item}' is not an IPv4 CIDR (a.b.c.d/len)`);
    const n = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - len);
    const base = n - (n % size);
    const text = `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.')}/${len}`;
    if (!out.includes(text)) out.push(text);
  }
  return out;
}

const maybe = <T>(disabled: boolean, value: T): T | undefined => (disabled ? undefined : value);

/** A netns name (as under /run/netns) or an absolute path to a netns file. */
function netns(env: Env, name: string): string | undefined {
  const v = str(env, name);
  if (v === undefined) return undefined;
  if (v.startsWith('/')) {
    if (v.includes('\0') || v.split('/').includes('..')) bad(name, v, 'expected an absolute path without ..');
    return v;
  }
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(v) || v === '.' || v === '..') {
    bad(name, v, 'expected a netns name (letters, digits, _ . -) or an absolute path');
  }
  return v;
}

/** Beside the checkpoint unless set: a test or node that moves its state moves its history too. */
function historySettings(env: Env, checkpointPath: string): HistorySettings | undefined {
  if (!bool(env, 'VPCWIRE_HISTORY', true)) return undefined;
  const dir = str(env, 'VPCWIRE_HISTORY_DIR') ?? historyDirBeside(checkpointPath);
  if (!dir.startsWith('/') || dir.includes('\0')) bad('VPCWIRE_HISTORY_DIR', dir, 'expected an absolute path');
  return Object.freeze({
    dir,
    maxFileBytes: (int(env, 'VPCWIRE_HISTORY_MAX_SIZE_MB', { min: 1, max: 1024 }) ?? DEFAULT_MAX_FILE_MB) * 1024 * 1024,
    maxFiles: int(env, 'VPCWIRE_HISTORY_MAX_FILES', { min: 2, max: 1000 }) ?? DEFAULT_MAX_FILES,
    maxAgeMs: (int(env, 'VPCWIRE_HISTORY_MAX_AGE_DAYS', { min: 1, max: 3650 }) ?? DEFAULT_MAX_AGE_DAYS) * DAY_MS,
  });
}

/**
 * Parses the environment once into a frozen Config; any invalid value stops ipamd with a message
 * naming the variable and the value, and so do the combinations upstream refuses.
 */
export function parseConfig(env: Env = process.env): Config {
  const warmIpTarget = int(env, 'WARM_IP_TARGET', { min: 0 });
  const minimumIpTarget = int(env, 'MINIMUM_IP_TARGET', { min: 0 });
  const prefixDelegation = bool(env, 'ENABLE_PREFIX_DELEGATION', false);
  let warmPrefixTarget = int(env, 'WARM_PREFIX_TARGET', { min: 0 });
  if (prefixDelegation && warmPrefixTarget === undefined && !warmIpTarget && !minimumIpTarget) warmPrefixTarget = 1;
  if (prefixDelegation && warmPrefixTarget === 0 && !warmIpTarget && !minimumIpTarget) {
    bad(
      'WARM_PREFIX_TARGET',
      '0',
      'zero is not supported while WARM_IP_TARGET and MINIMUM_IP_TARGET are unset; set one of WARM_PREFIX_TARGET, WARM_IP_TARGET or MINIMUM_IP_TARGET',
    );
  }
  const maxEniRaw = int(env, 'MAX_ENI', { min: -1 });
  const vethPrefix = str(env, 'AWS_VPC_K8S_CNI_VETHPREFIX') ?? 'eni';
  if (vethPrefix.length > 4) bad('AWS_VPC_K8S_CNI_VETHPREFIX', vethPrefix, 'at most 4 characters');
  if (!/^[a-zA-Z0-9]+$/.test(vethPrefix)) bad('AWS_VPC_K8S_CNI_VETHPREFIX', vethPrefix, 'letters and digits only');
  if (['eth', 'lo', 'vlan'].includes(vethPrefix)) {
    bad('AWS_VPC_K8S_CNI_VETHPREFIX', vethPrefix, "must not be 'eth', 'lo' or 'vlan' (host interfaces use them)");
  }
  const tagsRaw = str(env, 'ADDITIONAL_ENI_TAGS');
  const additionalEniTags: Record<string, string> = {};
  if (tagsRaw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(tagsRaw);
    } catch (e) {
      bad('ADDITIONAL_ENI_TAGS', tagsRaw, `not JSON (${(e as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      bad('ADDITIONAL_ENI_TAGS', tagsRaw, 'expected a JSON object of string tags');
    }
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v !== 'string') bad('ADDITIONAL_ENI_TAGS', tagsRaw, `tag '${k}' must have a string value`);
      if (k.startsWith(RESERVED_TAG_PREFIX)) bad('ADDITIONAL_ENI_TAGS', tagsRaw, `tag '${k}' uses the reserved prefix ${RESERVED_TAG_PREFIX}`);
      additionalEniTags[k] = v;
    }
  }
  const endpoint = str(env, 'AWS_EC2_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\/./.test(endpoint)) bad('AWS_EC2_ENDPOINT', endpoint, 'expected an http(s) URL');
  const imdsEndpoint = str(env, 'VPCWIRE_IMDS_ENDPOINT') ?? 'http://169.254.169.254';
  if (!/^https?:\/\/./.test(imdsEndpoint)) bad('VPCWIRE_IMDS_ENDPOINT', imdsEndpoint, 'expected an http(s) URL');
  const cooldown = int(env, 'IP_COOLDOWN_PERIOD', { min: 0, max: 3600 }) ?? 30;
  const randomRaw = str(env, 'AWS_VPC_K8S_CNI_RANDOMIZESNAT') ?? 'prng';
  const randomizeSnat = randomRaw.toLowerCase();
  if (randomizeSnat !== 'prng' && randomizeSnat !== 'hashrandom' && randomizeSnat !== 'none') {
    bad('AWS_VPC_K8S_CNI_RANDOMIZESNAT', randomRaw, "expected 'prng', 'hashrandom' or 'none'");
  }
  let config: Config = {
    warmEniTarget: int(env, 'WARM_ENI_TARGET', { min: 0 }) ?? 1,
    warmIpTarget,
    minimumIpTarget,
    warmPrefixTarget,
    prefixDelegation,
    maxEni: maxEniRaw === undefined || maxEniRaw === -1 ? undefined : maxEniRaw,
    maxPods: int(env, 'VPCWIRE_MAX_PODS', { min: 1 }),
    ipCooldownMs: cooldown * 1000,
    eniMtu: int(env, 'AWS_VPC_ENI_MTU', { min: 576, max: 9001 }) ?? 9001,
    vethPrefix,
    clusterName: str(env, 'CLUSTER_NAME'),
    additionalEniTags: Object.freeze(additionalEniTags),
    ec2Endpoint: endpoint,
    disableLeakedEniCleanup: bool(env, 'DISABLE_LEAKED_ENI_CLEANUP', false),
    subnetDiscovery: bool(env, 'ENABLE_SUBNET_DISCOVERY', true),
    logLevel: logLevel(env, 'AWS_VPC_K8S_CNI_LOGLEVEL'),
    logFile: ipamdLogTarget(env),
    logRotation: logRotation(env),
    socketPath: str(env, 'VPCWIRE_SOCKET') ?? DEFAULT_GRPC_SOCKET,
    checkpointPath: str(env, 'VPCWIRE_CHECKPOINT') ?? '/var/lib/vpcwire/ipam.json',
    imdsEndpoint,
    imdsWaitMs: int(env, 'VPCWIRE_IMDS_WAIT_MS', { min: 1000 }) ?? 60_000,
    releaseNotesDir: str(env, 'VPCWIRE_RELEASE_NOTES_DIR') ?? DEFAULT_RELEASE_NOTES_DIR,
    region: str(env, 'AWS_REGION') ?? str(env, 'AWS_DEFAULT_REGION'),
    releaseIntervalMs: int(env, 'VPCWIRE_RELEASE_INTERVAL_MS', { min: 0 }) ?? 30_000,
    minEniAgeMs: int(env, 'VPCWIRE_ENI_MIN_AGE_MS', { min: 0 }) ?? 60_000,
    reconcileIntervalMs: int(env, 'VPCWIRE_RECONCILE_INTERVAL_MS', { min: 10 }) ?? 5_000,
    resyncIntervalMs: int(env, 'VPCWIRE_RESYNC_INTERVAL_MS', { min: 100 }) ?? 60_000,
    leakSweepIntervalMs: int(env, 'VPCWIRE_LEAK_SWEEP_INTERVAL_MS', { min: 100 }) ?? 3_600_000,
    leakMinAgeMs: int(env, 'VPCWIRE_LEAK_MIN_AGE_MS', { min: 0 }) ?? 300_000,
    subnetFullBackoffMs: int(env, 'VPCWIRE_SUBNET_FULL_BACKOFF_MS', { min: 0 }) ?? 60_000,
    hostNetwork: bool(env, 'VPCWIRE_HOST_NETWORK', true),
    hostNetns: netns(env, 'VPCWIRE_HOST_NETNS'),
    hostNetworkCheckMs: int(env, 'VPCWIRE_HOST_NETWORK_CHECK_MS', { min: 100 }) ?? 30_000,
    externalSnat: bool(env, 'AWS_VPC_K8S_CNI_EXTERNALSNAT', false),
    excludeSnatCidrs: Object.freeze(cidrList(env, 'AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS')),
    randomizeSnat,
    kube: parseKubeSettings(env),
    // Both parsed even when disabled, so a bad address is refused before someone turns it on.
    metricsListen: maybe(bool(env, 'DISABLE_METRICS', false), listenAddress(env, 'VPCWIRE_METRICS_BIND_ADDRESS', `:${DEFAULT_METRICS_PORT}`, { unix: false })),
    introspectionListen: maybe(bool(env, 'DISABLE_INTROSPECTION', false), listenAddress(env, 'INTROSPECTION_BIND_ADDRESS', DEFAULT_INTROSPECTION_ADDRESS, { unix: true })),
    history: undefined as HistorySettings | undefined,
  };
  config = { ...config, history: historySettings(env, config.checkpointPath) };
  if (config.maxEni === 0) bad('MAX_ENI', '0', 'the primary ENI always exists; use -1 (unset) or >= 1');
  return Object.freeze(config);
}
