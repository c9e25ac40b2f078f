/**
 * Issue 11's whole path on one node: the real API server, ipamd in-cluster under the shipped RBAC
 * (custom networking, ANNOTATE_POD_IP, prewarm), containerd exec'ing the real plugin, and the test
 * kubelet. Pods created with spec.nodeName get addresses from the ENIConfig's subnet, shown in
 * status.podIP and in the vpc.amazonaws.com/pod-ips annotation, and reach their node; deleted,
 * they leave nothing on the node or in ipamd.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { type LocalCluster, startLocalCluster } from '../../cluster/local-cluster.ts';
import { cidrContains, parseCidr, parseIpv4 } from '../../sim/ipv4.ts';
import type { Topology } from '../../sim/topology.ts';
import { containerdSkipReason } from '../helpers/containerd.ts';
import { type ContainerdNode, startContainerdNode } from '../helpers/installer-node.ts';
import { type ControlPlane, startControlPlane } from '../helpers/kube/control-plane.ts';
import { installEniConfigCrd, ipamdIdentity } from '../helpers/kube/identity.ts';
import { type Kubelet, startKubelet } from '../helpers/kube/kubelet.ts';
import { createEniConfig } from '../helpers/kube/objects.ts';
import { kernelTestsSkipReason, podNetworkState, reaches } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const skip = containerdSkipReason() ?? (await kernelTestsSkipReason());
const PODS_SUBNET = '10.88.64.0/20';
const topology: Topology = {
  vpc: {
    cidrs: ['10.88.0.0/16'],
    subnets: [
      { name: 'nodes', cidr: '10.88.0.0/20', az: 'us-west-2a' },
      { name: 'pods', cidr: PODS_SUBNET, az: 'us-west-2a' },
    ],
    securityGroups: [{ name: 'node-sg' }, { name: 'pods-sg' }],
  },
  instances: [{ name: 'node-a', type: 't3.small', subnet: 'nodes', securityGroups: ['node-sg'] }],
};
const NS = 'default';

describe('pods on a Kubernetes node, end to end', { skip }, () => {
  let cp: ControlPlane | undefined;
  let c: LocalCluster | undefined;
  let n: ContainerdNode | undefined;
  let kubelet: Kubelet | undefined;
  let core: CoreV1Api;
  let dir: string;

  before(async () => {
    cp = await startControlPlane();
    core = cp.admin().makeApiClient(CoreV1Api);
    dir = mkdtempSync(join(tmpdir(), 'vpcwire-e2e-'));
    await installEniConfigCrd(cp.admin());
    await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'default' } } });
    c = await startLocalCluster({ nodes: [], plugin: await pluginBinary(), emulator: { topology } });
    const sim = c.sim;
    await createEniConfig(cp.admin(), 'pods', { subnet: sim.subnet('pods').id, securityGroups: [sim.securityGroup('pods-sg').id] });
    const id = await ipamdIdentity(cp, dir, { annotatePodIp: true });
    n = await startContainerdNode(c, 'node-a', {
      env: { ...id.env, MY_NODE_NAME: 'node-a', AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'true', ANNOTATE_POD_IP: 'true', WARM_IP_TARGET: '2' },
    });
    kubelet = await startKubelet({ kube: cp.admin(), node: n.node, cri: n.containerd.cri, labels: { 'k8s.amazonaws.com/eniConfig': 'pods' }, maxPods: 8 });
  });

  after(async () => {
    const problems: unknown[] = [];
    for (const stop of [() => kubelet?.stop(), () => n?.stop(), () => c?.stop(), () => cp?.stop()]) {
      await Promise.resolve().then(stop).catch((e: unknown) => problems.push(e));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (problems.length) throw new AggregateError(problems, 'e2e teardown');
  });

  test('addresses from the ENIConfig subnet in status and annotation; reachable; nothing left after delete', async () => {
    const names = ['web-0', 'web-1', 'web-2', 'web-3'];
    const pods = await Promise.all(
      names.map((name) =>
        core.createNamespacedPod({
          namespace: NS,
          body: { metadata: { name }, spec: { nodeName: 'node-a', automountServiceAccountToken: false, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } },
        }),
      ),
    );
    const seen = new Set<string>();
    for (const pod of pods) {
      const r = await kubelet!.running(pod.metadata!.uid!);
      const live = await core.readNamespacedPod({ name: pod.metadata!.name!, namespace: NS });
      const ip = live.status?.podIP ?? '';
      assert.ok(cidrContains(parseCidr(PODS_SUBNET)!, parseIpv4(ip) ?? -1), `${ip} is in the ENIConfig's subnet`);
      assert.equal(live.metadata?.annotations?.['vpc.amazonaws.com/pod-ips'], ip, 'ANNOTATE_POD_IP');
      assert.ok(!seen.has(ip));
      seen.add(ip);
      const st = await n!.containerd.cri.podSandboxStatus(r.sandboxId!);
      assert.ok(await reaches(basename(st.netnsPath), n!.node.primaryIp), `${ip} reaches its node`);
    }
    const sim = c!.sim;
    const enis = sim.state.enisOf(n!.node.instanceId);
    assert.deepEqual(enis.find((e) => e.attachment?.deviceIndex === 0)?.secondaryIps, [], 'no pod address on the primary ENI');
    for (const e of enis.filter((x) => x.attachment?.deviceIndex !== 0)) assert.deepEqual(e.groupIds, [sim.securityGroup('pods-sg').id]);

    await Promise.all(pods.map((p) => core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: NS })));
    for (const p of pods) await kubelet!.gone(p.metadata!.uid!);
    assert.deepEqual(await n!.node.client.listAllocations(), []);
    assert.deepEqual(await podNetworkState(n!.node.netns!), { veths: [], podRules: 0, podRoutes: 0 });
  });
});
