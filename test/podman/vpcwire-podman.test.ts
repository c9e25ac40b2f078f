/**
 * vpcwire under podman (issue 9 item 3, DESIGN.md §5, §7): Debian's podman 4.3 with its CNI
 * network backend, run inside an emulated node's netns, on the conflist ipamd's installer writes
 * (vpcwire, then tuning and portmap). podman is not kubelet: it sends `IgnoreUnknown=1` and
 * `K8S_POD_NAME=<container name>` only, no namespace. Containers get VPC addresses from the node's
 * ENIs, reach their node and each other's published ports, and `podman stop`/`rm` leave no link,
 * route, rule, DNAT rule, cached result or allocation behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { ip, run } from '../../sim/dataplane/ip.ts';
import { type LocalCluster, startLocalCluster } from '../../cluster/local-cluster.ts';
import type { LocalNode } from '../../cluster/local-node.ts';
import type { Topology } from '../../sim/topology.ts';
import { poolVsEc2 } from '../helpers/crash-invariants.ts';
import { type InstallerNode, startInstallerNode } from '../helpers/installer-node.ts';
import { kernelTestsSkipReason } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';
import { cniCacheFile } from '../helpers/leftovers.ts';
import { type Podman, podmanSkipReason, startPodman } from '../helpers/podman.ts';

const NETWORK = 'vpcwire';
const skip = podmanSkipReason() ?? (await kernelTestsSkipReason());

const topology: Topology = {
  vpc: { cidrs: ['10.86.0.0/16'], subnets: [{ name: 'a', cidr: '10.86.0.0/20', az: 'us-west-2a' }] },
  instances: [{ name: 'node-a', type: 't3.small', subnet: 'a' }],
};

/** A busybox server on port 80 that answers every connection with `reply` (-ll: keep listening). */
const server = (reply: string) => ['/bin/busybox', 'nc', '-ll', '-p', '80', '-e', '/bin/busybox', 'echo', reply];

/** What a container's attachment can leave in the node's netns, described; empty: nothing. */
async function traces(netns: string, a: { ip: string; id: string; hostVeth: string }): Promise<string[]> {
  const found: string[] = [];
  const links = JSON.parse(await ip(['-j', 'link', 'show'], netns)) as { ifname: string }[];
  if (links.some((l) => l.ifname === a.hostVeth)) found.push(`host veth ${a.hostVeth}`);
  const routes = JSON.parse(await ip(['-j', 'route', 'show', 'table', 'all'], netns)) as { dst: string; dev?: string; table?: string }[];
  for (const r of routes) if (r.dst === a.ip || r.dev === a.hostVeth) found.push(`route ${r.dst} dev ${r.dev} table ${r.table ?? 'main'}`);
  const rules = JSON.parse(await ip(['-j', 'rule', 'show'], netns)) as { priority: number; src?: string; dst?: string }[];
  for (const r of rules) if (r.src === a.ip || r.dst === a.ip) found.push(`rule ${r.priority} from ${r.src ?? 'all'} to ${r.dst ?? 'all'}`);
  const nat = await run('ip', ['netns', 'exec', netns, 'iptables-save', '-t', 'nat']);
  for (const line of nat.stdout.split('\n')) if (line.includes(a.ip) || line.includes(a.id)) found.push(`nat: ${line}`);
  return found;
}

/** `busybox nc` from the node's netns to the node's own address and `port`; resolves to what the server sent. */
async function fetchFromNode(node: LocalNode, port: number): Promise<string> {
  const r = await run('nsenter', [`--net=/run/netns/${node.netns}`, '/bin/busybox', 'nc', '-w', '3', node.primaryIp, String(port)]);
  return r.stdout.trim();
}

/** The verbs the plugin logged for a container, in order (one JSON line per invocation). */
function verbsOf(pluginLog: string, id: string): string[] {
  if (!existsSync(pluginLog)) return [];
  const entries = readFileSync(pluginLog, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { verb?: string; containerId?: string; ok?: boolean }];
      } catch {
        return [];
      }
    });
  return entries.filter((e) => e.containerId === id).map((e) => `${e.verb}${e.ok === false ? '(failed)' : ''}`);
}

describe('vpcwire under podman', { skip }, () => {
  let c: LocalCluster;
  let node: LocalNode;
  let pm: Podman | undefined;
  let cni: InstallerNode | undefined;
  let pluginLog: string;

  before(async () => {
    c = await startLocalCluster({ nodes: [], plugin: await pluginBinary(), emulator: { topology } });
    // ipamd runs its installer: the plugin into bin, the conflist into net.d once it serves.
    cni = await startInstallerNode(c, 'node-a', { chainedPlugins: 'tuning,portmap', networkName: NETWORK });
    node = cni.node;
    pluginLog = cni.pluginLogFile;
    pm = startPodman({ netns: node.netns!, dir: join(cni.dir, 'podman'), cniPluginDirs: [cni.binDir], cniConfDir: cni.confDir });
  });

  after(async () => {
    try {
      await pm?.stop();
    } finally {
      try {
        await cni?.remove();
      } finally {
        await c?.stop();
      }
    }
  });

  test('containers get VPC addresses, reach their node and published ports, and leave nothing behind', async (t) => {
    const podman = pm!;
    const networks = (await podman.podman(['network', 'ls', '--format', '{{.Name}}'])).split('\n');
    assert.ok(networks.includes(NETWORK), `podman lists the installer's network (it lists ${networks.join(', ')})`);

    const specs = [1, 2].map((n) => ({ name: `web-${n}`, port: 18080 + n, reply: `hello from web-${n}` }));
    const t0 = performance.now();
    const ids = await Promise.all(specs.map((s) => podman.run({ name: s.name, network: NETWORK, publish: [`${s.port}:80`], options: ['--cap-add', 'NET_RAW'], command: server(s.reply) })));
    t.diagnostic(`two containers running in ${(performance.now() - t0).toFixed(0)} ms`);

    const held = await node.client.listAllocations();
    const attached: { ip: string; id: string; hostVeth: string; sandboxKey: string; name: string }[] = [];
    for (const [i, s] of specs.entries()) {
      const info = await podman.inspect(ids[i]!);
      assert.equal(info.running, true, `${s.name} runs`);
      const ipAddr = info.networks[NETWORK]?.ip ?? '';
      const a = held.find((x) => x.key.containerId === info.id);
      assert.deepEqual(a && { ip: a.ipv4Address, network: a.key.networkName, ifName: a.key.ifName }, { ip: ipAddr, network: NETWORK, ifName: 'eth0' }, `ipamd holds ${s.name}'s address ${ipAddr}`);
      // What podman keeps for DEL (the prevResult) and what it sent: the args are the interesting part.
      const cached = JSON.parse(readFileSync(cniCacheFile(NETWORK, info.id), 'utf8')) as { cniArgs: [string, string][]; result: { interfaces: { name: string; sandbox?: string }[] } };
      t.diagnostic(`${s.name}: ${ipAddr}, CNI_ARGS ${cached.cniArgs.map(([k, v]) => `${k}=${v}`).join(';')}, ipamd pod ${JSON.stringify(a?.pod)}`);
      const hostVeth = cached.result.interfaces.find((x) => !x.sandbox)!.name;
      const routes = JSON.parse(await ip(['-j', 'route', 'show', `${ipAddr}/32`], node.netns)) as { dev: string }[];
      assert.deepEqual(routes.map((r) => r.dev), [hostVeth], `the node routes ${ipAddr} to ${s.name}'s host veth`);
      attached.push({ ip: ipAddr, id: info.id, hostVeth, sandboxKey: info.sandboxKey, name: s.name });
    }
    assert.equal(new Set(attached.map((a) => a.ip)).size, 2, 'two distinct addresses');

    for (const [i, s] of specs.entries()) {
      const ping = await podman.tryPodman(['exec', s.name, '/bin/busybox', 'ping', '-c', '1', '-W', '2', node.primaryIp]);
      assert.equal(ping.code, 0, `${s.name} reaches its node ${node.primaryIp}: ${ping.stdout}${ping.stderr}`);
      assert.equal(await fetchFromNode(node, s.port), s.reply, `the node reaches ${s.name} through its published port ${s.port}`);
      // From one container to the other's published port: in through the node's PREROUTING DNAT.
      const other = specs[1 - i]!;
      const hop = await podman.tryPodman(['exec', s.name, '/bin/busybox', 'nc', '-w', '3', node.primaryIp, String(other.port)]);
      assert.equal(hop.stdout.trim(), other.reply, `${s.name} reaches ${other.name}'s published port: ${hop.stderr}`);
    }

    // One is stopped then removed (its network goes at stop), the other removed by force.
    await podman.podman(['stop', '-t', '0', specs[0]!.name]);
    await podman.podman(['rm', specs[0]!.name]);
    await podman.podman(['rm', '-f', '-t', '0', specs[1]!.name]);
    assert.equal((await podman.podman(['ps', '-aq'])).trim(), '', 'podman holds no container');

    for (const a of attached) {
      assert.deepEqual(await traces(node.netns!, a), [], `nothing of ${a.name} (${a.ip}) left in the node's netns`);
      assert.equal(existsSync(a.sandboxKey), false, `${a.sandboxKey} removed`);
      assert.equal(existsSync(cniCacheFile(NETWORK, a.id)), false, `libcni's cached result for ${a.name} removed`);
      t.diagnostic(`${a.name}: plugin verbs ${verbsOf(pluginLog, a.id).join(', ')}`);
    }
    assert.deepEqual(await node.client.listAllocations(), [], 'every address back in the pool');
    // ipamd may be releasing or adding addresses to hold its warm target; it must end where EC2 is.
    let problems = poolVsEc2(await node.client.getStatus(), c.sim, node.instanceId);
    for (const deadline = Date.now() + 10_000; problems.length > 0 && Date.now() < deadline; await sleep(50)) {
      problems = poolVsEc2(await node.client.getStatus(), c.sim, node.instanceId);
    }
    assert.deepEqual(problems, [], "ipamd's pool equals the node's ENIs in EC2");
  });

  // podman re-attaches a container with its MAC (and IP) in CNI_ARGS: `podman network reload` is DEL
  // then ADD with `MAC=<old>;IP=<old>`, and `--mac-address` sends MAC= on the first ADD. tuning,
  // chained after vpcwire, applies MAC= to eth0, and the kernel flushes a device's neighbours when
  // its address is set (NETDEV_CHANGEADDR), the permanent 169.254.1.1 entry included; the host veth
  // answers ARP for the gateway (proxy ARP, cni/wire/pod.ts), so the container keeps its network.
  test('a container keeps its network when podman sets its MAC (--mac-address, network reload)', async () => {
    const podman = pm!;
    await podman.run({ name: 'mac-1', network: NETWORK, options: ['--cap-add', 'NET_RAW', '--mac-address', '02:00:5e:10:00:01'], command: server('mac-1') });
    await podman.run({ name: 'reload-1', network: NETWORK, publish: ['18090:80'], options: ['--cap-add', 'NET_RAW'], command: server('reload-1') });
    await podman.podman(['network', 'reload', 'reload-1']);
    try {
      for (const name of ['mac-1', 'reload-1']) {
        const ping = await podman.tryPodman(['exec', name, '/bin/busybox', 'ping', '-c', '1', '-W', '2', node.primaryIp]);
        assert.equal(ping.code, 0, `${name} reaches its node: ${ping.stdout}${ping.stderr}`);
      }
      assert.equal(await fetchFromNode(node, 18090), 'reload-1', 'the published port works after the reload');
      assert.equal((await podman.inspect('mac-1')).networks[NETWORK]?.mac, '02:00:5e:10:00:01', 'mac-1 has the MAC it asked for');
    } finally {
      await podman.podman(['rm', '-f', '-t', '0', 'mac-1', 'reload-1']);
    }
    assert.deepEqual(await node.client.listAllocations(), [], 'every address back in the pool');
  });
});
