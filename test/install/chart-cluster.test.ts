/**
 * charts/vpcwire against a real kube-apiserver (issue 12 item 6): helm install, upgrade (keeping the
 * user's values with --reuse-values; a new values file leaves nothing of the old ones) and
 * uninstall (everything goes but the CRD), then every object of every value set and the plain
 * manifest through server-side validation (kubectl apply --server-side --dry-run=server). No
 * kubelet runs the DaemonSet's pods; the API objects are what is tested.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type ControlPlane, startControlPlane } from '../helpers/kube/control-plane.ts';
import { CHART, helm, type K8sObject, valuesFile } from '../helpers/helm.ts';
import { IRSA_ROLE, VALUE_SETS } from './value-sets.ts';

let cp: ControlPlane;
let dir: string;
let kubeconfig: string;

before(async () => {
  cp = await startControlPlane();
  dir = mkdtempSync(join(tmpdir(), 'vpcwire-chart-cluster-'));
  // The admin's kubeconfig for helm and kubectl, from the control plane's PKI.
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'test',
    clusters: [{ name: 'test', cluster: { server: cp.server, 'certificate-authority': cp.pki.caCert } }],
    users: [{ name: 'admin', user: { 'client-certificate': cp.pki.adminCert, 'client-key': cp.pki.adminKey } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
  }));
});
after(async () => {
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function kubectl(args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(join(cp.bin, 'kubectl'), ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kube-cache'), ...args], { encoding: 'utf8', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const helmK = (args: readonly string[]) => helm([...args, '--kubeconfig', kubeconfig]);
function ok<T extends { status: number | null; stdout: string; stderr: string }>(r: T, what: string): T {
  assert.equal(r.status, 0, `${what}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The release's objects as the API server holds them (names only where a test needs more). */
function live(kind: string, namespaced = false): K8sObject[] {
  const r = ok(kubectl(['get', kind, ...(namespaced ? ['-n', 'kube-system'] : []), '-o', 'json']), `get ${kind}`);
  return (JSON.parse(r.stdout) as { items: K8sObject[] }).items;
}
const names = (kind: string, namespaced = false) => live(kind, namespaced).map((o) => o.metadata.name).filter((n) => n.startsWith('vpcwire') || !namespaced).sort();
const ours = (kind: string) => live(kind).map((o) => o.metadata.name).filter((n) => n.startsWith('vpcwire')).sort();
function dsEnv(): Record<string, string> {
  const [ds] = live('daemonset', true).filter((o) => o.metadata.name === 'vpcwire') as (K8sObject & { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } })[];
  assert.ok(ds, 'DaemonSet vpcwire exists');
  return Object.fromEntries(ds.spec.template.spec.containers[0]!.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
}
const saAnnotations = () => live('serviceaccount', true).find((o) => o.metadata.name === 'vpcwire')?.metadata.annotations ?? {};
const eniConfigs = () => Object.fromEntries(live('eniconfigs').map((o) => [o.metadata.name, (o as { spec?: unknown }).spec]));

test('helm install, upgrade (--reuse-values keeps the user\'s values; a new file leaves no stale ones), uninstall (all but the CRD)', () => {
  const first = {
    ...VALUE_SETS['custom networking with ENIConfigs'],
    env: { ...(VALUE_SETS['custom networking with ENIConfigs']!.env as object), ANNOTATE_POD_IP: 'true' },
    serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': IRSA_ROLE } },
  };
  ok(helmK(['install', 'vpcwire', CHART, '--namespace', 'kube-system', '--values', valuesFile(first)]), 'helm install');
  assert.ok(live('crd').some((o) => o.metadata.name === 'eniconfigs.crd.k8s.amazonaws.com'), 'the CRD from crds/');
  assert.deepEqual(ours('clusterrole'), ['vpcwire', 'vpcwire-pod-ip-annotation']);
  assert.deepEqual(ours('clusterrolebinding'), ['vpcwire', 'vpcwire-pod-ip-annotation']);
  assert.deepEqual(Object.keys(eniConfigs()).sort(), ['us-west-2a', 'us-west-2b']);
  assert.equal(saAnnotations()['eks.amazonaws.com/role-arn'], IRSA_ROLE);
  assert.deepEqual(dsEnv(), { ANNOTATE_POD_IP: 'true', AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'true', ENI_CONFIG_LABEL_DEF: 'topology.kubernetes.io/zone' });

  // One more variable, everything else as the user left it.
  ok(helmK(['upgrade', 'vpcwire', CHART, '--namespace', 'kube-system', '--reuse-values', '--set-string', 'env.WARM_IP_TARGET=7']), 'helm upgrade --reuse-values');
  assert.deepEqual(dsEnv(), { ANNOTATE_POD_IP: 'true', AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'true', ENI_CONFIG_LABEL_DEF: 'topology.kubernetes.io/zone', WARM_IP_TARGET: '7' });
  assert.deepEqual(Object.keys(eniConfigs()).sort(), ['us-west-2a', 'us-west-2b']);
  assert.equal(saAnnotations()['eks.amazonaws.com/role-arn'], IRSA_ROLE);

  // A new values file: nothing of the old values survives (env, role, ENIConfig, annotation).
  const second = {
    env: { ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '2' },
    eniConfig: { create: true, subnets: { 'us-west-2a': { id: 'subnet-0ffff' } } },
    metricsHelper: { enabled: true, clusterId: 'my-cluster', region: 'us-west-2' },
  };
  ok(helmK(['upgrade', 'vpcwire', CHART, '--namespace', 'kube-system', '--values', valuesFile(second)]), 'helm upgrade --values');
  assert.deepEqual(dsEnv(), { ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '2' });
  assert.deepEqual(ours('clusterrole'), ['vpcwire'], 'the pods patch role goes with ANNOTATE_POD_IP; the publisher has none');
  assert.deepEqual(ours('clusterrolebinding'), ['vpcwire']);
  assert.deepEqual(names('deployment', true), ['vpcwire-metrics-helper']);
  assert.deepEqual(names('role', true), ['vpcwire-metrics-helper', 'vpcwire-metrics-helper-pods']);
  assert.deepEqual(names('rolebinding', true), ['vpcwire-metrics-helper', 'vpcwire-metrics-helper-pods']);
  assert.deepEqual(names('serviceaccount', true).filter((n) => n.startsWith('vpcwire')), ['vpcwire', 'vpcwire-metrics']);
  assert.deepEqual(eniConfigs(), { 'us-west-2a': { subnet: 'subnet-0ffff' } });
  assert.equal(saAnnotations()['eks.amazonaws.com/role-arn'], undefined);
  const values = JSON.parse(ok(helmK(['get', 'values', 'vpcwire', '--namespace', 'kube-system', '--output', 'json']), 'helm get values').stdout) as unknown;
  assert.deepEqual(values, second);

  ok(helmK(['uninstall', 'vpcwire', '--namespace', 'kube-system', '--wait']), 'helm uninstall');
  assert.deepEqual(ours('clusterrole'), []);
  assert.deepEqual(ours('clusterrolebinding'), []);
  assert.deepEqual(names('daemonset', true), []);
  assert.deepEqual(names('deployment', true), []);
  assert.deepEqual(names('role', true), []);
  assert.deepEqual(names('rolebinding', true), []);
  assert.deepEqual(names('serviceaccount', true).filter((n) => n.startsWith('vpcwire')), []);
  assert.deepEqual(eniConfigs(), {});
  assert.ok(live('crd').some((o) => o.metadata.name === 'eniconfigs.crd.k8s.amazonaws.com'), 'helm keeps CRDs it installed from crds/');
});

test('every object of every value set, and deploy/vpcwire.yaml, pass server-side validation', () => {
  // The CRD must exist for ENIConfigs to validate (the previous test leaves it; apply it anyway).
  ok(kubectl(['apply', '--server-side', '-f', join(CHART, 'crds')]), 'apply CRD');
  ok(kubectl(['wait', '--for=condition=Established', 'crd/eniconfigs.crd.k8s.amazonaws.com', '--timeout=30s']), 'CRD established');
  for (const [name, values] of Object.entries(VALUE_SETS)) {
    const rendered = ok(helm(['template', 'vpcwire', CHART, '--namespace', 'kube-system', '--values', valuesFile(values)]), `render ${name}`);
    const r = kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], rendered.stdout);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    const applied = r.stdout.trim().split('\n').length;
    assert.ok(applied >= 4, `${name}: ${r.stdout}`);
  }
  const manifest = readFileSync(new URL('../../deploy/vpcwire.yaml', import.meta.url), 'utf8');
  const r = kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], manifest);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /daemonset\.apps\/vpcwire serverside-applied \(server dry run\)/);
  // And the server does refuse what it should: the check is real.
  const broken = manifest.replace('maxUnavailable: 10%', 'maxUnavailable: 110%');
  assert.notEqual(broken, manifest);
  const refused = kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], broken);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /maxUnavailable.*110%/);
});
