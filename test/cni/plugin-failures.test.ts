/**
 * The plugin when things go wrong (issue 4 item 1), with the real binary on the real kernel:
 * errors are the spec's JSON with the right code and a message naming the problem; an empty pool
 * is "try again later" (11); an interface that exists fails ADD without touching the pod that
 * owns it; a failed wiring is undone and its address released; DEL with ipamd down tears the host
 * side down from prevResult and leaves a release note that ipamd replays; STATUS says 50 while
 * ipamd is down or the pool cannot grow. One emulated t3.small node limited to its primary ENI
 * (MAX_ENI=1: three pod addresses), with no cooldown so released addresses count as free at once.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ip } from '../../sim/dataplane/ip.ts';
import { type LocalCluster, startLocalCluster } from '../../cluster/local-cluster.ts';
import { execPlugin, podArgs } from '../../cluster/plugin-exec.ts';
import type { Topology } from '../../sim/topology.ts';
import { kernelTestsSkipReason, reaches } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const topology: Topology = {
  vpc: { cidrs: ['10.82.0.0/16'], subnets: [{ name: 'a', cidr: '10.82.0.0/20', az: 'us-west-2a' }] },
  instances: [{ name: 'node', type: 't3.small', subnet: 'a' }],
};

describe('vpcwire CNI plugin failures', { skip: await kernelTestsSkipReason() }, () => {
  let c: LocalCluster;
  let plugin: string;
  const scratch: string[] = [];

  before(async () => {
    plugin = await pluginBinary();
    c = await startLocalCluster({ nodes: ['node'], plugin, emulator: { topology }, ipamdEnv: { MAX_ENI: '1', IP_COOLDOWN_PERIOD: '0' } });
  });
  after(async () => {
    for (const ns of scratch) await ip(['netns', 'del', ns]).catch(() => undefined);
    await c?.stop();
  });

  /** A pod netns the test owns (not wired through the cluster's addPod). */
  async function netns(name: string): Promise<string> {
    const ns = `${c.sim.dataPlane!.routerNetns.replace(/vpc$/, '')}${name}`;
    await ip(['netns', 'add', ns]);
    scratch.push(ns);
    return ns;
  }

  const add = (ns: string, containerId: string, name: string, config?: Record<string, unknown>) =>
    execPlugin({
      plugin,
      nodeNetns: c.node('node').netns!,
      command: 'ADD',
      containerId,
      netns: `/run/netns/${ns}`,
      ifName: 'eth0',
      args: podArgs({ namespace: 'fail', name }, containerId),
      config: config ?? c.node('node').pluginConfig(),
    });

  test('missing environment (4), bad configuration (7), unsupported version (1), bad JSON (6)', async () => {
    const node = c.node('node');
    const base = { plugin, nodeNetns: node.netns!, command: 'ADD' as const, containerId: 'c1', netns: '/run/netns/x', ifName: 'eth0', config: node.pluginConfig() };
    const noEnv = await execPlugin({ ...base, containerId: undefined, env: { CNI_NETNS: undefined, CNI_IFNAME: undefined } });
    assert.equal(noEnv.exitCode, 1);
    assert.deepEqual(noEnv.json, { cniVersion: '1.0.0', code: 4, msg: 'required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME] missing' });
    const badConf = await execPlugin({ ...base, config: { ...node.pluginConfig(), socket: 'relative.sock' } });
    assert.equal(badConf.json?.code, 7);
    assert.match(String(badConf.json?.msg), /"socket" must be an absolute path/);
    const oldVersion = await execPlugin({ ...base, config: { ...node.pluginConfig(), cniVersion: '0.2.0' } });
    assert.equal(oldVersion.json?.code, 1);
    const notJson = await execPlugin({ ...base, config: '{"cniVersion": "1.0.0", ' });
    assert.equal(notJson.json?.code, 6);
    const version = await execPlugin({ ...base, command: 'VERSION', config: { cniVersion: '1.1.0' } });
    assert.deepEqual(version.json, { cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
    const about = await execPlugin({ ...base, command: '', config: '' });
    assert.equal(about.exitCode, 0);
    assert.match(about.stdout, /^CNI vpcwire plugin v\d+\.\d+\.\d+\nCNI protocol versions supported: 0\.3\.0, 0\.3\.1, 0\.4\.0, 1\.0\.0, 1\.1\.0\n$/);
  });

  test('ADD into a netns that already has the interface fails (102) and leaves the owner alone', async () => {
    const owner = await c.addPod('node', { namespace: 'fail', name: 'owner' });
    const before = (await c.node('node').client.listAllocations()).length;
    const again = await add(owner.netns, 'intruder', 'intruder');
    assert.equal(again.exitCode, 1);
    assert.equal(again.json?.code, 102, again.stdout);
    assert.match(String(again.json?.msg), /interface eth0 already exists in/);
    assert.equal((await c.node('node').client.listAllocations()).length, before, "the intruder's address was given back");
    assert.equal((await c.checkPod(owner)).exitCode, 0, 'the owner is untouched');
    // A repeated ADD of the owner itself (a runtime bug) fails the same way but keeps its address.
    const repeat = await add(owner.netns, owner.containerId, 'owner');
    assert.equal(repeat.json?.code, 102);
    assert.ok((await c.node('node').client.listAllocations()).some((a) => a.key.containerId === owner.containerId));
    assert.equal((await c.checkPod(owner)).exitCode, 0, "the owner's links, routes and rules are untouched");
    assert.ok(await reaches(owner.netns, c.node('node').primaryIp));
    assert.equal((await c.delPod(owner)).exitCode, 0);
  });

  test('a netns that does not exist is code 3, before any address is taken', async () => {
    const before = (await c.node('node').client.listAllocations()).length;
    const r = await add('vpcw-no-such-netns', 'ghost', 'ghost');
    assert.equal(r.json?.code, 3, r.stdout);
    assert.equal((await c.node('node').client.listAllocations()).length, before);
  });

  test('a wiring the kernel refuses half way is undone and its address released (101)', async () => {
    const ns = await netns('blackhole');
    await ip(['route', 'add', 'blackhole', 'default'], ns); // the pod side's default route will collide
    const r = await add(ns, 'half', 'half');
    assert.equal(r.json?.code, 101, r.stdout);
    assert.match(String(r.json?.details), /released/);
    assert.equal((await c.node('node').client.listAllocations()).some((a) => a.key.containerId === 'half'), false);
    const links = JSON.parse(await ip(['-j', 'link', 'show'], ns)) as { ifname: string }[];
    assert.deepEqual(links.map((l) => l.ifname), ['lo']);
    const rules = JSON.parse(await ip(['-j', 'rule', 'show'], c.node('node').netns!)) as { priority: number }[];
    assert.equal(rules.filter((x) => x.priority === 512 || x.priority === 1536).length, c.pods().length, 'no rule left for it');
  });

  test('an empty pool that cannot grow: ADD says try again later (11), STATUS says 50', async () => {
    const node = c.node('node');
    const status = (cfg = node.pluginConfig('1.1.0')) => execPlugin({ plugin, nodeNetns: node.netns!, command: 'STATUS', config: cfg });
    assert.equal((await status()).exitCode, 0, 'STATUS is fine while addresses are free');
    const filled = [];
    for (let i = 0; i < 3; i++) filled.push(await c.addPod('node', { namespace: 'fail', name: `fill${i}` }));
    const ns = await netns('overflow');
    const r = await add(ns, 'overflow', 'overflow');
    assert.equal(r.exitCode, 1);
    assert.equal(r.json?.code, 11, r.stdout);
    assert.match(String(r.json?.msg), /no free VPC address on this node/);
    const s = await status();
    assert.equal(s.json?.code, 50, s.stdout);
    assert.match(String(s.json?.msg), /no free address and the pool cannot grow \(instance limits reached/);
    assert.equal((await status(node.pluginConfig('1.0.0'))).json?.code, 1, 'STATUS needs a 1.1.0 config');
    for (const p of filled) assert.equal((await c.delPod(p)).exitCode, 0);
  });

  test('DEL while ipamd is down: host side torn down from prevResult, release note replayed at start', async () => {
    const node = c.node('node');
    const p = await c.addPod('node', { namespace: 'fail', name: 'orphan' });
    await node.stopIpamd();
    const status = await execPlugin({ plugin, nodeNetns: node.netns!, command: 'STATUS', config: node.pluginConfig('1.1.0') });
    assert.equal(status.json?.code, 50, status.stdout);
    assert.match(String(status.json?.msg), /ipamd is unreachable/);
    const addDown = await add(await netns('while-down'), 'while-down', 'while-down');
    assert.equal(addDown.json?.code, 11, `ADD while ipamd is down: try again later: ${addDown.stdout}`);

    const del = await execPlugin({
      plugin,
      nodeNetns: node.netns!,
      command: 'DEL',
      containerId: p.containerId,
      netns: p.netnsPath,
      ifName: 'eth0',
      args: podArgs(p, p.containerId),
      config: { ...node.pluginConfig(), prevResult: p.result },
    });
    assert.equal(del.exitCode, 0, del.stdout);
    assert.equal(readdirSync(node.releaseNotesDir).filter((f) => f.endsWith('.json')).length, 1, 'one durable release note');
    const rules = JSON.parse(await ip(['-j', 'rule', 'show'], node.netns!)) as { src?: string; dst?: string }[];
    assert.equal(rules.some((r) => r.src === p.ip || r.dst === p.ip), false, 'rules gone from prevResult');
    const links = JSON.parse(await ip(['-j', 'link', 'show'], node.netns!)) as { ifname: string }[];
    assert.equal(links.some((l) => l.ifname === p.hostVeth), false, 'host veth gone');

    await node.startIpamd();
    assert.equal((await node.client.listAllocations()).some((a) => a.key.containerId === p.containerId), false, 'ipamd replayed the note');
    assert.deepEqual(readdirSync(node.releaseNotesDir).filter((f) => f.endsWith('.json')), [], 'and removed it');
    await c.forget(p);
  });
});
