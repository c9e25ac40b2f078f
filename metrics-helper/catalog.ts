/**
 * What `vpcwire metrics-helper` publishes: one home for the CloudWatch names, the ipamd metric each
 * is read from, and how the nodes' figures are combined. The publisher, the CDK dashboard
 * (cdk/dashboard.ts) and the tests take the list from here, so a dashboard widget can never name a
 * metric nobody sends.
 *
 * Names follow upstream's cni-metrics-helper (cmd/cni-metrics-helper/metrics/cni_metrics.go
 * InterestingCNIMetrics) so dashboards and alarms written for it keep working; the aggregation is
 * upstream's too: the sum across nodes, the maximum for the EC2 API latency. Unlike upstream,
 * counters are sent as the increase during the period (a delta), not as the running total of
 * whichever ipamd processes happen to be alive (DESIGN.md §11; README "Metrics publisher").
 */
import { DEFAULT_METRICS_PORT, type MetricName } from '../contract/metrics.ts';

/**
 * - gauge: the current value on each node, summed across nodes.
 * - counter: the increase since the last published period, summed across nodes.
 * - latency: a histogram or summary; per node the mean over the period (Δsum / Δcount), the
 *   maximum across nodes (upstream: metricsMax).
 */
export type Aggregation = 'gauge' | 'counter' | 'latency';

export interface PublishedMetric {
  /** The CloudWatch MetricName. */
  readonly name: string;
  /** The ipamd metric (contract/metrics.ts) it is read from. */
  readonly source: MetricName;
  readonly aggregation: Aggregation;
  /** CloudWatch StandardUnit. */
  readonly unit: 'Count' | 'Milliseconds';
  /** The statistic a dashboard or alarm should use over a period. */
  readonly statistic: 'Average' | 'Sum' | 'Maximum';
}

const gauge = (name: string, source: MetricName): PublishedMetric => ({ name, source, aggregation: 'gauge', unit: 'Count', statistic: 'Average' });
const counter = (name: string, source: MetricName): PublishedMetric => ({ name, source, aggregation: 'counter', unit: 'Count', statistic: 'Sum' });

/**
 * Upstream's list, less awsUtilErr (upstream's awscni_aws_utils_error_count, which vpcwire's ipamd
 * does not have: its errors are in awscni_ipamd_error_count), plus noAvailableIPs (pods that found
 * the pool empty: the figure an operator alarms on).
 */
export const PUBLISHED_METRICS: readonly PublishedMetric[] = Object.freeze([
  gauge('assignIPAddresses', 'awscni_assigned_ip_addresses'),
  gauge('totalIPAddresses', 'awscni_total_ip_addresses'),
  gauge('totalIPv4Prefixes', 'awscni_total_ipv4_prefixes'),
  gauge('totalAssignedIPv4sPerCidr', 'awscni_assigned_ip_per_cidr'),
  gauge('eniAllocated', 'awscni_eni_allocated'),
  gauge('eniMaxAvailable', 'awscni_eni_max'),
  gauge('maxIPAddresses', 'awscni_ip_max'),
  gauge('ipamdActionInProgress', 'awscni_ipamd_action_inprogress'),
  { name: 'awsAPILatency', source: 'awscni_aws_api_latency_ms', aggregation: 'latency', unit: 'Milliseconds', statistic: 'Maximum' },
  counter('awsAPIErr', 'awscni_aws_api_error_count'),
  counter('ipamdErr', 'awscni_ipamd_error_count'),
  counter('forceRemoveENI', 'awscni_force_removed_enis'),
  counter('forceRemoveIPs', 'awscni_force_removed_ips'),
  counter('reconcileCount', 'awscni_reconcile_count'),
  counter('addReqCount', 'awscni_add_ip_req_count'),
  counter('delReqCount', 'awscni_del_ip_req_count'),
  counter('noAvailableIPs', 'awscni_no_available_ip_addresses'),
  counter('ec2ApiReqCount', 'awscni_ec2api_req_count'),
  counter('ec2ApiErrCount', 'awscni_ec2api_error_count'),
]);

/**
 * Not an ipamd metric of contract/metrics.ts but prom-client's standard process metric: when ipamd
 * exports it, a new value tells an ipamd restart (its counters begin again at 0) for certain;
 * without it the publisher relies on the container's restart count and on counters going back.
 */
export const PROCESS_START_METRIC = 'process_start_time_seconds';

/** The dimension every datum carries (upstream: CLUSTER_ID = AWS_CLUSTER_ID). */
export const CLUSTER_DIMENSION = 'CLUSTER_ID';
/** The optional second dimension (METRICS_NODE_DIMENSION=true): the node the ipamd pod runs on. */
export const NODE_DIMENSION = 'NodeName';
/** Upstream's namespace, the default of CLOUDWATCH_NAMESPACE. */
export const DEFAULT_CLOUDWATCH_NAMESPACE = 'Kubernetes';
/** ipamd's metrics port (upstream's 61678). */
export const IPAMD_METRICS_PORT = DEFAULT_METRICS_PORT;
