/**
 * ipamd's host networking on a real kernel (DESIGN.md §2), root only, in namespaces this test
 * creates and deletes (vpcw-hn<id>-*): a node with eth0 (primary ENI) and eth1 (a veth with a MAC
 * of our choosing standing in for a secondary ENI), a router that enforces EC2's source/dest check,
 * an outside host, and a pod behind the node whose address belongs to eth1.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import winston from 'winston';
import { kernelCommands } from '../../ipamd/host-network/commands.ts';
import { HostNetwork, type HostNetworkOptions } from '../../ipamd/host-network/host-network.ts';
import type { HostEni } from '../../ipamd/ports.ts';
import { deleteNetns, ip, ipBatch, run, writeSysctls } from '../../sim/dataplane/ip.ts';
import { addPod, kernelTestsSkipReason } from '../helpers/pod-netns.ts';

async function skipReason(): Promise<string | undefined> {
  const kernel = await kernelTestsSkipReason();
  if (kernel) return kernel;
  const ipt = await run('iptables-save', ['--version']).catch(() => undefined);
  if (ipt?.code !== 0) return 'needs iptables (apt-get install -y iptables)';
  const nsenter = await run('nsenter', ['--version']).catch(() => undefined);
  if (nsenter?.code !== 0) return 'needs nsenter (util-linux)';
  return undefined;
}

const ID = randomBytes(3).toString('hex');
const NS = { node: `vpcw-hn${ID}-node`, rtr: `vpcw-hn${ID}-rtr`, pod: `vpcw-hn${ID}-pod`, out: `vpcw-hn${ID}-out` };
const PRIMARY = { mac: '02:76:77:00:00:10', ip: '10.90.0.10' };
const ENI: HostEni = { eniId: 'eni-0hn000000000001', mac: '02:76:77:00:01:20', deviceIndex: 1, primaryIp: '10.90.0.20', subnetCidr: '10.90.0.0/24' };
const POD_IP = '10.90.0.50';
const OUTSIDE = '203.0.113.10';

interface LogEntry {
  level: string;
  message: string;
  missing?: string[];
  removed?: string[];
  [k: string]: unknown;
}

function captureLogger(): { logger: winston.Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      entries.push(JSON.parse(String(chunk)) as LogEntry);
      cb();
    },
  });
  return { logger: winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] }), entries };
}

function hostNetwork(over: Partial<HostNetworkOptions> = {}) {
  const { logger, entries } = captureLogger();
  const hn = new HostNetwork({
    commands: kernelCommands(NS.node),
    logger,
    mtu: 9001,
    primaryMac: PRIMARY.mac,
    primaryIp: PRIMARY.ip,
    vpcCidrs: ['10.90.0.0/16'],
    excludeSnatCidrs: [],
    externalSnat: false,
    randomizeSnat: 'prng',
    vethPrefix: 'eni',
    maxTable: 4,
    linkWait: { attempts: 8, minDelayMs: 50, maxDelayMs: 400 },
    ...over,
  });
  return { hn, entries };
}

const json = async <T>(ns: string, args: string[]): Promise<T> => JSON.parse(await ip(['-j', ...args], ns)) as T;
const rules = (ns = NS.node) => json<{ priority: number; src: string; table: string; fwmark?: string }[]>(ns, ['rule', 'show']);
const routes = (table: string) => json<{ dst: string; dev?: string; gateway?: string; scope?: string }[]>(NS.node, ['route', 'show', 'table', table]);
const iptablesSave = async (ns = NS.node) => (await run('nsenter', [`--net=/run/netns/${ns}`, 'iptables-save'])).stdout;
const ourLines = (save: string) => save.split('\n').filter((l) => l.includes('VPCWIRE'));

/** A node-side TCP connection from the pod to the outside host; resolves to the peer address the outside host saw. */
async function sourceSeenOutside(timeoutSeconds = 5): Promise<string> {
  const env = { PATH: process.env.PATH ?? '' };
  const server: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', NS.out, process.execPath, '-e', `require('net').createServer((s) => s.end(s.remoteAddress)).listen(8080, '${OUTSIDE}', () => console.log('ready'))`],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    let out = '';
    server.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    for (const deadline = Date.now() + 10_000; !out.includes('ready'); await new Promise((r) => setTimeout(r, 20))) {
      assert.ok(Date.now() < deadline && server.exitCode === null, 'the outside listener did not start');
    }
    const client = await run('timeout', [
      String(timeoutSeconds),
      'ip',
      'netns',
      'exec',
      NS.pod,
      process.execPath,
      '-e',
      `const s = require('net').connect(8080, '${OUTSIDE}'); let d = ''; s.on('data', (c) => (d += c)); s.on('end', () => console.log(d)); s.on('error', (e) => { console.error(e.message); process.exit(1); });`,
    ]);
    if (client.code !== 0) return `no answer (exit ${client.code}: ${client.stderr.trim()})`;
    return client.stdout.trim().replace(/^::ffff:/, '');
  } finally {
    server.kill('SIGKILL');
    if (server.exitCode === null) await once(server, 'exit');
  }
}

describe('host network on a real kernel', { skip: await skipReason() }, () => {
  before(async () => {
    for (const ns of [NS.node, NS.rtr, NS.out]) await ip(['netns', 'add', ns]); // addPod makes the pod's
    await writeSysctls(NS.node, { 'net.ipv4.ip_forward': 1 });
    await writeSysctls(NS.rtr, { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.all.rp_filter': 0, 'net.ipv4.conf.default.rp_filter': 0 });
    // The node's ENIs: eth0 configured as EC2's DHCP leaves it; eth1 bare, as an attached ENI is.
    await ipBatch(NS.node, [
      'link set lo up',
      `link add eth0 address ${PRIMARY.mac} type veth peer name r0 netns ${NS.rtr}`,
      `link add eth1 address ${ENI.mac} mtu 1500 type veth peer name r1 netns ${NS.rtr}`,
      'link set eth0 up',
      `addr add ${PRIMARY.ip}/24 dev eth0`,
      'route add default via 10.90.0.1 dev eth0',
    ]);
    await ipBatch(NS.rtr, [
      'link set lo up',
      'link set r0 up',
      'link set r1 up',
      'addr add 10.90.0.1/24 dev r0',
      'addr add 10.90.0.1/32 dev r1',
      `link add ro type veth peer name eth0 netns ${NS.out}`,
      'link set ro up',
      'addr add 203.0.113.1/24 dev ro',
      // As the VPC does: the pod's address is routed to the ENI that holds it, no ARP needed.
      `route add ${POD_IP}/32 dev r1`,
      `neigh replace ${POD_IP} lladdr ${ENI.mac} dev r1 nud permanent`,
    ]);
    await ipBatch(NS.out, ['link set lo up', 'link set eth0 up', `addr add ${OUTSIDE}/24 dev eth0`, 'route add default via 203.0.113.1 dev eth0']);
    // EC2's source/dest check: an ENI may only send from its own addresses. A packet SNATed to the
    // node's primary IP that left through eth1 would be dropped here, as in a VPC.
    const filter = [
      '*filter',
      `-A FORWARD -i r0 ! -s ${PRIMARY.ip}/32 -j DROP`,
      `-A FORWARD -i r1 -s ${ENI.primaryIp}/32 -j ACCEPT`,
      `-A FORWARD -i r1 -s ${POD_IP}/32 -j ACCEPT`,
      '-A FORWARD -i r1 -j DROP',
      'COMMIT',
      '',
    ].join('\n');
    const r = await run('nsenter', [`--net=/run/netns/${NS.rtr}`, 'iptables-restore'], filter);
    assert.equal(r.code, 0, r.stderr);
    await addPod({ node: NS.node, netns: NS.pod, ip: POD_IP, hostVeth: 'enihntest0001', eniTable: 2 });
  });

  after(async () => {
    for (const ns of Object.values(NS)) await deleteNetns(ns);
  });

  test('a secondary ENI: MTU, up, address, table deviceIndex+1, no connected route in main, rule 32765', async () => {
    const { hn, entries } = hostNetwork();
    await hn.setupEni(ENI);
    const [eth1] = await json<{ mtu: number; flags: string[]; addr_info: { local: string; prefixlen: number }[] }[]>(NS.node, ['-4', 'addr', 'show', 'dev', 'eth1']);
    assert.equal(eth1!.mtu, 9001);
    assert.ok(eth1!.flags.includes('UP'));
    assert.deepEqual(eth1!.addr_info.map((a) => `${a.local}/${a.prefixlen}`), ['10.90.0.20/24']);
    assert.deepEqual((await routes('2')).map((r) => [r.dst, r.gateway ?? '', r.dev, r.scope ?? '']).sort(), [
      ['10.90.0.1', '', 'eth1', 'link'],
      ['default', '10.90.0.1', 'eth1', ''],
    ]);
    assert.deepEqual((await routes('main')).filter((r) => r.dev === 'eth1'), [], 'no connected route for eth1 in main');
    assert.ok((await routes('main')).some((r) => r.dst === '10.90.0.0/24' && r.dev === 'eth0'), "the primary ENI's stays");
    assert.deepEqual((await rules()).filter((r) => r.priority === 32765), [{ priority: 32765, src: '10.90.0.20', table: '2' }]);
    assert.ok(entries.some((e) => e.message === 'ENI host network configured'));
  });

  test('node egress: SNAT and connmark chains, jumps once, fwmark rule 1024, loose rp_filter on eth0', async () => {
    const { hn, entries } = hostNetwork();
    await hn.setupEni(ENI);
    const first = await hn.check();
    assert.deepEqual(first.unrepaired, []);
    assert.equal(entries.find((e) => e.message === 'node host network set up')?.level, 'info', 'a fresh node is set up, not "drift"');
    const save = await iptablesSave();
    assert.deepEqual(ourLines(save), [
      ':VPCWIRE-CONNMARK - [0:0]',
      '-A PREROUTING -m comment --comment "vpcwire: egress connmark" -j VPCWIRE-CONNMARK',
      '-A VPCWIRE-CONNMARK -i eth0 -m comment --comment "vpcwire: NodePort via the primary ENI" -m addrtype --dst-type LOCAL --limit-iface-in -j CONNMARK --set-xmark 0x80/0x80',
      '-A VPCWIRE-CONNMARK -i eni+ -m comment --comment "vpcwire: pod packets get the connection mark" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80',
      ':VPCWIRE-CONNMARK - [0:0]',
      ':VPCWIRE-SNAT - [0:0]',
      '-A PREROUTING -i eni+ -m comment --comment "vpcwire: pod connections" -j VPCWIRE-CONNMARK',
      '-A POSTROUTING -m comment --comment "vpcwire: SNAT outside the VPC" -j VPCWIRE-SNAT',
      '-A VPCWIRE-CONNMARK -d 10.90.0.0/16 -m comment --comment "vpcwire: VPC CIDR" -j RETURN',
      '-A VPCWIRE-CONNMARK -m comment --comment "vpcwire: mark pod connections leaving the VPC" -j CONNMARK --set-xmark 0x80/0x80',
      '-A VPCWIRE-CONNMARK -m comment --comment "vpcwire: first packet routed by the mark" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80',
      '-A VPCWIRE-SNAT -d 10.90.0.0/16 -m comment --comment "vpcwire: VPC CIDR" -j RETURN',
      '-A VPCWIRE-SNAT -m comment --comment "vpcwire: SNAT to the node primary IP" -m addrtype ! --dst-type LOCAL -j SNAT --to-source 10.90.0.10 --random-fully',
    ]);
    assert.deepEqual((await rules()).filter((r) => r.priority === 1024), [{ priority: 1024, src: 'all', fwmark: '0x80', fwmask: '0x80', table: 'main' }]);
    assert.equal((await run('ip', ['netns', 'exec', NS.node, 'cat', '/proc/sys/net/ipv4/conf/eth0/rp_filter'])).stdout.trim(), '2');
  });

  test('SNAT really happens: the pod (address on eth1) reaches the outside as the node primary IP, through eth0', async () => {
    // The router drops anything leaving eth1 that is not from eth1's addresses: a SNATed packet
    // routed by the pod's from-rule (1536, table 2) would be dropped, so an answer proves the
    // connmark + fwmark rule sent every packet of the connection out of eth0.
    const { hn } = hostNetwork();
    await hn.setupEni(ENI);
    await hn.check();
    assert.equal(await sourceSeenOutside(), PRIMARY.ip);
    // The control: without the fwmark rule the SNATed packets take the pod's ENI and are dropped.
    await ip(['rule', 'del', 'priority', '1024'], NS.node);
    assert.match(await sourceSeenOutside(2), /^no answer/);
    assert.deepEqual((await hn.check()).missing, ['rule fwmark 0x80/0x80 lookup main priority 1024']);
    assert.equal(await sourceSeenOutside(), PRIMARY.ip);
  });

  test('drift is repaired and logged at warn, naming exactly what was missing', async () => {
    const { hn, entries } = hostNetwork();
    await hn.setupEni(ENI);
    await hn.check();
    await ip(['route', 'del', 'default', 'table', '2'], NS.node);
    await ip(['rule', 'del', 'priority', '32765'], NS.node);
    const jump = '-m comment --comment "vpcwire: SNAT outside the VPC" -j VPCWIRE-SNAT';
    const del = await run('nsenter', [`--net=/run/netns/${NS.node}`, 'iptables-restore', '--noflush'], `*nat\n-D POSTROUTING ${jump}\nCOMMIT\n`);
    assert.equal(del.code, 0, del.stderr);
    entries.length = 0;
    const report = await hn.check();
    assert.deepEqual([...report.missing].sort(), [
      `nat POSTROUTING: ${jump}`,
      'route default via 10.90.0.1 dev eth1 table 2',
      'rule from 10.90.0.20/32 lookup 2 prio 32765',
    ]);
    const warn = entries.find((e) => e.message === 'host network drift repaired');
    assert.equal(warn?.level, 'warn');
    assert.deepEqual(warn?.missing, report.missing);
    assert.ok((await routes('2')).some((r) => r.dst === 'default'));
    assert.equal((await rules()).filter((r) => r.priority === 32765).length, 1);
    assert.equal(ourLines(await iptablesSave()).filter((l) => l.startsWith('-A POSTROUTING')).length, 1);
    const clean = await hn.check();
    assert.deepEqual([clean.missing, clean.removed], [[], []], 'a second check finds nothing');
  });

  test('setting up again (a restarted ipamd) duplicates nothing', async () => {
    const before = { save: ourLines(await iptablesSave()), rules: (await rules()).length, routes: (await routes('2')).length };
    for (let i = 0; i < 2; i++) {
      const { hn, entries } = hostNetwork();
      await hn.setupEni(ENI);
      const r = await hn.check();
      assert.deepEqual([r.missing, r.removed, r.unrepaired], [[], [], []]);
      assert.ok(!entries.some((e) => e.level === 'warn'));
    }
    assert.deepEqual(ourLines(await iptablesSave()), before.save);
    assert.equal((await rules()).length, before.rules);
    assert.equal((await routes('2')).length, before.routes);
  });

  test('exclude CIDRs become RETURNs in both nat chains; an excluded destination is not SNATed', async () => {
    const { hn } = hostNetwork({ excludeSnatCidrs: ['203.0.113.0/24'] });
    await hn.setupEni(ENI);
    const report = await hn.check();
    assert.ok(report.missing.includes('nat VPCWIRE-SNAT: -d 203.0.113.0/24 -m comment --comment "vpcwire: excluded CIDR" -j RETURN'));
    const save = ourLines(await iptablesSave());
    for (const chain of ['VPCWIRE-SNAT', 'VPCWIRE-CONNMARK']) {
      assert.ok(save.includes(`-A ${chain} -d 203.0.113.0/24 -m comment --comment "vpcwire: excluded CIDR" -j RETURN`), chain);
    }
    // Unmarked and not SNATed: it leaves through eth1 (rule 1536) with the pod's own address.
    assert.equal(await sourceSeenOutside(), POD_IP);
  });

  test('external SNAT removes the chains, the jumps and the fwmark rule; the pod leaves with its own address', async () => {
    const { hn } = hostNetwork({ externalSnat: true });
    await hn.setupEni(ENI);
    const report = await hn.check();
    assert.ok(report.removed.includes('nat chain VPCWIRE-SNAT'));
    assert.deepEqual(ourLines(await iptablesSave()), []);
    assert.deepEqual((await rules()).filter((r) => r.priority === 1024), []);
    assert.equal(await sourceSeenOutside(), POD_IP);
    // And back: the default configuration restores everything.
    const { hn: again } = hostNetwork();
    await again.setupEni(ENI);
    await again.check();
    assert.equal(await sourceSeenOutside(), PRIMARY.ip);
  });

  test('a link that appears late is waited for; one that never appears is a bounded TIMEOUT', async () => {
    const { hn } = hostNetwork();
    const late: HostEni = { eniId: 'eni-0hn000000000002', mac: '02:76:77:00:02:30', deviceIndex: 2, primaryIp: '10.90.0.30', subnetCidr: '10.90.0.0/24' };
    const setup = hn.setupEni(late);
    await new Promise((r) => setTimeout(r, 300));
    await ip(['link', 'add', 'eth2', 'address', late.mac, 'type', 'veth', 'peer', 'name', 'r2', 'netns', NS.rtr], NS.node);
    await setup;
    assert.deepEqual((await rules()).filter((r) => r.priority === 32765 && r.table === '3').map((r) => r.src), ['10.90.0.30']);

    const never: HostEni = { ...late, eniId: 'eni-0hn000000000003', mac: '02:76:77:00:03:40', deviceIndex: 3, primaryIp: '10.90.0.40' };
    const t0 = Date.now();
    await assert.rejects(hn.setupEni(never), (e: Error & { code?: string }) => e.code === 'IPAMD_TIMEOUT' && /no link with MAC 02:76:77:00:03:40/.test(e.message));
    assert.ok(Date.now() - t0 < 5000, 'bounded');
    await hn.teardownEni(never.eniId);

    // Detached (its link gone) and freed: teardown removes the rule and the table.
    await ip(['link', 'del', 'eth2'], NS.node);
    await hn.teardownEni(late.eniId);
    assert.deepEqual((await rules()).filter((r) => r.table === '3'), []);
    assert.deepEqual(await routes('3'), []);
  });

  test('what a forgotten ENI left (rule, table) is removed by the check as stale', async () => {
    await ipBatch(NS.node, ['route add 10.90.0.1/32 dev eth0 scope link table 4', 'rule add from 10.90.0.44/32 lookup 4 prio 32765']);
    const { hn } = hostNetwork();
    await hn.setupEni(ENI);
    const report = await hn.check();
    assert.deepEqual(report.removed, ['stale rule from 10.90.0.44/32 lookup 4 priority 32765', 'stale routes in table 4']);
    assert.deepEqual(await routes('4'), []);
    assert.deepEqual((await rules()).filter((r) => r.priority === 32765).map((r) => r.src), ['10.90.0.20']);
    // A check pass on this node, for the record.
    const times: number[] = [];
    for (let i = 0; i < 10; i++) times.push((await hn.check()).durationMs);
    times.sort((a, b) => a - b);
    process.stderr.write(`host network check pass (no drift): median ${times[5]} ms, max ${times.at(-1)} ms\n`);
  });
});
