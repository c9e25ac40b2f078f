/**
 * From upstream's configuration to vpcwire's chart values (issue 12 item 4): an EKS vpc-cni add-on
 * configuration (configurationValues) or an exported aws-node DaemonSet in, the values for
 * charts/vpcwire out, and one note per setting that could not be carried over, saying why. Pure:
 * no I/O; the CLI (cli.ts) reads the file and the chart's schema.
 *
 * The chart's values.schema.json is the one list of what vpcwire implements: a variable is
 * carried over when the schema's `env` has it and its value matches the schema's pattern.
 */

/** The part of values.schema.json this reads: env's variables and their patterns. */
export interface EnvSchema {
  readonly properties: Readonly<Record<string, { readonly pattern?: string }>>;
}

export interface Note {
  /** Where the setting was: `env.ENABLE_POD_ENI`, `init.env.X`, `nodeAgent`, `image`, ... */
  readonly key: string;
  readonly why: string;
  /** Carried over in another form (the note says which); otherwise left out. */
  readonly changed?: boolean;
}

export interface Migration {
  readonly values: Record<string, unknown>;
  readonly notes: readonly Note[];
}

/**
 * Upstream variables vpcwire does not implement: why, and the value that means what vpcwire always
 * does (dropping it then changes nothing; the note says so).
 */
const UNIMPLEMENTED: Readonly<Record<string, { why: string; same?: string }>> = {
  ENABLE_IPv6: { why: 'vpcwire is IPv4-only', same: 'false' },
  ENABLE_IPv4: { why: 'vpcwire is IPv4-only (always on)', same: 'true' },
  ENABLE_V6_EGRESS: { why: 'vpcwire is IPv4-only', same: 'false' },
  ENABLE_V4_EGRESS: { why: 'vpcwire is IPv4-only', same: 'true' },
  ENABLE_POD_ENI: { why: 'no security groups for pods (branch ENIs) in vpcwire', same: 'false' },
  POD_SECURITY_GROUP_ENFORCING_MODE: { why: 'no security groups for pods (branch ENIs) in vpcwire' },
  DISABLE_TCP_EARLY_DEMUX: { why: 'only security groups for pods need it; vpcwire has none', same: 'false' },
  AWS_VPC_CNI_NODE_PORT_SUPPORT: { why: 'vpcwire always marks NodePort and non-VPC connections to leave by the primary ENI', same: 'true' },
  AWS_VPC_K8S_CNI_CONFIGURE_RPFILTER: { why: 'the chart always sets loose rp_filter on the primary interface', same: 'true' },
  AWS_VPC_K8S_CNI_CONNMARK: { why: 'vpcwire uses the fixed connmark bit 0x80' },
  DISABLE_NETWORK_RESOURCE_PROVISIONING: { why: 'vpcwire always manages the node\'s ENIs and addresses', same: 'false' },
  ENABLE_IMDS_ONLY_MODE: { why: 'vpcwire calls EC2 (IMDS is not enough for it)', same: 'false' },
  ENABLE_MULTI_NIC: { why: "vpcwire uses the default network card's ENIs only", same: 'false' },
  NETWORK_POLICY_ENFORCING_MODE: { why: 'vpcwire has no network policy agent' },
  ENABLE_NFTABLES: { why: "vpcwire drives iptables-restore, whichever backend the image's iptables uses" },
  AWS_MANAGE_ENIS_NON_SCHEDULABLE: { why: 'vpcwire manages ENIs on every node it runs on' },
  VPC_CNI_VERSION: { why: "upstream's own version label" },
  WARM_WINDOWS_IP_TARGET: { why: 'vpcwire has no Windows IPAM' },
};

/** Add-on keys vpcwire has no counterpart for. */
const ADDON_KEYS_UNSUPPORTED: Readonly<Record<string, { why: string; same?: unknown }>> = {
  nodeAgent: { why: 'vpcwire has no network policy agent' },
  enableNetworkPolicy: { why: 'vpcwire has no network policy agent', same: 'false' },
  enableWindowsIpam: { why: 'vpcwire has no Windows IPAM', same: 'false' },
  enableWindowsPrefixDelegation: { why: 'vpcwire has no Windows IPAM', same: 'false' },
  warmWindowsPrefixTarget: { why: 'vpcwire has no Windows IPAM' },
  warmWindowsIPTarget: { why: 'vpcwire has no Windows IPAM' },
  minimumWindowsIPTarget: { why: 'vpcwire has no Windows IPAM' },
  branchENICooldown: { why: 'no security groups for pods (branch ENIs) in vpcwire' },
};

/** Add-on keys the chart takes as they are. */
const CARRIED = ['resources', 'tolerations', 'affinity', 'eniConfig', 'podAnnotations', 'podLabels',
  'livenessProbeTimeoutSeconds', 'readinessProbeTimeoutSeconds', 'updateStrategy', 'nodeSelector'] as const;

/** The node directory the chart mounts for logs: a log path elsewhere is moved into it. */
const LOG_DIR = '/var/log/vpcwire';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

function migrateEnv(env: Record<string, unknown>, schema: EnvSchema, notes: Note[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(env)) {
    const key = `env.${name}`;
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      notes.push({ key, why: 'not a string value' });
      continue;
    }
    const value = String(raw);
    // Log files: upstream's paths are inside its own container (/host/var/log/aws-routed-eni/...).
    // vpcwire reads the same two names; VPCWIRE_CNI_PLUGIN_LOG_FILE is only its earlier alias.
    if (name === 'AWS_VPC_K8S_CNI_LOG_FILE' || name === 'AWS_VPC_K8S_PLUGIN_LOG_FILE') {
      const plugin = name === 'AWS_VPC_K8S_PLUGIN_LOG_FILE';
      if (value.startsWith('/')) {
        out[name] = value.startsWith(`${LOG_DIR}/`) ? value : `${LOG_DIR}/${basename(value)}`;
        if (out[name] !== value) notes.push({ key, changed: true, why: `vpcwire differs: logs on the node go under ${LOG_DIR} (the chart mounts it), so ${name}=${out[name]}` });
      } else if (value === 'stderr' || value === '' || (!plugin && value === 'stdout')) {
        out[name] = value;
      } else {
        const dflt = plugin ? `${LOG_DIR}/plugin.log` : 'stdout';
        notes.push({ key, why: `vpcwire differs: ${value} is not a place ${plugin ? 'the plugin can log to (its stdout is the CNI result; upstream refuses it too)' : 'ipamd logs to'}; ${name} keeps its default ${dflt}` });
      }
      continue;
    }
    const spec = schema.properties[name];
    if (spec) {
      if (spec.pattern !== undefined && !new RegExp(spec.pattern).test(value)) {
        notes.push({ key, why: `${JSON.stringify(value)} is not a value vpcwire accepts (pattern ${spec.pattern}); left out, so ipamd's default applies` });
      } else out[name] = value;
      continue;
    }
    const known = UNIMPLEMENTED[name];
    if (known) {
      const same = known.same !== undefined && value.trim().toLowerCase() === known.same;
      notes.push({ key, why: `not implemented: ${known.why}${same ? ` (${value} is what vpcwire does anyway)` : ''}` });
    } else {
      notes.push({ key, why: 'not a variable vpcwire implements (charts/vpcwire/values.schema.json lists them)' });
    }
  }
  return out;
}

/** An add-on configuration (configurationValues) as chart values. */
export function migrateAddonConfig(config: Record<string, unknown>, schema: EnvSchema): Migration {
  const notes: Note[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(config)) {
    if (key === 'env') {
      if (!isObject(v)) notes.push({ key, why: 'not an object of variables' });
      else values.env = migrateEnv(v, schema, notes);
    } else if (key === 'init') {
      const env = isObject(v) && isObject(v.env) ? v.env : {};
      for (const [name, value] of Object.entries(env)) {
        const known = UNIMPLEMENTED[name];
        const same = known?.same !== undefined && String(value).trim().toLowerCase() === known.same;
        notes.push({ key: `init.env.${name}`, why: `not implemented: vpcwire has no init container variables${known ? `; ${known.why}` : ''}${same ? ` (${String(value)} is what vpcwire does anyway)` : ''}` });
      }
      for (const k of Object.keys(isObject(v) ? v : {})) if (k !== 'env') notes.push({ key: `init.${k}`, why: 'not a key of the add-on configuration' });
    } else if ((CARRIED as readonly string[]).includes(key)) {
      values[key] = v;
    } else if (ADDON_KEYS_UNSUPPORTED[key]) {
      const u = ADDON_KEYS_UNSUPPORTED[key];
      const same = u.same !== undefined && String(v) === u.same;
      notes.push({ key, why: `not implemented: ${u.why}${same ? ` (${String(v)} is what vpcwire does anyway)` : ''}` });
    } else {
      notes.push({ key, why: 'not a key of the vpc-cni add-on configuration' });
    }
  }
  return { values, notes };
}

/** What a DaemonSet sets that the chart sets itself, or that is upstream's own: not carried, not news. */
const CHART_ENV = new Set(['MY_NODE_NAME', 'MY_POD_NAME']);
const UPSTREAM_LABELS = /^(k8s-app|app\.kubernetes\.io\/.*|helm\.sh\/chart)$/;
const KUBECTL_ANNOTATIONS = /^kubectl\.kubernetes\.io\//;

type Container = { name?: string; image?: string; env?: { name: string; value?: string; valueFrom?: unknown }[]; resources?: unknown; livenessProbe?: { timeoutSeconds?: number }; readinessProbe?: { timeoutSeconds?: number } };

function containerEnv(c: Container, prefix: string, notes: Note[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (CHART_ENV.has(e.name)) continue;
    if (e.valueFrom !== undefined) notes.push({ key: `${prefix}.${e.name}`, why: `taken from ${JSON.stringify(e.valueFrom)}: the chart sets values only; set it in env if vpcwire implements it` });
    else env[e.name] = e.value ?? '';
  }
  return env;
}

/** An exported aws-node DaemonSet (kubectl get ds aws-node -n kube-system -o yaml) as chart values. */
export function migrateDaemonSet(ds: Record<string, unknown>, schema: EnvSchema): Migration {
  const notes: Note[] = [];
  const spec = (isObject(ds.spec) ? ds.spec : {}) as Record<string, unknown>;
  const template = (isObject(spec.template) ? spec.template : {}) as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
  const pod = template.spec ?? {};
  const containers = (Array.isArray(pod.containers) ? pod.containers : []) as Container[];
  const main = containers.find((c) => c.name === 'aws-node') ?? containers[0];
  if (!main) throw new Error('the DaemonSet has no containers (spec.template.spec.containers)');
  const config: Record<string, unknown> = { env: containerEnv(main, 'env', notes) };
  const init = ((Array.isArray(pod.initContainers) ? pod.initContainers : []) as Container[]).find((c) => c.name === 'aws-vpc-cni-init');
  if (init) config.init = { env: containerEnv(init, 'init.env', notes) };
  for (const c of containers) if (c !== main) notes.push({ key: `containers.${c.name ?? '?'}`, why: c.name === 'aws-eks-nodeagent' ? 'not implemented: vpcwire has no network policy agent' : 'a container vpcwire does not run' });
  if (main.image) notes.push({ key: 'image', why: `upstream's image (${main.image}); vpcwire runs its own (image.* in the chart)` });
  if (main.resources !== undefined && isObject(main.resources) && Object.keys(main.resources).length > 0) config.resources = main.resources;
  if (main.livenessProbe?.timeoutSeconds !== undefined) config.livenessProbeTimeoutSeconds = main.livenessProbe.timeoutSeconds;
  if (main.readinessProbe?.timeoutSeconds !== undefined) config.readinessProbeTimeoutSeconds = main.readinessProbe.timeoutSeconds;
  for (const k of ['tolerations', 'affinity', 'nodeSelector'] as const) if (pod[k] !== undefined) config[k] = pod[k];
  if (spec.updateStrategy !== undefined) config.updateStrategy = spec.updateStrategy;
  const labels = Object.fromEntries(Object.entries(template.metadata?.labels ?? {}).filter(([k]) => !UPSTREAM_LABELS.test(k)));
  if (Object.keys(labels).length > 0) config.podLabels = labels;
  const annotations = Object.fromEntries(Object.entries(template.metadata?.annotations ?? {}).filter(([k]) => !KUBECTL_ANNOTATIONS.test(k)));
  if (Object.keys(annotations).length > 0) config.podAnnotations = annotations;
  if (typeof pod.serviceAccountName === 'string' && pod.serviceAccountName !== 'aws-node') {
    notes.push({ key: 'serviceAccountName', why: `the chart makes its own ServiceAccount; to reuse ${pod.serviceAccountName} set serviceAccount.create=false and serviceAccount.name` });
  }
  const m = migrateAddonConfig(config, schema);
  return { values: m.values, notes: [...notes, ...m.notes] };
}

/** Which of the two a parsed document is, and its migration. */
export function migrate(docs: readonly unknown[], schema: EnvSchema): Migration {
  const objects = docs.filter(isObject).flatMap((d) => (d.kind === 'List' && Array.isArray(d.items) ? d.items.filter(isObject) : [d]));
  const ds = objects.find((d) => d.kind === 'DaemonSet');
  if (ds) return migrateDaemonSet(ds, schema);
  if (objects.length === 1 && objects[0]!.kind === undefined) return migrateAddonConfig(objects[0]!, schema);
  const kinds = objects.map((d) => String(d.kind ?? '(no kind)')).join(', ');
  throw new Error(`expected an add-on configuration object or a DaemonSet, found ${objects.length === 0 ? 'no object' : kinds}`);
}
