/**
 * Any runtime (issue 9 item 3), with the real plugin binary against a real ipamd on the emulator's
 * kernel data plane: ADD, CHECK, DEL and GC with no K8S_POD_* arguments (nerdctl, cnitool, a person
 * by hand), with podman's K8S_POD_NAME only, and with IgnoreUnknown; an unknown key without it is
 * refused as the reference plugins refuse it. The host veth is then named after the container
 * (ipamd/veth.ts hostVethFor), and ipamd's checkpoint replay uses the same name: the allocation is
 * kept while that veth exists and dropped once it is gone.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { hostVethFor, hostVethName } from '../../ipamd/veth.ts';
import { deleteNetns, ip } from '../../sim/dataplane/ip.ts';
import { type LocalCluster, startLocalCluster } from '../../cluster/local-cluster.ts';
import { execPlugin, type PluginRun } from '../../cluster/plugin-exec.ts';
import type { Topology } from '../../sim/topology.ts';
import { kernelTestsSkipReason, reaches } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const topology: Topology = {
  vpc: { cidrs: ['10.83.0.0/16'], subnets: [{ name: 'a', cidr: '10.83.0.0/20', az: 'us-west-2a' }] },
  instances: [{ name: 'node', type: 't3.small', subnet: 'a' }],
};

interface Sandbox {
  readonly ns: string;
  readonly containerId: string;
  readonly ifName: string;
  readonly args: string | undefined;
  readonly network: string;
  result?: Record<string, unknown>;
}

describe('vpcwire CNI plugin under any runtime', { skip: await kernelTestsSkipReason() }, () => {
  let c: LocalCluster;
  let plugin: string;
  let seq = 0;
  const scratch: string[] = [];

  before(async () => {
    plugin = await pluginBinary();
    c = await startLocalCluster({ nodes: ['node'], plugin, emulator: { topology }, ipamdEnv: { IP_COOLDOWN_PERIOD: '0' } });
  });
  after(async () => {
    for (const ns of scratch) await deleteNetns(ns).catch(() => undefined);
    await c?.stop();
  });

  async function sandbox(args: string | undefined, opts: { ifName?: string; network?: string; nsSuffix?: string } = {}): Promise<Sandbox> {
    const ns = `${c.sim.dataPlane!.routerNetns.replace(/vpc$/, '')}r${++seq}${opts.nsSuffix ?? ''}`;
    await ip(['netns', 'add', ns]);
    scratch.push(ns);
    return { ns, containerId: randomBytes(16).toString('hex'), ifName: opts.ifName ?? 'eth0', args, network: opts.network ?? 'vpcwire' };
  }

  const run = (verb: 'ADD' | 'CHECK' | 'DEL', s: Sandbox, extra: Record<string, unknown> = {}): Promise<PluginRun> =>
    execPlugin({
      plugin,
      nodeNetns: c.node('node').netns!,
      command: verb,
      containerId: s.containerId,
      netns: `/run/netns/${s.ns}`,
      ifName: s.ifName,
      ...(s.args === undefined ? {} : { args: s.args }),
      config: { ...c.node('node').pluginConfig('1.1.0', s.network), ...(verb === 'ADD' ? {} : { prevResult: s.result }), ...extra },
    });

  const gc = (network: string, valid: Sandbox[]) =>
    execPlugin({
      plugin,
      nodeNetns: c.node('node').netns!,
      command: 'GC',
      config: { ...c.node('node').pluginConfig('1.1.0', network), 'cni.dev/valid-attachments': valid.map((s) => ({ containerID: s.containerId, ifname: s.ifName })) },
    });

  async function added(s: Sandbox): Promise<{ ip: string; hostVeth: string }> {
    const r = await run('ADD', s);
    assert.equal(r.exitCode, 0, `ADD: ${r.stdout}${r.stderr}`);
    s.result = r.json!;
    const ifaces = r.json!.interfaces as { name: string; sandbox?: string }[];
    return { ip: (r.json!.ips as { address: string }[])[0]!.address.split('/')[0]!, hostVeth: ifaces.find((i) => !i.sandbox)!.name };
  }

  const allocation = async (s: Sandbox) => (await c.node('node').client.listAllocations()).find((a) => a.key.containerId === s.containerId);
  const nodeLinks = async () => (JSON.parse(await ip(['-j', 'link', 'show'], c.node('node').netns!)) as { ifname: string }[]).map((l) => l.ifname);
  const nodeRules = async (podIp: string) =>
    (JSON.parse(await ip(['-j', 'rule', 'show'], c.node('node').netns!)) as { src?: string; dst?: string }[]).filter((r) => r.src === podIp || r.dst === podIp);

  async function assertGone(s: Sandbox, w: { ip: string; hostVeth: string }): Promise<void> {
    assert.equal(await allocation(s), undefined, 'ipamd holds nothing for it');
    assert.equal((await nodeLinks()).includes(w.hostVeth), false, 'no host veth');
    assert.deepEqual(await nodeRules(w.ip), [], 'no rules');
  }

  test('no K8S_POD_* at all (nerdctl, cnitool, by hand): ADD, CHECK, DEL, and GC both ways; the veth is named after the container', async () => {
    const s = await sandbox(undefined);
    const w = await added(s);
    assert.equal(w.hostVeth, hostVethFor('eni', {}, { containerId: s.containerId, ifName: 'eth0' }));
    const a = await allocation(s);
    assert.equal(a?.ipv4Address, w.ip);
    assert.deepEqual([a?.pod.namespace ?? '', a?.pod.name ?? ''], ['', ''], 'no pod is invented');
    assert.ok(await reaches(s.ns, c.node('node').primaryIp), 'the container reaches its node');
    assert.equal((await run('CHECK', s)).exitCode, 0);
    const kept = await gc('vpcwire', [s]);
    assert.equal(kept.exitCode, 0, kept.stdout);
    assert.equal((await allocation(s))?.ipv4Address, w.ip, 'GC keeps a valid attachment');
    const del = await run('DEL', s);
    assert.equal(del.exitCode, 0, del.stdout);
    await assertGone(s, w);
    assert.equal((await run('DEL', s)).exitCode, 0, 'and again');

    // A runtime that lost a container without DEL: GC with an empty list gives it all back.
    const lost = await sandbox('', { network: 'bynone' });
    const lw = await added(lost);
    const r = await gc('bynone', []);
    assert.equal(r.exitCode, 0, r.stdout);
    await assertGone(lost, lw);
  });

  test("podman's CNI_ARGS (IgnoreUnknown=1;K8S_POD_NAME=<container>): half an identity, so the veth is named after the container", async () => {
    const s = await sandbox('IgnoreUnknown=1;K8S_POD_NAME=web');
    const w = await added(s);
    assert.equal(w.hostVeth, hostVethFor('eni', {}, { containerId: s.containerId, ifName: 'eth0' }));
    const a = await allocation(s);
    assert.deepEqual([a?.pod.namespace ?? '', a?.pod.name], ['', 'web'], 'what was given is recorded');
    assert.equal((await run('CHECK', s)).exitCode, 0);
    assert.equal((await run('DEL', s)).exitCode, 0);
    await assertGone(s, w);
  });

  test('IgnoreUnknown with keys vpcwire does not know is accepted; an unknown key without it is code 4 and takes nothing', async () => {
    const s = await sandbox('IgnoreUnknown=1;FOO=bar;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=cart;K8S_POD_UID=u1;IP=10.83.9.9');
    const w = await added(s);
    assert.equal(w.hostVeth, hostVethName('eni', 'shop', 'cart'), 'a whole pod identity names the veth as upstream does');
    assert.equal((await run('CHECK', s)).exitCode, 0);
    assert.equal((await run('DEL', s)).exitCode, 0);
    await assertGone(s, w);

    const strict = await sandbox('FOO=bar;K8S_POD_NAME=web');
    const before = (await c.node('node').client.listAllocations()).length;
    const r = await run('ADD', strict);
    assert.equal(r.exitCode, 1);
    assert.deepEqual(r.json, { cniVersion: '1.1.0', code: 4, msg: 'CNI_ARGS: unknown args "FOO=bar" (add IgnoreUnknown=1 to ignore them)' });
    assert.equal((await c.node('node').client.listAllocations()).length, before, 'no address was taken');
    assert.equal((await run('DEL', strict)).json?.code, 4, 'DEL reads CNI_ARGS the same way');
  });

  test("a '#' and quotes in CNI_IFNAME and the netns name (valid Linux names ip's batch reader mangles)", async () => {
    const s = await sandbox(undefined, { ifName: `'e#"0`, nsSuffix: '#x' });
    const w = await added(s);
    const links = (JSON.parse(await ip(['-j', 'link', 'show'], s.ns)) as { ifname: string }[]).map((l) => l.ifname);
    assert.deepEqual(links.sort(), [`'e#"0`, 'lo']);
    assert.ok(await reaches(s.ns, c.node('node').primaryIp));
    assert.equal((await run('CHECK', s)).exitCode, 0);
    assert.equal((await run('DEL', s)).exitCode, 0);
    await assertGone(s, w);
  });

  test('an allocation without pod arguments survives an ipamd restart while its veth exists, and is dropped once it is gone', async () => {
    const node = c.node('node');
    const alive = await sandbox(undefined);
    const vanished = await sandbox('IgnoreUnknown=1;K8S_POD_NAME=gone');
    const wa = await added(alive);
    const wv = await added(vanished);
    await node.stopIpamd();
    await deleteNetns(vanished.ns); // the sandbox went away while ipamd was down: its veth went with it
    await node.startIpamd();
    assert.equal((await allocation(alive))?.ipv4Address, wa.ip, 'kept: its veth exists');
    assert.equal(await allocation(vanished), undefined, 'dropped: its veth is gone');
    assert.match(readFileSync(node.logFile, 'utf8'), new RegExp(`host veth of container ${vanished.containerId} \\(gone\\) no longer exists`));
    // The dropped allocation's pod rules go with it (DESIGN.md §3; ipamd/kernel-audit.ts).
    assert.deepEqual(await nodeRules(wv.ip), [], "the vanished container's rules are removed at the restart");
    assert.equal((await run('CHECK', alive)).exitCode, 0, 'the survivor is intact');
    assert.equal((await run('DEL', alive)).exitCode, 0);
    await assertGone(alive, wa);
  });
});
