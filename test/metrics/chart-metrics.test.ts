/**
 * The chart's side of ipamd's metrics (issue 13): the DaemonSet declares the metrics port (named
 * `metrics`, the port ipamd serves by default), the optional PodMonitor scrapes that port by name,
 * and with DISABLE_METRICS=true no port is declared. The observability switches pass the schema.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_METRICS_PORT, METRICS_PATH } from '../../contract/metrics.ts';
import { parseConfig } from '../../ipamd/config.ts';
import { find, type K8sObject, render } from '../helpers/helm.ts';

type Container = { name: string; ports?: { name: string; containerPort: number; protocol: string }[]; env?: { name: string; value?: string }[] };
const ipamd = (objects: K8sObject[]) =>
  (find(objects, 'DaemonSet', 'vpcwire') as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers.find((c) => c.name === 'ipamd')!;

test("the DaemonSet declares ipamd's metrics port and the PodMonitor scrapes it", () => {
  const objects = render({ podMonitor: { create: true } });
  const c = ipamd(objects);
  assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: DEFAULT_METRICS_PORT, protocol: 'TCP' }]);
  // The port ipamd listens on with the chart's environment is the one declared.
  const env = Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  const listen = parseConfig(env).metricsListen;
  assert.equal(listen?.kind === 'tcp' ? listen.port : undefined, DEFAULT_METRICS_PORT);
  const monitor = find(objects, 'PodMonitor') as unknown as { spec: { podMetricsEndpoints: { port: string; path: string }[] } };
  assert.deepEqual(monitor.spec.podMetricsEndpoints.map((e) => [e.port, e.path]), [['metrics', METRICS_PATH]]);
});

test('the declared port follows VPCWIRE_METRICS_BIND_ADDRESS, as ipamd parses it', () => {
  for (const address of [':9100', '10.0.0.5:9200', '[::]:9300']) {
    const c = ipamd(render({ env: { VPCWIRE_METRICS_BIND_ADDRESS: address } }));
    const listen = parseConfig({ VPCWIRE_METRICS_BIND_ADDRESS: address }).metricsListen;
    assert.deepEqual(c.ports?.map((p) => p.containerPort), [listen?.kind === 'tcp' ? listen.port : -1], address);
  }
});

test('DISABLE_METRICS=true: no port declared; the switches and addresses pass the schema', () => {
  for (const v of ['true', 'TRUE']) assert.equal(ipamd(render({ env: { DISABLE_METRICS: v } })).ports, undefined, v);
  const objects = render({ env: { DISABLE_INTROSPECTION: 'true', INTROSPECTION_BIND_ADDRESS: 'unix:/run/vpcwire/introspect.sock', VPCWIRE_METRICS_BIND_ADDRESS: '10.0.0.5:61678' } });
  assert.ok(ipamd(objects).ports);
});
