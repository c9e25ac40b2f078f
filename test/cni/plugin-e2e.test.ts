/**
 * The plugin end to end on the real kernel (issue 4, "Done when"): the real binary exec'd in an
 * emulated node's netns, as a runtime execs it, against ipamd and the emulator's data plane. Pods
 * reach their node, each other on a node and pods on another node through the emulated VPC, with
 * no encapsulation (a 9001-byte packet with DF crosses); a pod on a secondary ENI leaves through
 * that ENI; every spec version's result shape; CHECK catches drift; DEL and GC leave nothing.
 * Root only; every namespace is removed afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ip, run } from '../../sim/dataplane/ip.ts';
import { type LocalCluster, type LocalPod, startLocalCluster } from '../../cluster/local-cluster.ts';
import { execPlugin, podArgs } from '../../cluster/plugin-exec.ts';
import type { Topology } from '../../sim/topology.ts';
import { kernelTestsSkipReason, leftovers, reaches } from '../helpers/pod-netns.ts';
import { linkKinds, pluginBinary, txPackets } from '../helpers/plugin.ts';

// t3.small: 3 ENIs of 4 addresses (3 for pods each), so a node's fourth pod lands on a secondary ENI.
const topology: Topology = {
  vpc: {
    cidrs: ['10.81.0.0/16'],
    subnets: [
      { name: 'a', cidr: '10.81.0.0/20', az: 'us-west-2a' },
      { name: 'b', cidr: '10.81.16.0/20', az: 'us-west-2b' },
    ],
  },
  instances: [
    { name: 'node-a', type: 't3.small', subnet: 'a' },
    { name: 'node-b', type: 't3.small', subnet: 'b' },
  ],
};

const ENCAPSULATING = ['vxlan', 'geneve', 'ipip', 'gre', 'gretap', 'sit', 'wireguard', 'ip6tnl', 'fou'];

async function json<T>(netns: string, args: string[]): Promise<T> {
  return JSON.parse(await ip(['-j', ...args], netns)) as T;
}

describe('vpcwire CNI plugin on the kernel, two emulated nodes', { skip: await kernelTestsSkipReason() }, () => {
  let c: LocalCluster;
  let plugin: string;
  const pods: Record<string, LocalPod> = {};

  before(async () => {
    plugin = await pluginBinary();
    c = await startLocalCluster({ nodes: ['node-a', 'node-b'], plugin, emulator: { topology } });
    for (const name of ['a1', 'a2', 'a3', 'a4']) pods[name] = await c.addPod('node-a', { namespace: 'default', name });
    for (const name of ['b1', 'b2']) pods[name] = await c.addPod('node-b', { namespace: 'shop', name });
  });
  after(async () => {
    await c?.stop();
  });

  test('pods reach their node, each other on a node, and pods on the other node, unencapsulated', async () => {
    const { a1, a2, b1 } = pods as Record<string, LocalPod>;
    assert.ok(await reaches(a1!.netns, c.node('node-a').primaryIp), 'pod -> its node');
    assert.ok(await reaches(a1!.netns, a2!.ip), 'pod -> pod on the same node');
    assert.ok(await reaches(a1!.netns, b1!.ip), 'pod -> pod on the other node');
    assert.ok(await reaches(b1!.netns, a1!.ip), 'and back');
    // Full 9001-byte packets with Don't Fragment cross the VPC: no encapsulation header fits.
    const df = await run('ip', ['netns', 'exec', a1!.netns, 'ping', '-n', '-q', '-c', '2', '-i', '0.2', '-W', '2', '-M', 'do', '-s', '8972', b1!.ip]);
    assert.equal(df.code, 0, `9001-byte DF ping: ${df.stdout}${df.stderr}`);
    for (const ns of [c.node('node-a').netns!, c.node('node-b').netns!, c.sim.dataPlane!.routerNetns]) {
      const kinds = await linkKinds(ns);
      assert.deepEqual(kinds.filter((k) => ENCAPSULATING.includes(k)), [], `no tunnel devices in ${ns}`);
    }
    for (const p of Object.values(pods)) assert.equal(p.attempts >= 1, true);
    // Every address is one EC2 assigned to the pod's node (the VPC router routes exactly those).
    for (const p of Object.values(pods)) {
      const held = (await p.node.client.listAllocations()).find((a) => a.key.containerId === p.containerId);
      assert.equal(held?.ipv4Address, p.ip, `${p.name} is on record in ipamd`);
    }
  });

  test('a pod whose address is on a secondary ENI leaves through that ENI', async () => {
    const node = c.node('node-a');
    const held = await node.client.listAllocations();
    const onSecondary = Object.values(pods).find((p) => p.node === node && (held.find((a) => a.key.containerId === p.containerId)?.routeTable ?? 0) > 0);
    assert.ok(onSecondary, `one of node-a's 4 pods is on a secondary ENI: ${JSON.stringify(held.map((a) => [a.ipv4Address, a.routeTable]))}`);
    const table = held.find((a) => a.key.containerId === onSecondary.containerId)!.routeTable;
    const dev = `eth${table - 1}`;
    const target = pods.b1!.ip;
    const [route] = await json<{ dev: string }[]>(node.netns!, ['route', 'get', target, 'from', onSecondary.ip, 'iif', onSecondary.hostVeth]);
    assert.equal(route?.dev, dev, `the kernel routes ${onSecondary.ip} -> ${target} out of ${dev}`);
    const before = { eni: await txPackets(node.netns!, dev), primary: await txPackets(node.netns!, 'eth0') };
    const r = await run('ip', ['netns', 'exec', onSecondary.netns, 'ping', '-n', '-q', '-c', '10', '-i', '0.05', '-W', '2', target]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const sent = { eni: (await txPackets(node.netns!, dev)) - before.eni, primary: (await txPackets(node.netns!, 'eth0')) - before.primary };
    assert.ok(sent.eni >= 10, `10 echoes left through ${dev}: ${JSON.stringify(sent)}`);
    assert.ok(sent.primary < 10, `and not through eth0: ${JSON.stringify(sent)}`);
    assert.ok(await reaches(pods.b1!.netns, onSecondary.ip), 'the other node reaches it back through the ENI');
  });

  test("every spec version's result has the right shape, and CHECK and DEL accept it", async () => {
    for (const v of ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
      const p = await c.addPod('node-b', { namespace: 'versions', name: `v${v.replaceAll('.', '')}` }, { cniVersion: v });
      const r = p.result as { cniVersion: string; interfaces: Record<string, unknown>[]; ips: Record<string, unknown>[]; routes: unknown[] };
      assert.equal(r.cniVersion, v);
      assert.equal(r.interfaces.length, 2);
      for (const i of r.interfaces) assert.match(String(i.mac), /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, `${v}: every interface has a mac`);
      assert.equal(r.interfaces[1]!.sandbox, p.netnsPath);
      assert.equal(r.interfaces[0]!.sandbox, undefined, 'the host interface has no sandbox');
      assert.deepEqual(r.ips, [{ ...(v < '1.0.0' ? { version: '4' } : {}), address: `${p.ip}/32`, gateway: '169.254.1.1', interface: 1 }]);
      assert.deepEqual(r.routes, [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }]);
      assert.equal('mtu' in r.interfaces[1]!, v === '1.1.0', `${v}: interface mtu only in 1.1.0`);
      if (v >= '0.4.0') {
        const chk = await c.checkPod(p);
        assert.equal(chk.exitCode, 0, `${v} CHECK: ${chk.stdout}`);
      }
      const del = await c.delPod(p);
      assert.equal(del.exitCode, 0, `${v} DEL: ${del.stdout}`);
    }
  });

  test('CHECK reports a deleted route, on the pod side and on the node side', async () => {
    const p = await c.addPod('node-a', { namespace: 'check', name: 'drift' });
    assert.equal((await c.checkPod(p)).exitCode, 0);
    await ip(['route', 'del', 'default'], p.netns);
    const pod = await c.checkPod(p);
    assert.equal(pod.exitCode, 1);
    assert.equal(pod.json?.code, 103, pod.stdout);
    assert.match(String(pod.json?.msg), /default route via 169\.254\.1\.1 dev eth0 is missing/);
    await ip(['route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0'], p.netns);
    await ip(['route', 'del', `${p.ip}/32`], p.node.netns!);
    const host = await c.checkPod(p);
    assert.equal(host.json?.code, 103, host.stdout);
    assert.match(String(host.json?.details), new RegExp(`route ${p.ip.replaceAll('.', '\\.')}/32 dev ${p.hostVeth} is missing`));
    assert.equal((await c.delPod(p)).exitCode, 0);
  });

  test('DEL removes everything, and again, without prevResult, and with the netns gone', async () => {
    const p = await c.addPod('node-b', { namespace: 'del', name: 'gone' });
    const node = p.node;
    const base = { plugin, nodeNetns: node.netns!, containerId: p.containerId, ifName: 'eth0', args: podArgs(p, p.containerId) };
    const withPrev = { ...node.pluginConfig(), prevResult: p.result };
    const del1 = await execPlugin({ ...base, command: 'DEL', netns: p.netnsPath, config: withPrev });
    assert.equal(del1.exitCode, 0, del1.stdout);
    assert.equal(del1.stdout, '', 'DEL prints nothing on success');
    assert.deepEqual(await leftovers(node.netns!, p.ip, p.hostVeth), []);
    assert.deepEqual((await json<{ ifname: string }[]>(p.netns, ['link', 'show'])).map((l) => l.ifname), ['lo']);
    assert.equal((await node.client.listAllocations()).some((a) => a.key.containerId === p.containerId), false, 'ipamd released it');
    // containerd's second DEL comes without prevResult; kubelet may call once more after the netns is gone.
    assert.equal((await execPlugin({ ...base, command: 'DEL', netns: p.netnsPath, config: node.pluginConfig() })).exitCode, 0);
    await ip(['netns', 'del', p.netns]);
    assert.equal((await execPlugin({ ...base, command: 'DEL', netns: p.netnsPath, config: withPrev })).exitCode, 0);
    assert.equal((await execPlugin({ ...base, command: 'DEL', netns: '', config: node.pluginConfig() })).exitCode, 0);
    await c.forget(p);
  });

  test('GC releases every allocation of the network the runtime no longer lists, and its kernel state', async () => {
    const keep = await c.addPod('node-a', { namespace: 'gc', name: 'keep' });
    const leak = await c.addPod('node-a', { namespace: 'gc', name: 'leak' });
    const node = c.node('node-a');
    const valid = c.pods().filter((p) => p.node === node && p !== leak).map((p) => ({ containerID: p.containerId, ifname: 'eth0' }));
    const gc = await execPlugin({
      plugin,
      nodeNetns: node.netns!,
      command: 'GC',
      config: { ...node.pluginConfig('1.1.0'), 'cni.dev/valid-attachments': valid },
    });
    assert.equal(gc.exitCode, 0, gc.stdout);
    const held = await node.client.listAllocations();
    assert.equal(held.some((a) => a.key.containerId === leak.containerId), false, 'the leaked allocation is released');
    assert.deepEqual(await leftovers(node.netns!, leak.ip, leak.hostVeth), [], 'and its veth and rules are gone');
    for (const p of c.pods().filter((x) => x.node === node && x !== leak)) {
      assert.ok(held.some((a) => a.key.containerId === p.containerId), `${p.name} is kept`);
    }
    assert.ok(await reaches(keep.netns, pods.b1!.ip), 'a listed pod keeps working');
    await c.forget(leak); // the runtime removes the leaked sandbox's netns itself
  });
});
