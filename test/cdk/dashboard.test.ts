/**
 * The CloudWatch dashboard of the test cluster (cdk/dashboard.ts) against the publisher's own list
 * (metrics-helper/catalog.ts): its widgets name exactly the metrics `vpcwire metrics-helper`
 * publishes, each once, in the namespace the publisher's role may write and with dimension
 * CLUSTER_ID = the cluster, with the catalog's statistic. Read from the synthesized template.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TestClusterStack } from '../../cdk/cluster-stack.ts';
import { readConfig } from '../../cdk/config.ts';
import { publisherDashboard } from '../../cdk/dashboard.ts';
import { METRICS_NAMESPACE } from '../../iam/policies.ts';
import { CLUSTER_DIMENSION, PUBLISHED_METRICS } from '../../metrics-helper/catalog.ts';

const dir = mkdtempSync(join(tmpdir(), 'vpcwire-cdk-dashboard-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Widget = { properties: { title: string; metrics: (string | { stat?: string })[][] } };

/** The dashboard body of a template: its Fn::Join with every token replaced by a marker. */
function dashboardBody(template: Template): { widgets: Widget[] } {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  assert.equal(dashboards.length, 1);
  const body = (dashboards[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
  const text = typeof body === 'string' ? body : (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

/** [namespace, name, dimension, value, options] rows of every graph. */
function plotted(body: { widgets: Widget[] }) {
  return body.widgets.flatMap((w) =>
    w.properties.metrics.map((row) => {
      const [namespace, name, dim, value, opts] = row as [string, string, string, string, { stat?: string } | undefined];
      return { widget: w.properties.title, namespace, name, dim, value, stat: opts?.stat };
    }),
  );
}

test("the test cluster's dashboard plots exactly the published metrics, once each, in iam's namespace, per CLUSTER_ID", () => {
  const app = new App({ outdir: join(dir, 'cluster') });
  const stack = new TestClusterStack(app, 'TestCluster', { config: readConfig(() => undefined) });
  const rows = plotted(dashboardBody(Template.fromStack(stack)));
  assert.deepEqual(rows.map((r) => r.name).sort(), PUBLISHED_METRICS.map((m) => m.name).sort());
  for (const r of rows) {
    assert.equal(r.namespace, METRICS_NAMESPACE, r.name);
    assert.equal(r.dim, CLUSTER_DIMENSION, r.name);
    assert.equal(r.value, 'vpcwire-test', r.name);
  }
  // The publisher in the same stack sends to that cluster id and namespace.
  const mh = stack.chartValues.metricsHelper as { enabled: boolean; clusterId: string; cloudwatchNamespace: string; serviceAccount: { name: string } };
  assert.deepEqual([mh.enabled, mh.clusterId, mh.cloudwatchNamespace, mh.serviceAccount.name], [true, 'vpcwire-test', METRICS_NAMESPACE, 'vpcwire-metrics']);
});

test("each metric is plotted with the catalog's statistic (Sum for per-period deltas, Maximum for latency)", () => {
  const stack = new Stack(new App({ outdir: join(dir, 'alone') }), 'D');
  publisherDashboard(stack, 'Dash', { clusterId: 'c1', namespace: 'Custom/Net' });
  const rows = plotted(dashboardBody(Template.fromStack(stack)));
  const stat = new Map(rows.map((r) => [r.name, r.stat ?? 'Average']));
  for (const m of PUBLISHED_METRICS) assert.equal(stat.get(m.name), m.statistic, m.name);
  assert.equal(stat.get('addReqCount'), 'Sum');
  assert.equal(stat.get('awsAPILatency'), 'Maximum');
  assert.ok(rows.every((r) => r.namespace === 'Custom/Net' && r.value === 'c1'));
});
