/**
 * `vpcwire migrate` (issue 12 item 4): an add-on configuration or an exported aws-node DaemonSet in,
 * chart values out (which the real helm then accepts), every setting left behind named on stderr
 * with why, exit 2 on input it cannot read.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadAllYaml } from '@kubernetes/client-node';
import { CHART, helm, parseObjects } from '../helpers/helm.ts';

const BIN = new URL('../../bin/vpcwire.ts', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

function migrate(file: string, input?: string) {
  const r = spawnSync(process.execPath, [BIN, 'migrate', file], { encoding: 'utf8', input });
  const notes = r.stderr.split('\n').filter(Boolean);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, notes };
}
const valuesOf = (stdout: string) => JSON.parse(JSON.stringify(loadAllYaml(stdout)[0])) as Record<string, unknown>;

/** The values are good for the chart: helm renders them (schema included) into a DaemonSet. */
function rendersWith(stdout: string): ReturnType<typeof parseObjects> {
  const file = join(mkdtempSync(join(tmpdir(), 'vpcwire-migrated-')), 'values.yaml');
  writeFileSync(file, stdout);
  const r = helm(['template', 'vpcwire', CHART, '--namespace', 'kube-system', '--values', file]);
  assert.equal(r.status, 0, r.stderr);
  return parseObjects(r.stdout);
}

test('an add-on configuration: implemented settings carried, the rest named with why; helm takes the result', () => {
  const r = migrate(join(FIXTURES, 'addon-config.json'));
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(valuesOf(r.stdout), {
    env: {
      WARM_IP_TARGET: '5', MINIMUM_IP_TARGET: '10', AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'true', ENI_CONFIG_LABEL_DEF: 'topology.kubernetes.io/zone',
      AWS_VPC_K8S_CNI_LOG_FILE: '/var/log/vpcwire/ipamd.log', AWS_VPC_K8S_PLUGIN_LOG_FILE: '/var/log/vpcwire/plugin.log', AWS_VPC_K8S_PLUGIN_LOG_LEVEL: 'DEBUG',
    },
    resources: { requests: { cpu: '50m' } },
    tolerations: [{ operator: 'Exists' }],
    livenessProbeTimeoutSeconds: 12,
    eniConfig: { create: true, region: 'us-west-2', subnets: { 'us-west-2a': { id: 'subnet-0a1b2c3d', securityGroups: ['sg-0a1b2c3d'] } } },
  });
  const expected: [string, RegExp][] = [
    ['changed: env.AWS_VPC_K8S_CNI_LOG_FILE', /logs on the node go under \/var\/log\/vpcwire/],
    ['changed: env.AWS_VPC_K8S_PLUGIN_LOG_FILE', /logs on the node go under \/var\/log\/vpcwire .*AWS_VPC_K8S_PLUGIN_LOG_FILE=\/var\/log\/vpcwire\/plugin\.log/],
    ['not carried over: env.ENABLE_POD_ENI', /not implemented: no security groups for pods/],
    ['not carried over: env.ENABLE_IPv6', /IPv4-only \(false is what vpcwire does anyway\)/],
    ['not carried over: env.ENABLE_PREFIX_DELEGATION', /"yes" is not a value vpcwire accepts/],
    ['not carried over: env.POD_SECURITY_GROUP_ENFORCING_MODE', /not implemented/],
    ['not carried over: init.env.DISABLE_TCP_EARLY_DEMUX', /no init container variables/],
    ['not carried over: enableNetworkPolicy', /no network policy agent/],
    ['not carried over: nodeAgent', /no network policy agent/],
  ];
  assert.equal(r.notes.length, expected.length, r.stderr);
  for (const [prefix, why] of expected) {
    const line = r.notes.find((l) => l.startsWith(`vpcwire migrate: ${prefix}: `));
    assert.ok(line, `no note for ${prefix}:\n${r.stderr}`);
    assert.match(line, why);
  }
  const objects = rendersWith(r.stdout);
  assert.deepEqual(objects.filter((o) => o.kind === 'ENIConfig').map((o) => o.metadata.name), ['us-west-2a']);
});

test('an exported aws-node DaemonSet (YAML or JSON, as kubectl prints it): env, probes, scheduling and pod metadata carried', () => {
  const yaml = migrate(join(FIXTURES, 'aws-node-daemonset.yaml'));
  assert.equal(yaml.status, 0, yaml.stderr);
  const values = valuesOf(yaml.stdout);
  assert.deepEqual(values.env, {
    ADDITIONAL_ENI_TAGS: '{}', AWS_VPC_ENI_MTU: '9001', AWS_VPC_K8S_CNI_EXTERNALSNAT: 'false', AWS_VPC_K8S_CNI_LOGLEVEL: 'DEBUG',
    AWS_VPC_K8S_CNI_LOG_FILE: '/var/log/vpcwire/ipamd.log', AWS_VPC_K8S_CNI_RANDOMIZESNAT: 'prng', AWS_VPC_K8S_CNI_VETHPREFIX: 'eni',
    DISABLE_INTROSPECTION: 'false', ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '1',
  });
  assert.equal(values.livenessProbeTimeoutSeconds, 10);
  assert.equal(values.readinessProbeTimeoutSeconds, 8);
  assert.deepEqual(values.podLabels, { team: 'platform' }, "upstream's own labels stay behind");
  assert.deepEqual(values.podAnnotations, { 'example.com/owner': 'platform' }, "kubectl's restartedAt stays behind");
  assert.deepEqual(values.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } });
  for (const key of ['env.CLUSTER_NAME', 'containers.aws-eks-nodeagent', 'image', 'env.AWS_VPC_CNI_NODE_PORT_SUPPORT',
    'env.ENABLE_IPv4', 'env.VPC_CNI_VERSION', 'init.env.DISABLE_TCP_EARLY_DEMUX', 'init.env.ENABLE_IPv6']) {
    assert.ok(yaml.notes.some((l) => l.includes(`: ${key}: `)), `no note for ${key}:\n${yaml.stderr}`);
  }
  assert.match(yaml.stderr, /env\.CLUSTER_NAME: taken from \{"configMapKeyRef"/);
  rendersWith(yaml.stdout);

  // kubectl -o json, on stdin: the same values.
  const ds = JSON.parse(JSON.stringify(loadAllYaml(readFileSync(join(FIXTURES, 'aws-node-daemonset.yaml'), 'utf8'))[0])) as unknown;
  const json = migrate('-', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [ds] }, null, 2));
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(valuesOf(json.stdout), values);
});

test("log settings: upstream's names carried, levels in any case, the plugin never on stdout; helm takes the result", () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-migrate-logs-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ env: { AWS_VPC_K8S_CNI_LOGLEVEL: 'Info', AWS_VPC_K8S_CNI_LOG_FILE: 'stderr', AWS_VPC_K8S_PLUGIN_LOG_FILE: 'stdout', AWS_VPC_K8S_PLUGIN_LOG_LEVEL: 'Warn' } }));
  const r = migrate(file);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(valuesOf(r.stdout).env, { AWS_VPC_K8S_CNI_LOGLEVEL: 'Info', AWS_VPC_K8S_CNI_LOG_FILE: 'stderr', AWS_VPC_K8S_PLUGIN_LOG_LEVEL: 'Warn' });
  assert.equal(r.notes.length, 1, r.stderr);
  assert.match(r.notes[0]!, /not carried over: env\.AWS_VPC_K8S_PLUGIN_LOG_FILE: vpcwire differs: stdout is not a place the plugin can log to .*keeps its default \/var\/log\/vpcwire\/plugin\.log/);
  rendersWith(r.stdout);
  writeFileSync(file, JSON.stringify({ env: { AWS_VPC_K8S_PLUGIN_LOG_FILE: 'stderr', AWS_VPC_K8S_PLUGIN_LOG_LEVEL: 'LOUD' } }));
  const bad = migrate(file);
  assert.deepEqual(valuesOf(bad.stdout).env, { AWS_VPC_K8S_PLUGIN_LOG_FILE: 'stderr' });
  assert.match(bad.stderr, /env\.AWS_VPC_K8S_PLUGIN_LOG_LEVEL: "LOUD" is not a value vpcwire accepts/);
});

test('input it cannot read: exit 2 naming the problem, nothing on stdout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-migrate-'));
  const cases: [string, string, RegExp][] = [
    ['missing', join(dir, 'none.json'), /cannot read .*none\.json: ENOENT/],
    ['not YAML', 'bad.yaml', /bad\.yaml is neither JSON nor YAML: /],
    ['another kind', 'cm.yaml', /cm\.yaml: expected an add-on configuration object or a DaemonSet, found ConfigMap/],
    ['empty', 'empty.yaml', /empty\.yaml: expected an add-on configuration object or a DaemonSet, found no object/],
  ];
  writeFileSync(join(dir, 'bad.yaml'), 'env: [unclosed\n');
  writeFileSync(join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: amazon-vpc-cni}\n');
  writeFileSync(join(dir, 'empty.yaml'), '');
  for (const [what, file, message] of cases) {
    const r = migrate(file.startsWith('/') ? file : join(dir, file));
    assert.equal(r.status, 2, `${what}: ${r.stderr}`);
    assert.equal(r.stdout, '', what);
    assert.match(r.stderr, message, what);
  }
  const none = spawnSync(process.execPath, [BIN, 'migrate'], { encoding: 'utf8' });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /expected one FILE, got 0\n\nusage: vpcwire migrate FILE/);
});
