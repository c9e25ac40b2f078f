/**
 * charts/vpcwire rendered by the real helm (issue 12 items 2, 3, 5, 6), no API server: lint, the
 * objects each value set renders, the ClusterRoles and CRD against deploy/kubernetes/ (one source
 * of truth each), the schema against what ipamd parses, bad values refused naming the key, and the
 * checked-in plain manifest against a fresh render.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CHART, find, helm, type K8sObject, parseObjects, render, valuesFile } from '../helpers/helm.ts';
import { parseSettings } from '../../metrics-helper/settings.ts';
import { IRSA_ROLE, METRICS_IRSA_ROLE, VALUE_SETS } from './value-sets.ts';

const REPO = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

type Container = { name: string; env?: { name: string; value?: string; valueFrom?: unknown }[]; securityContext?: Record<string, unknown>; livenessProbe?: { exec: { command: string[] }; timeoutSeconds: number }; readinessProbe?: { timeoutSeconds: number }; resources?: unknown; volumeMounts: { name: string; mountPath: string }[] };
type PodSpec = { hostNetwork: boolean; priorityClassName: string; serviceAccountName: string; tolerations: unknown[]; affinity: unknown; containers: Container[]; initContainers: Container[]; volumes: { name: string; hostPath: { path: string } }[] };
const daemonSet = (objects: K8sObject[]) => find(objects, 'DaemonSet', 'vpcwire') as K8sObject & { spec: { updateStrategy: unknown; template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } } };
const ipamd = (objects: K8sObject[]) => daemonSet(objects).spec.template.spec.containers.find((c) => c.name === 'ipamd')!;
const envOf = (objects: K8sObject[]) => Object.fromEntries((ipamd(objects).env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const rules = (o: K8sObject | undefined) => (o as { rules?: unknown } | undefined)?.rules;

describe('helm lint --strict', () => {
  for (const [name, values] of Object.entries(VALUE_SETS)) {
    test(name, () => {
      const r = helm(['lint', '--strict', CHART, '--values', valuesFile(values)]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }
});

describe('helm template', () => {
  test('defaults: ServiceAccount, ClusterRole and binding, DaemonSet; no ENIConfig, no pod patch role, no PodMonitor', () => {
    const objects = render();
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ClusterRole/vpcwire', 'ClusterRoleBinding/vpcwire', 'DaemonSet/vpcwire', 'ServiceAccount/vpcwire',
    ]);
    assert.equal(find(objects, 'ServiceAccount')!.metadata.annotations, undefined, 'Pod Identity: no annotation');
    const ds = daemonSet(objects);
    assert.equal(ds.metadata.namespace, 'kube-system');
    assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } });
    const pod = ds.spec.template.spec;
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.priorityClassName, 'system-node-critical');
    assert.equal(pod.serviceAccountName, 'vpcwire');
    assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
    const terms = JSON.stringify(pod.affinity);
    assert.match(terms, /"key":"eks.amazonaws.com\/compute-type","operator":"NotIn","values":\["fargate","hybrid","auto"\]/);
    const c = ipamd(objects);
    assert.deepEqual(c.securityContext, { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } }, 'ipamd is not privileged');
    assert.deepEqual(c.resources, { requests: { cpu: '25m', memory: '200Mi' } });
    assert.deepEqual(c.livenessProbe!.exec.command, ['node', '/opt/vpcwire/bin/vpcwire.ts', 'health', '--socket', '/run/vpcwire/ipamd.sock']);
    assert.equal(c.livenessProbe!.timeoutSeconds, 10);
    assert.equal(c.readinessProbe!.timeoutSeconds, 10);
    assert.deepEqual(envOf(objects), {
      MY_NODE_NAME: { fieldRef: { fieldPath: 'spec.nodeName' } },
      MY_POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.mountPath, pod.volumes.find((v) => v.name === m.name)!.hostPath.path]));
    assert.deepEqual(mounts, {
      '/opt/cni/bin': '/opt/cni/bin', '/etc/cni/net.d': '/etc/cni/net.d', '/var/log/vpcwire': '/var/log/vpcwire',
      '/run/vpcwire': '/run/vpcwire', '/var/lib/vpcwire': '/var/lib/vpcwire', '/run/xtables.lock': '/run/xtables.lock',
    });
    const [init] = pod.initContainers;
    assert.deepEqual(init!.securityContext, { privileged: true }, 'only the rp_filter step is privileged');
  });

  test('custom networking: one ENIConfig per subnets key, with its subnet and security groups', () => {
    const objects = render(VALUE_SETS['custom networking with ENIConfigs']);
    const eni = objects.filter((o) => o.kind === 'ENIConfig');
    assert.deepEqual(eni.map((o) => [o.metadata.name, o.spec]), [
      ['us-west-2a', { subnet: 'subnet-0a1b2c3d', securityGroups: ['sg-0a1b2c3d', 'sg-0e0f'] }],
      ['us-west-2b', { subnet: 'subnet-0b2c3d4e' }],
    ]);
    assert.equal(eni[0]!.apiVersion, 'crd.k8s.amazonaws.com/v1alpha1');
    assert.equal(envOf(objects).ENI_CONFIG_LABEL_DEF, 'topology.kubernetes.io/zone');
  });

  test('prefix delegation with warm targets: the variables reach ipamd as strings', () => {
    const env = envOf(render(VALUE_SETS['prefix delegation with warm targets']));
    assert.deepEqual([env.ENABLE_PREFIX_DELEGATION, env.WARM_PREFIX_TARGET, env.WARM_IP_TARGET, env.MINIMUM_IP_TARGET], ['true', '1', '5', '2']);
  });

  test('IRSA: the role ARN annotates the ServiceAccount the DaemonSet runs as', () => {
    const objects = render(VALUE_SETS.IRSA);
    assert.deepEqual(find(objects, 'ServiceAccount')!.metadata.annotations, { 'eks.amazonaws.com/role-arn': IRSA_ROLE });
  });

  test('external SNAT', () => {
    const env = envOf(render(VALUE_SETS['external SNAT']));
    assert.equal(env.AWS_VPC_K8S_CNI_EXTERNALSNAT, 'true');
    assert.equal(env.AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS, '10.10.0.0/16,192.168.0.0/24');
  });

  test('the add-on keys reach the pod: annotations, labels, resources, probe timeouts, update strategy, tolerations', () => {
    const objects = render(VALUE_SETS['pod IP annotation, tuned pod']);
    const ds = daemonSet(objects);
    assert.equal(ds.spec.template.metadata.annotations!['example.com/team'], 'net');
    assert.equal(ds.spec.template.metadata.labels.team, 'net');
    const c = ipamd(objects);
    assert.deepEqual(c.resources, { requests: { cpu: '50m', memory: '256Mi' }, limits: { memory: '512Mi' } });
    assert.equal(c.livenessProbe!.timeoutSeconds, 15);
    assert.equal(c.readinessProbe!.timeoutSeconds, 7);
    assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    assert.deepEqual(ds.spec.template.spec.tolerations, [{ key: 'dedicated', operator: 'Equal', value: 'net', effect: 'NoSchedule' }]);
  });

  test('OnDelete: the default rollingUpdate does not come along (the API refuses it with OnDelete)', () => {
    assert.deepEqual(daemonSet(render(VALUE_SETS['OnDelete updates'])).spec.updateStrategy, { type: 'OnDelete' });
  });

  test('the metrics publisher: one Recreate replica under its own account, RBAC in its namespace only: pods list, pods/proxy get, its state ConfigMap', () => {
    const objects = render(VALUE_SETS['metrics publisher with IRSA, per-node series']);
    const own = objects.filter((o) => o.metadata.name.startsWith('vpcwire-metrics')).map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(own, [
      'Deployment/vpcwire-metrics-helper', 'Role/vpcwire-metrics-helper', 'Role/vpcwire-metrics-helper-pods',
      'RoleBinding/vpcwire-metrics-helper', 'RoleBinding/vpcwire-metrics-helper-pods', 'ServiceAccount/vpcwire-metrics',
    ]);
    assert.equal(find(objects, 'ServiceAccount', 'vpcwire-metrics')!.metadata.annotations?.['eks.amazonaws.com/role-arn'], METRICS_IRSA_ROLE);
    // What metrics-helper/targets.ts calls: listNamespacedPod and connectGetNamespacedPodProxyWithPath, in the release's namespace.
    const pods = find(objects, 'Role', 'vpcwire-metrics-helper-pods')!;
    assert.equal(pods.metadata.namespace, 'kube-system');
    assert.deepEqual(rules(pods), [
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/proxy'], verbs: ['get'] },
    ]);
    const podsBinding = find(objects, 'RoleBinding', 'vpcwire-metrics-helper-pods') as K8sObject & { roleRef: unknown; subjects: unknown };
    assert.deepEqual(podsBinding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'vpcwire-metrics-helper-pods' });
    assert.deepEqual(podsBinding.subjects, [{ kind: 'ServiceAccount', name: 'vpcwire-metrics', namespace: 'kube-system' }]);
    assert.deepEqual(rules(find(objects, 'Role', 'vpcwire-metrics-helper')), [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['vpcwire-metrics-helper-state'], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
    ]);
    assert.deepEqual(objects.filter((o) => o.kind.startsWith('Cluster')).map((o) => o.metadata.name).sort(), ['vpcwire', 'vpcwire'], "no cluster-wide grant for the publisher: only ipamd's ClusterRole and binding");
    const d = find(objects, 'Deployment', 'vpcwire-metrics-helper') as K8sObject & { spec: { replicas: number; strategy: unknown; selector: { matchLabels: Record<string, string> }; template: { spec: PodSpec } } };
    assert.equal(d.spec.replicas, 1);
    assert.deepEqual(d.spec.strategy, { type: 'Recreate' });
    // Its pods are not the DaemonSet's, or it would scrape itself and the DaemonSet would count it.
    const dsSelector = daemonSet(objects).spec.template.metadata.labels;
    assert.notEqual(d.spec.selector.matchLabels['app.kubernetes.io/name'], dsSelector['app.kubernetes.io/name']);
    const c = d.spec.template.spec.containers[0]!;
    assert.equal(d.spec.template.spec.serviceAccountName, 'vpcwire-metrics');
    assert.deepEqual((c as unknown as { command: string[] }).command, ['node', '/opt/vpcwire/bin/vpcwire.ts', 'metrics-helper']);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
    assert.deepEqual(env, {
      AWS_CLUSTER_ID: 'my-cluster', AWS_REGION: 'us-west-2', CLOUDWATCH_NAMESPACE: 'Kubernetes', METRICS_NODE_DIMENSION: 'true', SCRAPE_MODE: 'proxy',
      SCRAPE_INTERVAL: '30s', PUBLISH_INTERVAL: '60s', IPAMD_NAMESPACE: 'kube-system',
      IPAMD_LABEL_SELECTOR: 'app.kubernetes.io/name=vpcwire,app.kubernetes.io/instance=vpcwire', IPAMD_METRICS_PORT: '61678', STATE_CONFIGMAP: 'vpcwire-metrics-helper-state',
      POD_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } }, LOG_LEVEL: 'debug',
    });
    // Direct scraping needs no pods/proxy; an existing account (cdk/'s IRSA one) is used as named.
    const direct = render({ metricsHelper: { enabled: true, clusterId: 'c', scrape: 'direct', serviceAccount: { create: false, name: 'vpcwire-metrics' } } });
    assert.deepEqual(rules(find(direct, 'Role', 'vpcwire-metrics-helper-pods')), [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }]);
    assert.equal(find(direct, 'ServiceAccount', 'vpcwire-metrics'), undefined);
    assert.equal(render().filter((o) => o.metadata.name.startsWith('vpcwire-metrics')).length, 0, 'off by default');
  });

  test("the publisher scrapes the port the DaemonSet opens: both from env.VPCWIRE_METRICS_BIND_ADDRESS", () => {
    type Port = { name: string; containerPort: number };
    for (const [bind, port] of [[undefined, 61678], ['', 61678], [':9100', 9100], ['127.0.0.1:9200', 9200], ['[::1]:9300', 9300]] as const) {
      const objects = render({ env: bind === undefined ? {} : { VPCWIRE_METRICS_BIND_ADDRESS: bind }, metricsHelper: { enabled: true, clusterId: 'c' } });
      const opened = (ipamd(objects) as unknown as { ports: Port[] }).ports.find((p) => p.name === 'metrics')!.containerPort;
      const d = find(objects, 'Deployment', 'vpcwire-metrics-helper') as K8sObject & { spec: { template: { spec: PodSpec } } };
      const scraped = d.spec.template.spec.containers[0]!.env!.find((e) => e.name === 'IPAMD_METRICS_PORT')?.value;
      assert.equal(opened, port, `${bind}: the DaemonSet's containerPort`);
      assert.equal(scraped, String(port), `${bind}: the publisher's IPAMD_METRICS_PORT`);
    }
  });

  test('PodMonitor only when asked', () => {
    const pm = find(render({ podMonitor: { create: true, labels: { release: 'prom' } } }), 'PodMonitor');
    assert.equal(pm?.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(pm?.metadata.labels?.release, 'prom');
  });
});

describe('one source of truth', () => {
  test("the ClusterRoles' rules are deploy/kubernetes/rbac.yaml's; pods patch only with ANNOTATE_POD_IP (any case)", () => {
    const shipped = parseObjects(read('deploy/kubernetes/rbac.yaml'));
    const base = render();
    assert.deepEqual(rules(find(base, 'ClusterRole', 'vpcwire')), rules(find(shipped, 'ClusterRole', 'vpcwire')));
    assert.equal(find(base, 'ClusterRole', 'vpcwire-pod-ip-annotation'), undefined);
    for (const value of ['true', 'TRUE', 'True']) {
      const annotated = render({ env: { ANNOTATE_POD_IP: value } });
      assert.deepEqual(rules(find(annotated, 'ClusterRole', 'vpcwire-pod-ip-annotation')), rules(find(shipped, 'ClusterRole', 'vpcwire-pod-ip-annotation')), value);
      const binding = find(annotated, 'ClusterRoleBinding', 'vpcwire-pod-ip-annotation') as { subjects: unknown } | undefined;
      assert.deepEqual(binding?.subjects, [{ kind: 'ServiceAccount', name: 'vpcwire', namespace: 'kube-system' }]);
    }
    assert.equal(find(render({ env: { ANNOTATE_POD_IP: 'false' } }), 'ClusterRole', 'vpcwire-pod-ip-annotation'), undefined);
    // Every ClusterRole the chart can render is one of the shipped ones.
    assert.deepEqual(shipped.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name).sort(), ['vpcwire', 'vpcwire-pod-ip-annotation']);
  });

  test('crds/ holds deploy/kubernetes/eniconfig-crd.yaml unchanged', () => {
    assert.equal(read('charts/vpcwire/crds/eniconfig-crd.yaml'), read('deploy/kubernetes/eniconfig-crd.yaml'));
  });

  test("the schema's env lists exactly the variables ipamd parses, less the ones only tests and the chart itself set", () => {
    const schema = JSON.parse(read('charts/vpcwire/values.schema.json')) as { properties: { env: { properties: Record<string, unknown>; additionalProperties: boolean } } };
    assert.equal(schema.properties.env.additionalProperties, false);
    const listed = Object.keys(schema.properties.env.properties).sort();
    const sources = ['ipamd/config.ts', 'ipamd/log-config.ts', 'ipamd/kube/settings.ts', 'ipamd/install/config.ts'].map(read).join('\n');
    const parsed = new Set([...sources.matchAll(/\(env, '([A-Z][A-Z0-9_]+)'/g, ), ...sources.matchAll(/const name = '([A-Z][A-Z0-9_]+)'/g), ...sources.matchAll(/env\[?'?([A-Z][A-Z0-9_]+)'?\]/g)].map((m) => m[1]!));
    for (const name of listed) assert.ok(parsed.has(name), `${name} is in the schema but ipamd does not parse it`);
    // Set by the chart (downward API, mounts), or only meaningful outside a cluster (tests, the emulator).
    const notOffered = new Set([
      'MY_NODE_NAME', 'KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'VPCWIRE_KUBERNETES', 'VPCWIRE_SERVICEACCOUNT_ROOT', 'VPCWIRE_HOST_NETNS',
      'VPCWIRE_HOST_NETWORK', 'VPCWIRE_IMDS_ENDPOINT', 'VPCWIRE_SOCKET', 'VPCWIRE_CHECKPOINT', 'VPCWIRE_RELEASE_NOTES_DIR',
      'VPCWIRE_INSTALL_CNI', 'VPCWIRE_CNI_BIN_DIR', 'VPCWIRE_CNI_CONF_DIR', 'VPCWIRE_CNI_PLUGIN_SOURCE',
    ]);
    assert.deepEqual([...parsed].filter((n) => !notOffered.has(n)).sort(), listed);
  });
});

describe('bad values are refused, naming the key', () => {
  const refused = (values: unknown, path: RegExp) => {
    const r = helm(['template', 'vpcwire', CHART, '--values', valuesFile(values)]);
    assert.notEqual(r.status, 0, 'helm accepted the values');
    assert.match(r.stderr, /values don't meet the specifications of the schema/);
    assert.match(r.stderr, path);
  };
  test('a number where the add-on wants a string', () => refused({ env: { WARM_IP_TARGET: 5 } }, /at '\/env\/WARM_IP_TARGET': got number, want string/));
  test('a value ipamd would refuse', () => refused({ env: { ENABLE_PREFIX_DELEGATION: 'yes' } }, /at '\/env\/ENABLE_PREFIX_DELEGATION': '.*yes.*' does not match pattern/));
  test("the plugin's log on stdout, where the CNI result goes", () => refused({ env: { AWS_VPC_K8S_PLUGIN_LOG_FILE: 'stdout' } }, /at '\/env\/AWS_VPC_K8S_PLUGIN_LOG_FILE': '.*stdout.*' does not match pattern/));
  test('a log size that is not a number of MiB', () => refused({ env: { VPCWIRE_LOG_MAX_SIZE_MB: '100MB' } }, /at '\/env\/VPCWIRE_LOG_MAX_SIZE_MB': '.*100MB.*' does not match pattern/));
  for (const name of ['ENABLE_POD_ENI', 'ENABLE_IPv6', 'POD_SECURITY_GROUP_ENFORCING_MODE', 'AWS_VPC_K8S_CNI_CONNMARK', 'NO_SUCH_VARIABLE']) {
    test(`an upstream variable vpcwire does not implement: ${name}`, () => refused({ env: { [name]: 'false' } }, new RegExp(`at '/env': additional properties '${name}' not allowed`)));
  }
  test('an init container variable', () => refused({ init: { env: { DISABLE_TCP_EARLY_DEMUX: 'false' } } }, /at '\/init\/env': additional properties 'DISABLE_TCP_EARLY_DEMUX' not allowed/));
  test('an ENIConfig without a subnet', () => refused({ eniConfig: { create: true, subnets: { 'us-west-2a': { securityGroups: ['sg-1'] } } } }, /at '\/eniConfig\/subnets\/us-west-2a': missing property 'id'/));
  test('an unknown top-level key (an add-on key vpcwire lacks)', () => refused({ nodeAgent: { enabled: false } }, /at '': additional properties 'nodeAgent' not allowed/));
  test('the metrics publisher without a cluster id', () => refused({ metricsHelper: { enabled: true } }, /at '\/metricsHelper\/clusterId': minLength: got 0, want 1/));
  test('a metrics publisher scrape mode that does not exist', () => refused({ metricsHelper: { scrape: 'push' } }, /at '\/metricsHelper\/scrape'/));
  test("CloudWatch's own namespaces", () => refused({ metricsHelper: { cloudwatchNamespace: 'AWS/EC2' } }, /at '\/metricsHelper\/cloudwatchNamespace'/));
  test('publisher intervals the publisher would refuse (under 100 ms, not a duration), and its timeout and endpoint', () => {
    refused({ metricsHelper: { scrapeInterval: '50ms' } }, /at '\/metricsHelper\/scrapeInterval': '50ms' does not match pattern/);
    refused({ metricsHelper: { publishInterval: '0.05s' } }, /at '\/metricsHelper\/publishInterval'/);
    refused({ metricsHelper: { scrapeInterval: '0s' } }, /at '\/metricsHelper\/scrapeInterval'/);
    refused({ metricsHelper: { scrapeInterval: '30 s' } }, /at '\/metricsHelper\/scrapeInterval'/);
    refused({ metricsHelper: { env: { SCRAPE_TIMEOUT: '50ms' } } }, /at '\/metricsHelper\/env\/SCRAPE_TIMEOUT'/);
    refused({ metricsHelper: { env: { AWS_CLOUDWATCH_ENDPOINT: 'monitoring.us-west-2.amazonaws.com' } } }, /at '\/metricsHelper\/env\/AWS_CLOUDWATCH_ENDPOINT'/);
  });
  test("every interval the schema lets through, the publisher accepts (the schema may refuse more, never less)", () => {
    const schema = JSON.parse(read('charts/vpcwire/values.schema.json')) as { properties: { metricsHelper: { properties: Record<string, { pattern: string }> } } };
    const pattern = new RegExp(schema.properties.metricsHelper.properties.scrapeInterval!.pattern);
    assert.equal(schema.properties.metricsHelper.properties.publishInterval!.pattern, pattern.source);
    const candidates = ['100ms', '99ms', '99.9ms', '100.5ms', '0100ms', '1000ms', '0.1s', '0.09s', '0.10s', '1s', '30s', '45', '0.1', '0', '0s', '0m', '0.1m', '2m', '1.5m', '30 s', 's', '1h', '-1s', ''];
    const accepted = candidates.filter((c) => pattern.test(c));
    assert.deepEqual(accepted, ['100ms', '100.5ms', '1000ms', '0.1s', '0.10s', '1s', '30s', '45', '0.1', '0.1m', '2m', '1.5m']);
    for (const c of accepted) {
      assert.doesNotThrow(() => parseSettings([], { AWS_CLUSTER_ID: 'c', AWS_REGION: 'us-west-2', SCRAPE_INTERVAL: c, PUBLISH_INTERVAL: c, SCRAPE_TIMEOUT: c }), c);
    }
    // And helm agrees with the JavaScript reading of the pattern on the edges.
    for (const c of ['100ms', '0.1s', '45', '0.1m']) render({ metricsHelper: { enabled: true, clusterId: 'c', scrapeInterval: c, publishInterval: c } });
  });
  test('a publish interval shorter than the scrape interval (compared as durations)', () => {
    const r = helm(['template', 'vpcwire', CHART, '--values', valuesFile({ metricsHelper: { enabled: true, clusterId: 'c', scrapeInterval: '1m', publishInterval: '59s' } })]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /metricsHelper\.publishInterval \(59s\) must not be shorter than metricsHelper\.scrapeInterval \(1m\)/);
    render({ metricsHelper: { enabled: true, clusterId: 'c', scrapeInterval: '1m', publishInterval: '60' } });
    render({ metricsHelper: { enabled: true, clusterId: 'c', scrapeInterval: '500ms', publishInterval: '0.5s' } });
  });
  test('the publisher with ipamd metrics turned off (it would have nothing to scrape)', () => {
    for (const off of ['true', 'TRUE']) {
      const r = helm(['template', 'vpcwire', CHART, '--values', valuesFile({ env: { DISABLE_METRICS: off }, metricsHelper: { enabled: true, clusterId: 'c' } })]);
      assert.notEqual(r.status, 0, off);
      assert.match(r.stderr, /metricsHelper\.enabled needs ipamd's metrics, but env\.DISABLE_METRICS is "true"/);
    }
    const alone = render({ env: { DISABLE_METRICS: 'true' } });
    assert.equal((ipamd(alone) as unknown as { ports?: unknown }).ports, undefined, 'no metrics port without metrics');
    render({ env: { DISABLE_METRICS: 'false' }, metricsHelper: { enabled: true, clusterId: 'c' } });
  });
  test('eniConfig.create without subnets', () => {
    const r = helm(['template', 'vpcwire', CHART, '--set', 'eniConfig.create=true']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /eniConfig\.subnets must name at least one ENIConfig/);
  });
});

test('deploy/vpcwire.yaml is the chart rendered with its defaults (regenerate: bash deploy/render.sh)', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'vpcwire-manifest-')), 'vpcwire.yaml');
  const r = spawnSync('bash', [join(REPO, 'deploy/render.sh'), out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(read('deploy/vpcwire.yaml') === readFileSync(out, 'utf8'), 'deploy/vpcwire.yaml is out of date: run bash deploy/render.sh and commit it');
  const kinds = parseObjects(read('deploy/vpcwire.yaml')).map((o) => o.kind);
  assert.deepEqual(kinds, ['CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'DaemonSet']);
});
