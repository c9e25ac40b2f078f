/**
 * The test platform itself (issue 11): a real etcd and kube-apiserver start, RBAC is enforced, and
 * ipamd's shipped identity can do exactly what deploy/kubernetes/rbac.yaml grants.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AuthorizationV1Api, CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane } from '../helpers/kube/control-plane.ts';
import { installEniConfigCrd, ipamdIdentity } from '../helpers/kube/identity.ts';

let cp: ControlPlane;
let dir: string;
before(async () => {
  cp = await startControlPlane();
  dir = mkdtempSync(join(tmpdir(), 'vpcwire-kube-test-'));
  process.stderr.write(`# etcd + kube-apiserver ready in ${cp.startMs} ms\n`);
});
after(async () => {
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function asToken(token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 't', server: cp.server, caFile: cp.pki.caCert, skipTLSVerify: false }],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 't', cluster: 't', user: 'sa' }],
    currentContext: 't',
  });
  return kc;
}

async function can(kc: KubeConfig, verb: string, resource: string, group = ''): Promise<boolean> {
  const r = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { verb, resource, group } } },
  });
  return r.status?.allowed === true;
}

test('the API server is the pinned release and serves the ENIConfig CRD from the repository', async () => {
  const v = await cp.admin().makeApiClient(VersionApi).getCode();
  assert.equal(`${v.major}.${v.minor}`, '1.37');
  await installEniConfigCrd(cp.admin());
});

test("ipamd's service account can do what rbac.yaml grants and nothing else", async () => {
  const id = await ipamdIdentity(cp, dir);
  const kc = asToken(id.token);
  for (const [verb, resource, group] of [
    ['get', 'nodes', ''], ['watch', 'nodes', ''], ['list', 'pods', ''], ['watch', 'eniconfigs', 'crd.k8s.amazonaws.com'],
    ['create', 'events', 'events.k8s.io'], ['patch', 'events', 'events.k8s.io'],
  ] as const) assert.equal(await can(kc, verb, resource, group), true, `${verb} ${resource}`);
  for (const [verb, resource, group] of [
    ['patch', 'pods', ''], ['delete', 'pods', ''], ['patch', 'nodes', ''], ['get', 'secrets', ''], ['create', 'events', ''],
    ['list', 'namespaces', ''],
  ] as const) assert.equal(await can(kc, verb, resource, group), false, `${verb} ${resource} must be denied`);
  await assert.rejects(kc.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: 'kube-system' }), (e: { code?: number }) => e.code === 403);
  const annotating = asToken((await ipamdIdentity(cp, dir, { name: 'vpcwire-annotate', annotatePodIp: true })).token);
  assert.equal(await can(annotating, 'patch', 'pods'), true, 'ANNOTATE_POD_IP binds pods patch');
});

test('a killed API server comes back on the same address with its data', async () => {
  const core = cp.admin().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'survives-restart' } } });
  await cp.killApiServer();
  await assert.rejects(core.readNamespace({ name: 'survives-restart' }));
  await cp.startApiServer();
  const ns = await core.readNamespace({ name: 'survives-restart' });
  assert.equal(ns.metadata?.name, 'survives-restart');
});
