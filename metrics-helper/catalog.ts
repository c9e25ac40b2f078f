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
import { IPAMD_METRIC_NAMES } from './metric-names.ts';

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
  /** The ipamd metric (Prometheus family name) it is read from. */
  readonly source: string;
  readonly aggregation: Aggregation;
  /** CloudWatch StandardUnit. */
  readonly unit: 'Count' | 'Milliseconds';
  /** The statistic a dashboard or alarm should use over a period. */
  readonly statistic: 'Average' | 'Sum' | 'Maximum';
}

const m = IPAMD_METRIC_NAMES;

const gauge = (name: string, source: string): PublishedMetric => ({ name, source, aggregation: 'gauge', unit: 'Count', statistic: 'Average' });
const counter = (name: string, source: string): PublishedMetric => ({ name, source, aggregation: 'counter', unit: 'Count', statistic: 'Sum' });

export const PUBLISHED_METRICS: readonly PublishedMetric[] = Object.freeze([
  gauge('assignIPAddresses', m.assignedIpAddresses),
  gauge('totalIPAddresses', m.totalIpAddresses),
  gauge('totalIPv4Prefixes', m.totalIpv4Prefixes),
  gauge('eniAllocated', m.eniAllocated),
  gauge('eniMaxAvailable', m.eniMax),
  gauge('maxIPAddresses', m.ipMax),
  gauge('ipamdActionInProgress', m.ipamdActionInProgress),
  { name: 'awsAPILatency', source: m.awsApiLatency, aggregation: 'latency', unit: 'Milliseconds', statistic: 'Maximum' },
  counter('awsAPIErr', m.awsApiErrorCount),
  counter('awsUtilErr', m.awsUtilsErrorCount),
  counter('ipamdErr', m.ipamdErrorCount),
  counter('forceRemoveENI', m.forceRemovedEnis),
  counter('forceRemoveIPs', m.forceRemovedIps),
  counter('reconcileCount', m.reconcileCount),
  counter('addReqCount', m.addIpReqCount),
  counter('delReqCount', m.delIpReqCount),
  counter('ec2ApiReqCount', m.ec2ApiReqCount),
  counter('ec2ApiErrCount', m.ec2ApiErrorCount),
]);

/** The dimension every datum carries (upstream: CLUSTER_ID = AWS_CLUSTER_ID). */
export const CLUSTER_DIMENSION = 'CLUSTER_ID';
/** The optional second dimension (METRICS_NODE_DIMENSION=true): the node the ipamd pod runs on. */
export const NODE_DIMENSION = 'NodeName';
/** Upstream's namespace, the default of CLOUDWATCH_NAMESPACE. */
export const DEFAULT_CLOUDWATCH_NAMESPACE = 'Kubernetes';
/** ipamd's metrics port (upstream's 61678). */
export const IPAMD_METRICS_PORT = 61678;
