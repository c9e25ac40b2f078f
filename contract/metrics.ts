/**
 * ipamd's Prometheus metrics as data (issue 13): one home for their names, types, help texts and
 * labels. ipamd/metrics/ registers exactly these; the CloudWatch publisher (`vpcwire
 * metrics-helper`), the Grafana dashboard's test and the README's table read them from here. Names
 * are stable: a dashboard or alert written against one keeps working.
 *
 * `awscni_*` carry upstream's name, type and labels (utils/prometheusmetrics in
 * aws/amazon-vpc-cni-k8s) where the meaning carries over, so upstream's dashboards and
 * cni-metrics-helper keep working; `upstream` says how vpcwire differs. `vpcwire_*` are vpcwire's own.
 */

/** Upstream's metrics port (`:61678/metrics`) and introspection address (DESIGN.md §11). */
export const DEFAULT_METRICS_PORT = 61678;
export const DEFAULT_INTROSPECTION_ADDRESS = '127.0.0.1:61679';
export const METRICS_PATH = '/metrics';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly string[];
  /**
   * 'same': upstream's name, type, labels and meaning; a string: how vpcwire differs from upstream;
   * undefined: vpcwire's own (`vpcwire_*`).
   */
  readonly upstream?: 'same' | string;
  /** Histogram buckets (upper bounds) or summary quantiles. */
  readonly buckets?: readonly number[];
  readonly percentiles?: readonly number[];
}

/** Address states in vpcwire_addresses{state} (warm-pool's AddressState). */
export const ADDRESS_STATES = ['free', 'assigned', 'cooling'] as const;

/**
 * Why the pool could not grow although the targets asked for more (vpcwire_pool_growth_blocked
 * {reason}): a closed set, so the label's cardinality is bounded.
 */
export const GROWTH_BLOCKS = ['max-pods', 'instance-limit', 'no-slots', 'subnet-full', 'host-setup-pending', 'placement-unavailable'] as const;
export type GrowthBlock = (typeof GROWTH_BLOCKS)[number];

/** The planner's step kinds (warm-pool Step['kind']) in vpcwire_pool_last_decision{kind}. */
export const DECISION_KINDS = ['none', 'assign', 'create-eni', 'release', 'free-eni'] as const;

/** Targets in vpcwire_pool_target{target}; a target that is unset has no series. */
export const POOL_TARGETS = ['warm_eni', 'warm_ip', 'minimum_ip', 'warm_prefix', 'max_eni', 'max_pods'] as const;

/** Seconds: an ADD served from a warm pool takes a few ms, one that waits for EC2 seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const METRICS = Object.freeze([
  // Pool gauges, computed from the datastore at scrape time.
  { name: 'awscni_eni_allocated', type: 'gauge', help: 'The number of ENIs allocated', labels: [], upstream: 'same' },
  { name: 'awscni_eni_max', type: 'gauge', help: 'The maximum number of ENIs that can be attached to the instance (instance type, lowered by MAX_ENI)', labels: [], upstream: 'same' },
  { name: 'awscni_ip_max', type: 'gauge', help: 'The maximum number of IP addresses that can be allocated to the instance for pods', labels: [], upstream: 'same' },
  { name: 'awscni_total_ip_addresses', type: 'gauge', help: 'The total number of IP addresses', labels: [], upstream: 'same' },
  { name: 'awscni_assigned_ip_addresses', type: 'gauge', help: 'The number of IP addresses assigned to pods', labels: [], upstream: 'same' },
  { name: 'awscni_total_ipv4_prefixes', type: 'gauge', help: 'The total number of IPv4 prefixes', labels: [], upstream: 'same' },
  { name: 'awscni_assigned_ip_per_cidr', type: 'gauge', help: 'The total number of IP addresses assigned per cidr', labels: ['cidr'], upstream: 'same (a /32 per secondary IP, a /28 per prefix)' },
  { name: 'awscni_assigned_ip_per_eni', type: 'gauge', help: 'The number of allocated ips partitioned by eni', labels: ['eni'], upstream: 'same' },
  // Allocation API.
  { name: 'awscni_add_ip_req_count', type: 'counter', help: 'The number of add IP address requests', labels: [], upstream: 'same' },
  { name: 'awscni_del_ip_req_count', type: 'counter', help: 'The number of delete IP address requests', labels: ['reason'], upstream: "reason is the plugin's (cni-del, cni-gc, cni-add-failed; none given is unknown, anything else is folded into other) or release-note (a DEL the plugin left in a release note while ipamd was down, replayed at start), not the kubelet's" },
  { name: 'awscni_no_available_ip_addresses', type: 'counter', help: 'The number of pod IP assignments that fail due to no available IP addresses', labels: [], upstream: 'same' },
  // EC2.
  { name: 'awscni_aws_api_latency_ms', type: 'summary', help: 'AWS API call latency in ms', labels: ['api', 'error', 'status'], upstream: 'EC2 calls only (IMDS is not timed); status is the HTTP status', percentiles: [0.5, 0.9, 0.99] },
  { name: 'awscni_aws_api_error_count', type: 'counter', help: 'The number of times AWS API returns an error', labels: ['api', 'error'], upstream: 'same' },
  { name: 'awscni_ec2api_req_count', type: 'counter', help: 'The number of requests made to EC2 APIs by CNI', labels: ['fn'], upstream: 'counts every HTTP request, retries and pages included (upstream: one per SDK call), so it equals what EC2 counts against the rate limit' },
  { name: 'awscni_ec2api_error_count', type: 'counter', help: 'The number of failed EC2 APIs requests', labels: ['fn'], upstream: 'counts calls that failed after the SDK\'s retries' },
  // ipamd's own work.
  { name: 'awscni_ipamd_error_count', type: 'counter', help: 'The number of errors encountered in ipamd', labels: ['fn'], upstream: 'fn is vpcwire\'s step name (add, del, reconcile, resync, host-network-check, leak-sweep)' },
  { name: 'awscni_ipamd_action_inprogress', type: 'gauge', help: 'The number of ipamd actions in progress', labels: ['fn'], upstream: 'fn is the planner step kind (assign, create-eni, release, free-eni) or resync' },
  { name: 'awscni_reconcile_count', type: 'counter', help: 'The number of times ipamd reconciles on ENIs and IP/Prefix addresses', labels: ['fn'], upstream: 'fn is the planner step kind performed, or resync' },
  { name: 'awscni_force_removed_enis', type: 'counter', help: 'The number of ENIs force removed while they had assigned pods', labels: [], upstream: 'same (an ENI EC2 no longer attaches while pods used it)' },
  { name: 'awscni_force_removed_ips', type: 'counter', help: 'The number of IPs force removed while they had assigned pods', labels: [], upstream: 'same (an address EC2 no longer assigns while a pod used it)' },
  { name: 'awscni_build_info', type: 'gauge', help: "A metric with a constant '1' value labeled by version and nodeversion from which vpcwire was built.", labels: ['version', 'nodeversion'], upstream: 'nodeversion instead of goversion' },
  { name: 'awscni_ipamd_startup_duration_seconds', type: 'histogram', help: 'The duration of IPAMD startup from process start to ready to serve CNI requests', labels: ['success', 'with_api_server', 'failure_reason'], upstream: 'observed once, on success (a failed start exits before it can be scraped)', buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] },
  // vpcwire's own.
  { name: 'vpcwire_addresses', type: 'gauge', help: 'Pod addresses held, by ENI and state (free, assigned, cooling)', labels: ['eni', 'state'] },
  { name: 'vpcwire_eni_retired', type: 'gauge', help: '1 for an ENI that takes no new pods (a previous ENIConfig, or the primary with custom networking)', labels: ['eni'] },
  { name: 'vpcwire_pool_target', type: 'gauge', help: 'The pool targets in force (WARM_ENI_TARGET, WARM_IP_TARGET, MINIMUM_IP_TARGET, WARM_PREFIX_TARGET, MAX_ENI, max pods); unset targets have no series', labels: ['target'] },
  { name: 'vpcwire_pool_last_decision', type: 'gauge', help: "1 for the kind of the planner's last decision (none, assign, create-eni, release, free-eni)", labels: ['kind'] },
  { name: 'vpcwire_pool_growth_blocked', type: 'gauge', help: 'Set to 1 for why the pool did not grow although its targets asked for more; no series while it can grow', labels: ['reason'] },
  { name: 'vpcwire_prewarm_expected_pods', type: 'gauge', help: 'Pods bound to this node that have no address yet (the pool grows for them)', labels: [] },
  { name: 'vpcwire_prewarm_reserved_addresses', type: 'gauge', help: 'Free addresses held for the expected pods rather than counted as warm', labels: [] },
  { name: 'vpcwire_ec2_throttled_total', type: 'counter', help: 'EC2 requests answered with throttling (RequestLimitExceeded), by action', labels: ['action'] },
  { name: 'vpcwire_ec2_retries_total', type: 'counter', help: 'EC2 requests the SDK retried (throttling, 5xx, lost connections), by action', labels: ['action'] },
  { name: 'vpcwire_drift_found_total', type: 'counter', help: 'Drift found between the ledger, EC2 and the kernel, by kind', labels: ['kind'] },
  { name: 'vpcwire_drift_repaired_total', type: 'counter', help: 'Drift repaired when found, by kind', labels: ['kind'] },
  { name: 'vpcwire_host_network_repairs_total', type: 'counter', help: 'Host networking repairs: kernel state added (missing) or removed (stale)', labels: ['action'] },
  { name: 'vpcwire_host_network_unrepaired', type: 'gauge', help: 'Problems the last host network check could not repair', labels: [] },
  { name: 'vpcwire_history_write_failures_total', type: 'counter', help: 'Appends to the address history that failed (the directory full or unwritable); the lines wait in memory and are retried', labels: [] },
  { name: 'vpcwire_history_pending_lines', type: 'gauge', help: 'Address history lines held in memory because no file would take them yet', labels: [] },
  { name: 'vpcwire_history_dropped_lines_total', type: 'counter', help: 'Address history lines given up after too many waited in memory: the history has a gap', labels: [] },
  { name: 'vpcwire_ipam_request_duration_seconds', type: 'histogram', help: 'Allocation API latency as ipamd sees it, by operation (add, del) and result (ok, error)', labels: ['op', 'result'], buckets: LATENCY_BUCKETS },
  // The process (upstream's Go client registers its process collector; vpcwire exports these three of it).
  { name: 'process_start_time_seconds', type: 'gauge', help: 'Start time of the process since unix epoch in seconds.', labels: [], upstream: 'same (a new value tells a scraper that the counters started again from 0)' },
  { name: 'process_resident_memory_bytes', type: 'gauge', help: 'Resident memory size in bytes.', labels: [], upstream: 'same' },
  { name: 'process_cpu_seconds_total', type: 'counter', help: 'Total user and system CPU time spent in seconds.', labels: [], upstream: 'same' },
] as const satisfies readonly MetricDef[]);

export type MetricName = (typeof METRICS)[number]['name'];

/** A metric's definition by name; throws for a name that is not vpcwire's. */
export function metricDef(name: string): MetricDef {
  const d = METRICS.find((x) => x.name === name);
  if (!d) throw new Error(`unknown metric ${name}`);
  return d;
}

/**
 * The series names a metric appears under in the text exposition: a histogram's _bucket, _sum and
 * _count, a summary's quantile series plus _sum and _count.
 */
export function exposedNames(d: MetricDef): string[] {
  if (d.type === 'histogram') return [`${d.name}_bucket`, `${d.name}_sum`, `${d.name}_count`];
  if (d.type === 'summary') return [d.name, `${d.name}_sum`, `${d.name}_count`];
  return [d.name];
}
