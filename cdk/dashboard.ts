/**
 * A CloudWatch dashboard for what `vpcwire metrics-helper` publishes (issue 13): namespace
 * Kubernetes (iam's METRICS_NAMESPACE, the namespace the publisher's role may write), dimension
 * CLUSTER_ID = the cluster's name (the chart's metricsHelper.clusterId). Every widget's metrics
 * come from metrics-helper/catalog.ts, the publisher's own list, with the statistic the catalog
 * gives each (Average for gauges, Sum for the counters' per-period deltas, Maximum for the EC2 API
 * latency); a test holds the dashboard to exactly that list.
 */
import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { CLUSTER_DIMENSION, PUBLISHED_METRICS } from '../metrics-helper/catalog.ts';

/** The widgets: a title and the CloudWatch names it plots. Every published metric appears once. */
export const DASHBOARD_WIDGETS: readonly { readonly title: string; readonly metrics: readonly string[] }[] = [
  { title: 'Pod addresses (cluster total)', metrics: ['assignIPAddresses', 'totalIPAddresses', 'maxIPAddresses'] },
  { title: 'ENIs and prefixes', metrics: ['eniAllocated', 'eniMaxAvailable', 'totalIPv4Prefixes', 'totalAssignedIPv4sPerCidr'] },
  { title: 'Allocation API requests per period', metrics: ['addReqCount', 'delReqCount', 'noAvailableIPs'] },
  { title: 'EC2 API requests and errors per period', metrics: ['ec2ApiReqCount', 'ec2ApiErrCount', 'awsAPIErr'] },
  { title: 'EC2 API latency, slowest node (ms)', metrics: ['awsAPILatency'] },
  { title: 'ipamd work and errors', metrics: ['reconcileCount', 'ipamdErr', 'forceRemoveENI', 'forceRemoveIPs', 'ipamdActionInProgress'] },
];

export interface PublisherDashboardProps {
  readonly clusterId: string;
  readonly namespace: string;
  readonly dashboardName?: string;
  /** The publisher's period (PUBLISH_INTERVAL): counters are deltas per period, so sums use it. */
  readonly period?: Duration;
}

export function publisherDashboard(scope: Construct, id: string, p: PublisherDashboardProps): cw.Dashboard {
  const byName = new Map(PUBLISHED_METRICS.map((m) => [m.name, m]));
  const period = p.period ?? Duration.minutes(1);
  const widgets = DASHBOARD_WIDGETS.map(
    (w) =>
      new cw.GraphWidget({
        title: w.title,
        width: 12,
        height: 6,
        left: w.metrics.map((name) => {
          const m = byName.get(name);
          if (!m) throw new Error(`dashboard widget '${w.title}' names ${name}, which the publisher does not publish (metrics-helper/catalog.ts)`);
          return new cw.Metric({ namespace: p.namespace, metricName: m.name, dimensionsMap: { [CLUSTER_DIMENSION]: p.clusterId }, statistic: m.statistic, unit: m.unit === 'Milliseconds' ? cw.Unit.MILLISECONDS : cw.Unit.COUNT, period });
        }),
      }),
  );
  const dashboard = new cw.Dashboard(scope, id, { ...(p.dashboardName ? { dashboardName: p.dashboardName } : {}) });
  for (let i = 0; i < widgets.length; i += 2) dashboard.addWidgets(...widgets.slice(i, i + 2));
  return dashboard;
}
