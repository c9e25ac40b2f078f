/**
 * The test kubelet (issue 11 item 9): the real API server, a one-node local cluster (ipamd
 * standalone, its installer filling containerd's CNI dirs), containerd in the node's netns, and
 * the test kubelet between them. Pods created through the API with spec.nodeName get sandboxes
 * whose VPC addresses, allocated by ipamd through the real plugin, land in status.podIP; a deleted
 * pod's sandbox, address and object go; the watch survives an API server restart; stopping leaves
 * no sandbox, pod veth, route, rule or allocation.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test, type TestContext } from 'node:test';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { type LocalCluster, startLocalCluster } from '../../cluster/local-cluster.ts';
import { cidrContains, parseCidr, parseIpv4 } from '../../sim/ipv4.ts';
import type { Topology } from '../../sim/topology.ts';
import { containerdSkipReason } from '../helpers/containerd.ts';
import { type ContainerdNode, startContainerdNode } from '../helpers/installer-node.ts';
import { type ControlPlane, startControlPlane } from '../helpers/kube/control-plane.ts';
import { type Kubelet, type PodRecord, startKubelet } from '../helpers/kube/kubelet.ts';
import { cniCacheFile } from '../helpers/leftovers.ts';
import { kernelTestsSkipReason, leftovers, podNetworkState, reaches } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const skip = containerdSkipReason() ?? (await kernelTestsSkipReason());
const SUBNET = '10.87.0.0/20';
const NS = 'shop';
const topology: Topology = {
  vpc: { cidrs: ['10.87.0.0/16'], subnets: [{ name: 'a', cidr: SUBNET, az: 'us-west-2a' }] },
  instances: [{ name: 'node-a', type: 't3.small', subnet: 'a' }],
};
const inSubnet = (ip: string) => cidrContains(parseCidr(SUBNET)!, parseIpv4(ip) ?? -1);
const empty = { veths: [], podRules: 0, podRoutes: 0 };

describe('a test kubelet on a local cluster node', { skip }, () => {
  let cp: ControlPlane | undefined;
  let c: LocalCluster | undefined;
  let n: ContainerdNode | undefined;
  let kubelet: Kubelet | undefined;
  let core: CoreV1Api;
  /** What the tests keep of each pod they made: the API object as created, and when. */
  const made = new Map<string, { pod: V1Pod; createdAt: number }>();

  before(async () => {
    cp = await startControlPlane();
    core = cp.admin().makeApiClient(CoreV1Api);
    c = await startLocalCluster({ nodes: [], plugin: await pluginBinary(), emulator: { topology } });
    n = await startContainerdNode(c, 'node-a');
    kubelet = await startKubelet({
      kube: cp.admin(),
      node: n.node,
      cri: n.containerd.cri,
      labels: { 'topology.kubernetes.io/zone': 'us-west-2a', 'node.kubernetes.io/instance-type': 't3.small' },
      annotations: { 'vpcwire.test/emulated-instance': n.node.instanceId },
      maxPods: 11, // t3.small: 3 ENIs x (4 - 1) + 2
    });
    await core.createNamespace({ body: { metadata: { name: NS } } });
    // No controller manager: the ServiceAccount admission plugin wants the namespace's default account.
    await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'default' } } });
  });

  after(async () => {
    // Each part stops even when one before it failed; the last started stops first.
    const problems: unknown[] = [];
    for (const stop of [() => kubelet?.stop(), () => n?.stop(), () => c?.stop(), () => cp?.stop()]) {
      await Promise.resolve().then(stop).catch((e: unknown) => problems.push(e));
    }
    if (problems.length) throw new AggregateError(problems, 'kubelet test teardown');
  });

  /** Creates a pod bound to node-a through the API, as the scheduler's binding would leave it. */
  async function createPod(name: string): Promise<V1Pod> {
    const createdAt = Date.now();
    const pod = await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name, namespace: NS, labels: { app: 'web' } },
        spec: { nodeName: 'node-a', automountServiceAccountToken: false, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
      },
    });
    made.set(name, { pod, createdAt });
    return pod;
  }

  /** A running pod: its API status, ipamd's allocation and the sandbox all agree; timings reported. */
  async function assertRunning(t: TestContext, name: string): Promise<PodRecord & { hostVeth: string }> {
    const { pod, createdAt } = made.get(name)!;
    const r = await kubelet!.running(pod.metadata!.uid!);
    const live = await core.readNamespacedPod({ name, namespace: NS });
    const ip = live.status?.podIP ?? '';
    assert.equal(ip, r.ip, `${name}: status.podIP is the sandbox's IP`);
    assert.ok(inSubnet(ip), `${name}: ${ip} is in node-a's subnet ${SUBNET}`);
    assert.deepEqual(live.status?.podIPs?.map((x) => x.ip), [ip]);
    assert.equal(live.status?.phase, 'Running');
    assert.equal(live.status?.hostIP, n!.node.primaryIp);
    assert.equal(live.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'True');
    const a = (await n!.node.client.listAllocations()).find((x) => x.key.containerId === r.sandboxId);
    assert.equal(a?.ipv4Address, ip, `ipamd holds ${ip} for ${name}'s sandbox`);
    assert.deepEqual(a?.pod, { namespace: NS, name, uid: pod.metadata!.uid }, "ipamd recorded the pod from containerd's CNI_ARGS");
    // What containerd sent the plugin, as libcni keeps it for DEL.
    const cached = JSON.parse(readFileSync(cniCacheFile('vpcwire', r.sandboxId!), 'utf8')) as { cniArgs: [string, string][] };
    const args = Object.fromEntries(cached.cniArgs);
    assert.deepEqual(
      [args.K8S_POD_NAMESPACE, args.K8S_POD_NAME, args.K8S_POD_INFRA_CONTAINER_ID, args.K8S_POD_UID],
      [NS, name, r.sandboxId, pod.metadata!.uid],
      'CNI_ARGS as kubelet has containerd send them',
    );
    const st = await n!.containerd.cri.podSandboxStatus(r.sandboxId!);
    assert.equal(st.state, 'SANDBOX_READY');
    assert.ok(await reaches(basename(st.netnsPath), n!.node.primaryIp), `${name} (${ip}) reaches its node`);
    const ok = r.attempts.at(-1)!;
    t.diagnostic(
      `${name}: ${ip} in status.podIP ${r.statusAt! - createdAt} ms after create ` +
        `(seen bound +${r.seenAt - createdAt}, RunPodSandbox called +${ok.calledAt - createdAt} took ${ok.returnedAt! - ok.calledAt} ms` +
        `${r.attempts.length > 1 ? ` after ${r.attempts.length - 1} failed` : ''}, status written +${r.statusAt! - createdAt})`,
    );
    return { ...r, hostVeth: a!.hostVethName! };
  }

  test('registers its Node: labels, annotations, InternalIP, pod capacity, Ready', async () => {
    const node = await core.readNode({ name: 'node-a' });
    assert.equal(node.metadata?.labels?.['topology.kubernetes.io/zone'], 'us-west-2a');
    assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'node-a');
    assert.equal(node.metadata?.annotations?.['vpcwire.test/emulated-instance'], n!.node.instanceId);
    assert.equal(node.status?.addresses?.find((x) => x.type === 'InternalIP')?.address, n!.node.primaryIp);
    assert.equal(node.status?.capacity?.pods, '11');
    assert.equal(node.status?.allocatable?.pods, '11');
    assert.equal(node.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'True');
  });

  test('three pods bound to the node get distinct VPC addresses that ipamd holds, and reach the node', async (t) => {
    await Promise.all(['web-0', 'web-1', 'web-2'].map(createPod));
    const running = [];
    for (const name of ['web-0', 'web-1', 'web-2']) running.push(await assertRunning(t, name));
    assert.equal(new Set(running.map((r) => r.ip)).size, 3, 'three distinct addresses');
    assert.equal((await podNetworkState(n!.node.netns!)).veths.length, 3, 'one host veth per pod');
  });

  test("a deleted pod's sandbox, address and API object go away", async (t) => {
    const uid = made.get('web-1')!.pod.metadata!.uid!;
    const before = kubelet!.record(uid)!;
    const a = (await n!.node.client.listAllocations()).find((x) => x.key.containerId === before.sandboxId)!;
    const t0 = Date.now();
    const deleted = await core.deleteNamespacedPod({ name: 'web-1', namespace: NS });
    assert.ok(deleted.metadata?.deletionTimestamp, 'a bound pod is only marked for deletion: the kubelet finalizes it');
    const r = await kubelet!.gone(uid);
    t.diagnostic(`web-1: sandbox removed ${r.sandboxRemovedAt! - t0} ms after delete, object finalized ${r.finalizedAt! - t0} ms after`);
    const sandboxes = await n!.containerd.cri.listPodSandbox();
    assert.equal(sandboxes.some((s) => s.id === r.sandboxId || s.uid === uid), false, 'no sandbox of web-1 left');
    const held = await n!.node.client.listAllocations();
    assert.equal(held.some((x) => x.key.containerId === r.sandboxId || x.ipv4Address === r.ip), false, `${r.ip} released in ipamd`);
    assert.deepEqual(await leftovers(n!.node.netns!, r.ip!, a.hostVethName!), [], `no veth, route or rule of ${r.ip} on the node`);
    await assert.rejects(core.readNamespacedPod({ name: 'web-1', namespace: NS }), (e: { code?: number }) => e.code === 404, 'the pod object is gone');
  });

  test('the watch resumes after an API server restart: a pod created after it still gets an address', async (t) => {
    const errorsBefore = kubelet!.informerErrors().length;
    const t0 = Date.now();
    await cp!.killApiServer();
    await cp!.startApiServer();
    t.diagnostic(`API server killed and back in ${Date.now() - t0} ms`);
    await createPod('web-3');
    await assertRunning(t, 'web-3');
    const errors = kubelet!.informerErrors().slice(errorsBefore);
    assert.ok(errors.length > 0, 'the informer saw the API server go (and was restarted)');
    t.diagnostic(`informer restarted ${errors.length} time(s): ${errors.map((e) => `+${e.at - t0} ms ${e.message}`).join(', ')}`);
  });

  test('a sandbox that fails while ipamd is down is retried with backoff, the failure recorded, and then runs', async (t) => {
    const node = n!.node;
    await node.killIpamd(); // SIGKILL: the conflist stays, the plugin finds no ipamd and answers CNI 11
    const uid = (await createPod('web-4')).metadata!.uid!;
    for (const deadline = Date.now() + 15_000; !kubelet!.record(uid)?.attempts.some((a) => a.error); ) {
      assert.ok(Date.now() < deadline, 'RunPodSandbox failed within 15 s while ipamd was down');
      await sleep(20);
    }
    await node.startIpamd();
    const r = await assertRunning(t, 'web-4');
    const failed = r.attempts.filter((a) => a.error);
    assert.ok(failed.length >= 1 && r.attempts.at(-1)!.error === undefined);
    const gaps = r.attempts.slice(1).map((a, i) => a.calledAt - r.attempts[i]!.returnedAt!);
    t.diagnostic(`web-4: ${failed.length} failed RunPodSandbox (${failed[0]!.error}), retried after ${gaps.join(', ')} ms`);
  });

  test('stop removes every sandbox it made and leaves no pod veth, route, rule or allocation', async () => {
    const records = kubelet!.records();
    const netnsPaths = await Promise.all(
      records.filter((r) => !r.sandboxRemovedAt).map(async (r) => (await n!.containerd.cri.podSandboxStatus(r.sandboxId!)).netnsPath),
    );
    assert.equal(netnsPaths.length, 4, 'web-0, web-2, web-3 and web-4 still run');
    await kubelet!.stop();
    assert.deepEqual(await n!.containerd.cri.listPodSandbox(), [], 'no sandbox left');
    assert.deepEqual(await podNetworkState(n!.node.netns!), empty, 'no pod veth, rule or route on the node');
    assert.deepEqual(await n!.node.client.listAllocations(), [], 'every address back in the pool');
    for (const p of netnsPaths) assert.equal(existsSync(p), false, `${p} removed`);
    for (const r of records) assert.deepEqual(r.errors, [], `${r.name}: no failure along the way`);
  });

  test('a kubelet registered again starts each sandbox startDelayMs after it saw the pod bound', async (t) => {
    // The pods of the stopped kubelet go first, as a node's pods do when it is replaced.
    await core.deleteCollectionNamespacedPod({ namespace: NS, gracePeriodSeconds: 0 });
    kubelet = await startKubelet({ kube: cp!.admin(), node: n!.node, cri: n!.containerd.cri, startDelayMs: 400 });
    await createPod('late-0');
    const r = await assertRunning(t, 'late-0');
    assert.ok(r.attempts[0]!.calledAt - r.seenAt >= 400, `RunPodSandbox ${r.attempts[0]!.calledAt - r.seenAt} ms after the pod was seen`);
    await core.deleteNamespacedPod({ name: 'late-0', namespace: NS });
    await kubelet.gone(r.uid);
    await kubelet.stop();
    assert.deepEqual(await n!.containerd.cri.listPodSandbox(), []);
    assert.deepEqual(await podNetworkState(n!.node.netns!), empty);
    assert.deepEqual(await n!.node.client.listAllocations(), []);
  });
});
