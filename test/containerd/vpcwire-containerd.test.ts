/**
 * vpcwire under a real runtime (issue 4 item 4, DESIGN.md §7): Debian's containerd + runc in an
 * emulated node's netns, its CNI dirs filled by ipamd's own installer (the plugin binary and the
 * conflist with portmap, bandwidth and tuning chained), sandboxes run and torn down over CRI as
 * kubelet does. Sandboxes get VPC addresses from the node's ENIs and reach their node and a pod
 * on another node through the emulated VPC; stop and remove leave no link, rule, route or
 * allocation behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { ip } from '../../sim/dataplane/ip.ts';
import { type LocalCluster, type LocalPod, startLocalCluster } from '../../cluster/local-cluster.ts';
import type { Topology } from '../../sim/topology.ts';
import { type Containerd, containerdSkipReason, startContainerd } from '../helpers/containerd.ts';
import { kernelTestsSkipReason, reaches } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const DEBIAN_CNI = '/usr/lib/cni';
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

/** What pods put on a node: host veths (the eni prefix), their rules (512/1536) and /32 routes. */
async function nodeState(netns: string): Promise<{ veths: string[]; podRules: number; podRoutes: number }> {
  const links = (JSON.parse(await ip(['-j', 'link', 'show'], netns)) as { ifname: string }[]).map((l) => l.ifname);
  const rules = JSON.parse(await ip(['-j', 'rule', 'show'], netns)) as { priority: number }[];
  const routes = JSON.parse(await ip(['-j', 'route', 'show', 'table', 'main'], netns)) as { dev: string }[];
  return {
    veths: links.filter((l) => l.startsWith('eni')).sort(),
    podRules: rules.filter((r) => r.priority === 512 || r.priority === 1536).length,
    podRoutes: routes.filter((r) => r.dev.startsWith('eni')).length,
  };
}

describe('vpcwire under containerd', { skip }, () => {
  let c: LocalCluster;
  let ctrd: Containerd | undefined;
  let remote: LocalPod;
  let dirs: { bin: string; conf: string; ctrd: string };
  let base: string | undefined;

  before(async () => {
    const plugin = await pluginBinary();
    c = await startLocalCluster({ nodes: ['node-b'], plugin, emulator: { topology } });
    remote = await c.addPod('node-b', { namespace: 'default', name: 'remote' });
    base = join(c.nodes[0]!.dir, '..', `${basename(c.nodes[0]!.dir)}-ctrd`);
    dirs = { bin: join(base, 'bin'), conf: join(base, 'net.d'), ctrd: join(base, 'containerd') };
    mkdirSync(dirs.bin, { recursive: true });
    // The node's other CNI plugins (loopback for containerd, the chained ones), as the AMI ships them.
    for (const f of readdirSync(DEBIAN_CNI)) symlinkSync(join(DEBIAN_CNI, f), join(dirs.bin, f));
    // node-a's ipamd runs its installer: the plugin into bin, the conflist into net.d once serving.
    const nodeA = await (await import('../../cluster/local-node.ts')).startLocalNode(c.sim, 'node-a', {
      VPCWIRE_INSTALL_CNI: 'true',
      VPCWIRE_CNI_BIN_DIR: dirs.bin,
      VPCWIRE_CNI_CONF_DIR: dirs.conf,
      VPCWIRE_CNI_PLUGIN_SOURCE: plugin,
      VPCWIRE_CNI_CHAINED_PLUGINS: 'portmap,bandwidth,tuning',
      VPCWIRE_CNI_PLUGIN_LOG_FILE: join(base, 'plugin.log'),
    });
    (c.nodes as LocalCluster['nodes'][number][]).push(nodeA);
    for (let i = 0; i < 100 && !existsSync(join(dirs.conf, '10-vpcwire.conflist')); i++) await sleep(50);
    ctrd = await startContainerd({ netns: nodeA.netns!, dir: dirs.ctrd, cniBinDir: dirs.bin, cniConfDir: dirs.conf });
  });

  after(async () => {
    try {
      await ctrd?.stop();
    } finally {
      try {
        await c?.stop();
      } finally {
        // The installer's bin dir holds a copy of the plugin (about 120 MB).
        if (base) rmSync(base, { recursive: true, force: true });
      }
    }
  });

  test('sandboxes get VPC addresses from the node ENIs, reach the node and another node, and leave nothing', async (t) => {
    const node = c.node('node-a');
    const cri = ctrd!.cri;
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
