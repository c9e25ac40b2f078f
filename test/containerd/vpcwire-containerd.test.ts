/**
 * vpcwire under a real runtime (issue 4 item 4, DESIGN.md §7): Debian's containerd + runc in an
 * emulated node's netns, its CNI dirs filled by ipamd's own installer (the plugin binary and the
 * conflist with portmap, bandwidth and tuning chained), sandboxes run and torn down over CRI as
 * kubelet does. Sandboxes get VPC addresses from the node's ENIs and reach their node and a pod
 * on another node through the emulated VPC; stop and remove leave no link, rule, route or
 * allocation behind.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type LocalCluster, type LocalPod, startLocalCluster } from '../../cluster/local-cluster.ts';
import type { Topology } from '../../sim/topology.ts';
import { containerdSkipReason } from '../helpers/containerd.ts';
import { type ContainerdNode, startContainerdNode } from '../helpers/installer-node.ts';
import { kernelTestsSkipReason, podNetworkState as nodeState, reaches } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const skip = containerdSkipReason() ?? (await kernelTestsSkipReason());

const topology: Topology = {
  vpc: {
    cidrs: ['10.84.0.0/16'],
    subnets: [
      { name: 'a', cidr: '10.84.0.0/20', az: 'us-west-2a' },
      { name: 'b', cidr: '10.84.16.0/20', az: 'us-west-2b' },
    ],
  },
  instances: [
    { name: 'node-a', type: 't3.small', subnet: 'a' },
    { name: 'node-b', type: 't3.small', subnet: 'b' },
  ],
};

describe('vpcwire under containerd', { skip }, () => {
  let c: LocalCluster;
  let nodeA: ContainerdNode | undefined;
  let remote: LocalPod;

  before(async () => {
    c = await startLocalCluster({ nodes: ['node-b'], plugin: await pluginBinary(), emulator: { topology } });
    remote = await c.addPod('node-b', { namespace: 'default', name: 'remote' });
    // node-a's ipamd runs its installer (the plugin into bin, the conflist into net.d once
    // serving, portmap, bandwidth and tuning chained); containerd runs in node-a's netns on them.
    nodeA = await startContainerdNode(c, 'node-a');
  });

  after(async () => {
    try {
      await nodeA?.stop();
    } finally {
      await c?.stop();
    }
  });

  test('sandboxes get VPC addresses from the node ENIs, reach the node and another node, and leave nothing', async (t) => {
    const node = c.node('node-a');
    const cri = nodeA!.containerd.cri;
    assert.equal((await cri.conditions()).NetworkReady?.status, true, 'the installer made the network ready');
    assert.deepEqual(await nodeState(node.netns!), { veths: [], podRules: 0, podRoutes: 0 });

    const ids: string[] = [];
    const during: string[] = [];
    for (const name of ['web-0', 'web-1', 'web-2', 'web-3']) {
      const t0 = performance.now();
      ids.push(await cri.runPodSandbox({ name, namespace: 'shop' }));
      t.diagnostic(`${name} ready in ${(performance.now() - t0).toFixed(0)} ms`);
    }
    const statuses = await Promise.all(ids.map((id) => cri.podSandboxStatus(id)));
    const held = await node.client.listAllocations();
    for (const s of statuses) {
      assert.equal(s.state, 'SANDBOX_READY');
      const a = held.find((x) => x.key.containerId === s.id);
      assert.equal(a?.ipv4Address, s.ip, `ipamd holds ${s.ip} for sandbox ${s.id.slice(0, 12)}`);
      assert.equal(a?.pod.namespace, 'shop', 'K8S_POD_* reached ipamd through CNI_ARGS');
      const netns = basename(s.netnsPath);
      assert.ok(await reaches(netns, node.primaryIp), `${s.ip} reaches its node`);
      assert.ok(await reaches(netns, remote.ip), `${s.ip} reaches a pod on node-b`);
    }
    assert.equal(new Set(statuses.map((s) => s.ip)).size, 4);
    during.push(...(await nodeState(node.netns!)).veths);
    assert.equal(during.length, 4, 'one host veth per sandbox while they run');
    assert.ok(held.some((a) => a.routeTable > 0), 'the fourth sandbox of a t3.small sits on a secondary ENI');

    for (const id of ids) {
      await cri.stopPodSandbox(id);
      await cri.stopPodSandbox(id); // kubelet repeats; containerd then calls DEL again
      await cri.removePodSandbox(id);
    }
    assert.deepEqual(await nodeState(node.netns!), { veths: [], podRules: 0, podRoutes: 0 }, 'no veth, pod rule or pod route left on the node');
    assert.deepEqual(await node.client.listAllocations(), [], 'every address back in the pool');
    for (const s of statuses) assert.equal(existsSync(s.netnsPath), false, `${s.netnsPath} removed`);
  });
});
