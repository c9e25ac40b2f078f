/**
 * cni/wire on the real kernel (root only), in namespaces this file creates: a "node" netns (the
 * wiring runs inside it, as the plugin does when a runtime execs it there) and pod namespaces.
 * Asserts kernel state and traffic, never call order (DESIGN.md §8).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { deleteNetns, ip, ipBatch } from '../../sim/dataplane/ip.ts';
import type { WiredPod } from '../../cni/wire/pod.ts';
import { kernelTestsSkipReason, reaches } from '../helpers/pod-netns.ts';

const skip = await kernelTestsSkipReason();
const id = randomBytes(3).toString('hex');
const node = `vpcw-wt${id}-node`;
const NODE_IP = '10.200.0.1';
const created: string[] = [];

type Outcome<T> = { ok: T } | { error: { code: string; message: string } };

/** Runs a wire operation inside the node netns, as the runtime would exec the plugin there. */
function inNode<T>(op: 'wire' | 'unwire' | 'gc' | 'check', arg: object): Promise<Outcome<T>> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=/run/netns/${node}`, process.execPath, 'test/helpers/wire-driver.ts'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as Outcome<T>);
      } catch {
        reject(new Error(`driver printed ${JSON.stringify(out)}`));
      }
    });
    child.stdin.end(JSON.stringify({ op, arg }));
  });
}

async function ok<T>(p: Promise<Outcome<T>>): Promise<T> {
  const r = await p;
  if ('error' in r) assert.fail(`${r.error.code}: ${r.error.message}`);
  return r.ok;
}

async function podNetns(name: string): Promise<string> {
  const ns = `vpcw-wt${id}-${name}`;
  await ip(['netns', 'add', ns]);
  created.push(ns);
  return `/run/netns/${ns}`;
}

const json = async <T>(args: string[], netns: string): Promise<T> => JSON.parse(await ip(['-j', ...args], netns)) as T;
const hostLinks = async () => (await json<{ ifname: string }[]>(['link', 'show'], node)).map((l) => l.ifname);
const rulesFor = async (podIp: string) =>
  (await json<{ priority: number; src?: string; dst?: string; table: string }[]>(['rule', 'show'], node)).filter(
    (r) => r.src === podIp || r.dst === podIp,
  );

describe('cni/wire: a pod netns wired straight to its address', { skip }, () => {
  before(async () => {
    await ip(['netns', 'add', node]);
    created.push(node);
    await ipBatch(node, ['link set lo up', `addr add ${NODE_IP}/32 dev lo`]);
    await ip(['netns', 'exec', node, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  });
  after(async () => {
    for (const ns of created.reverse()) await deleteNetns(ns).catch(() => {});
  });

  test('wire: veth, /32, link-local gateway, permanent neighbour, host route and rules; pods reach the node and each other', async () => {
    const a = await podNetns('a');
    const b = await podNetns('b');
    const wa = await ok<WiredPod>(inNode('wire', { netnsPath: a, ifName: 'eth0', hostVeth: `eni${id}a`, podIp: '10.0.3.10', mtu: 9001, routeTable: 0 }));
    const wb = await ok<WiredPod>(inNode('wire', { netnsPath: b, ifName: 'eth0', hostVeth: `eni${id}b`, podIp: '10.0.3.11', mtu: 9001, routeTable: 3 }));
    assert.match(wa.hostMac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.equal(Number.parseInt(wa.hostMac.slice(0, 2), 16) & 3, 2, 'locally administered unicast');
    assert.deepEqual(await ok<string[]>(inNode('check', wa)), []);
    assert.deepEqual(await ok<string[]>(inNode('check', wb)), []);
    const [podLink] = await json<{ address: string; mtu: number }[]>(['link', 'show', 'dev', 'eth0'], a.split('/').pop()!);
    assert.equal(podLink?.address, wa.containerMac);
    assert.equal(podLink?.mtu, 9001);
    assert.deepEqual(
      (await rulesFor('10.0.3.11')).map((r) => [r.priority, r.table]).sort(),
      [[1536, '3'], [512, 'main']],
    );
    assert.deepEqual((await rulesFor('10.0.3.10')).map((r) => [r.priority, r.table]), [[512, 'main']]);
    const nsA = a.split('/').pop()!;
    assert.ok(await reaches(nsA, NODE_IP), 'pod reaches its node');
    assert.ok(await reaches(nsA, '10.0.3.10'), 'pod reaches itself');
    // b's from-pod rule sends its replies to table 3, which is empty here: make it route locally.
    await ip(['route', 'add', '10.0.3.10/32', 'dev', wa.hostVeth, 'table', '3'], node);
    assert.ok(await reaches(nsA, '10.0.3.11'), 'pod reaches another pod on the node');
  });

  test('the host veth answers ARP for the gateway: a pod whose neighbour entries are flushed keeps its node', async () => {
    const f = await podNetns('f');
    const w = await ok<WiredPod>(inNode('wire', { netnsPath: f, ifName: 'eth0', hostVeth: `eni${id}f`, podIp: '10.0.3.15', mtu: 9001, routeTable: 0 }));
    const ns = f.split('/').pop()!;
    // Proxy ARP answers for an address the node routes out of another interface: a node's default
    // route does that for 169.254.1.1; this bare node netns has none, so lo stands in.
    await ip(['route', 'replace', '169.254.1.1/32', 'dev', 'lo'], node);
    // What tuning does for podman's --mac-address: setting the MAC (even to the same value) makes
    // the kernel flush the device's neighbours, the permanent 169.254.1.1 entry included.
    await ip(['link', 'set', 'dev', 'eth0', 'address', w.containerMac], ns);
    assert.deepEqual(await json<unknown[]>(['neigh', 'show', 'dev', 'eth0', 'nud', 'permanent'], ns), [], 'the permanent entry is gone');
    assert.ok(await reaches(ns, NODE_IP), 'the pod still reaches its node, through proxy ARP on the host veth');
  });

  test('check reports what drifted: a deleted pod route, a deleted rule, a replaced neighbour', async () => {
    const c = await podNetns('c');
    const w = await ok<WiredPod>(inNode('wire', { netnsPath: c, ifName: 'eth0', hostVeth: `eni${id}c`, podIp: '10.0.3.12', mtu: 1500, routeTable: 4 }));
    const ns = c.split('/').pop()!;
    await ip(['route', 'del', 'default'], ns);
    await ip(['rule', 'del', 'from', '10.0.3.12/32', 'prio', '1536'], node);
    await ip(['neigh', 'replace', '169.254.1.1', 'lladdr', '02:00:00:00:00:99', 'dev', 'eth0', 'nud', 'permanent'], ns);
    const drift = await ok<string[]>(inNode('check', w));
    assert.equal(drift.length, 3, drift.join('\n'));
    assert.match(drift.join('\n'), /default route via 169\.254\.1\.1 dev eth0 is missing/);
    assert.match(drift.join('\n'), /rule "from 10\.0\.3\.12\/32 lookup 4 prio 1536" is missing/);
    assert.match(drift.join('\n'), /neighbour 169\.254\.1\.1 is 02:00:00:00:00:99/);
  });

  test('an interface name already in the netns fails as IFNAME_EXISTS and leaves nothing on the node', async () => {
    const d = await podNetns('d');
    await ok(inNode('wire', { netnsPath: d, ifName: 'eth0', hostVeth: `eni${id}d`, podIp: '10.0.3.13', mtu: 9001, routeTable: 0 }));
    const again = await inNode('wire', { netnsPath: d, ifName: 'eth0', hostVeth: `eni${id}e`, podIp: '10.0.3.14', mtu: 9001, routeTable: 2 });
    assert.ok('error' in again && again.error.code === 'CNI_WIRE_IFNAME_EXISTS', JSON.stringify(again));
    assert.ok(!(await hostLinks()).includes(`eni${id}e`));
    assert.deepEqual(await rulesFor('10.0.3.14'), []);
  });

  test('a stale host veth of the same name (an earlier sandbox of the pod) is replaced', async () => {
    const old = await podNetns('old');
    const fresh = await podNetns('new');
    await ok(inNode('wire', { netnsPath: old, ifName: 'eth0', hostVeth: `eni${id}f`, podIp: '10.0.3.15', mtu: 9001, routeTable: 0 }));
    const w = await ok<WiredPod>(inNode('wire', { netnsPath: fresh, ifName: 'eth0', hostVeth: `eni${id}f`, podIp: '10.0.3.16', mtu: 9001, routeTable: 0 }));
    assert.deepEqual(await ok<string[]>(inNode('check', w)), []);
  });

  test('rules a leaked pod left for the same address are replaced, not duplicated', async () => {
    const leak = await podNetns('leak');
    await ok(inNode('wire', { netnsPath: leak, ifName: 'eth0', hostVeth: `eni${id}p`, podIp: '10.0.3.26', mtu: 9001, routeTable: 0 }));
    await deleteNetns(leak.split('/').pop()!); // the veth goes with it; its rules stay behind
    const fresh = await podNetns('fresh');
    const w = await ok<WiredPod>(inNode('wire', { netnsPath: fresh, ifName: 'eth0', hostVeth: `eni${id}q`, podIp: '10.0.3.26', mtu: 9001, routeTable: 6 }));
    assert.deepEqual(await ok<string[]>(inNode('check', w)), []);
    assert.deepEqual((await rulesFor('10.0.3.26')).map((r) => [r.priority, r.table]).sort(), [[1536, '6'], [512, 'main']]);
  });

  test('a failure half-way is undone: no veth, route or rule remains', async () => {
    const g = await podNetns('g');
    await ip(['route', 'add', 'blackhole', 'default'], g.split('/').pop()!); // the pod side's default route now collides
    const r = await inNode('wire', { netnsPath: g, ifName: 'eth0', hostVeth: `eni${id}g`, podIp: '10.0.3.17', mtu: 9001, routeTable: 5 });
    assert.ok('error' in r && r.error.code === 'CNI_WIRE_KERNEL' && /default/.test(r.error.message), JSON.stringify(r));
    assert.ok(!(await hostLinks()).includes(`eni${id}g`));
    assert.deepEqual(await rulesFor('10.0.3.17'), []);
    const podLinks = await json<{ ifname: string }[]>(['link', 'show'], g.split('/').pop()!);
    assert.deepEqual(podLinks.map((l) => l.ifname), ['lo']);
  });

  test('unwire is idempotent: twice, and with the netns gone', async () => {
    const h = await podNetns('h');
    const w = await ok<WiredPod>(inNode('wire', { netnsPath: h, ifName: 'eth0', hostVeth: `eni${id}h`, podIp: '10.0.3.18', mtu: 9001, routeTable: 2 }));
    await ok(inNode('unwire', { netnsPath: h, ifName: 'eth0', podIp: w.podIp }));
    assert.ok(!(await hostLinks()).includes(w.hostVeth), 'the host end goes with the pod end');
    assert.deepEqual(await rulesFor('10.0.3.18'), []);
    assert.deepEqual(await json(['route', 'show', 'exact', '10.0.3.18/32'], node), []);
    await ok(inNode('unwire', { netnsPath: h, ifName: 'eth0', podIp: w.podIp }));
    await deleteNetns(h.split('/').pop()!);
    await ok(inNode('unwire', { netnsPath: h, ifName: 'eth0', podIp: w.podIp }));
  });

  test("unwiring an old sandbox leaves a newer sandbox's veth of the same name alone", async () => {
    const old = await podNetns('old2');
    const fresh = await podNetns('new2');
    const name = `eni${id}m`;
    await ok(inNode('wire', { netnsPath: old, ifName: 'eth0', hostVeth: name, podIp: '10.0.3.22', mtu: 9001, routeTable: 0 }));
    await deleteNetns(old.split('/').pop()!); // the old sandbox's netns went first, taking its veth
    const w = await ok<WiredPod>(inNode('wire', { netnsPath: fresh, ifName: 'eth0', hostVeth: name, podIp: '10.0.3.23', mtu: 9001, routeTable: 0 }));
    await ok(inNode('unwire', { netnsPath: old, ifName: 'eth0', podIp: '10.0.3.22' }));
    assert.deepEqual(await ok<string[]>(inNode('check', w)), [], 'the new sandbox is untouched');
  });

  test('gc removes the veth that carries a stale address and its rules, and nothing else', async () => {
    const n = await podNetns('n');
    const keep = await podNetns('keep');
    const stale = await ok<WiredPod>(inNode('wire', { netnsPath: n, ifName: 'eth0', hostVeth: `eni${id}n`, podIp: '10.0.3.24', mtu: 9001, routeTable: 3 }));
    const kept = await ok<WiredPod>(inNode('wire', { netnsPath: keep, ifName: 'eth0', hostVeth: `eni${id}o`, podIp: '10.0.3.25', mtu: 9001, routeTable: 0 }));
    await ok(inNode('gc', { podIp: '10.0.3.24', vethPrefix: 'eni' }));
    assert.ok(!(await hostLinks()).includes(stale.hostVeth));
    assert.deepEqual(await rulesFor('10.0.3.24'), []);
    assert.deepEqual(await json<{ ifname: string }[]>(['link', 'show'], n.split('/').pop()!).then((l) => l.map((x) => x.ifname)), ['lo']);
    assert.deepEqual(await ok<string[]>(inNode('check', kept)), []);
    await ok(inNode('gc', { podIp: '10.0.3.24', vethPrefix: 'eni' })); // again: nothing left to do
    await ok(inNode('gc', { podIp: '10.0.3.25', vethPrefix: 'xyz' })); // another prefix: not ours to delete
    assert.ok((await hostLinks()).includes(kept.hostVeth));
  });

  test('a netns the runtime names by /proc path (not under /run/netns) is wired too', async () => {
    const holder = await podNetns('byproc');
    const sleeper = spawn('ip', ['netns', 'exec', holder.split('/').pop()!, 'sleep', '30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      // `ip netns exec` runs sleep as a child of ip: find it by the netns it is in.
      const { execFileSync } = await import('node:child_process');
      const pid = execFileSync('ip', ['netns', 'pids', holder.split('/').pop()!]).toString().trim().split('\n')[0];
      const w = await ok<WiredPod>(inNode('wire', { netnsPath: `/proc/${pid}/ns/net`, ifName: 'eth0', hostVeth: `eni${id}r`, podIp: '10.0.3.27', mtu: 9001, routeTable: 0 }));
      assert.deepEqual(await ok<string[]>(inNode('check', w)), []);
      assert.ok(await reaches(holder.split('/').pop()!, NODE_IP));
    } finally {
      sleeper.kill();
    }
  });

  test("names ip's batch reader cannot take literally ('#', leading quotes, keyword prefixes, a trailing backslash) are wired, checked and unwired as given", async () => {
    // iproute2 cuts a batch line at '#' even inside quotes, reads a leading quote as quoting, a
    // trailing backslash as a continuation, and a bare "d" or "help" as a keyword: all valid Linux names.
    const cases: [string, string][] = [
      ['e#0', `vpcw-wt${id}-h#1`], // '#' in the interface and in the netns name: one `ip` per command
      ['"q', `vpcw-wt${id}-q1`], // a leading quote: spelled in the other quote
      ["'q\"#", `vpcw-wt${id}-q2`], // both quotes and '#': one `ip` per command
      ['d', `vpcw-wt${id}-"k 1`], // "d" would be read as `dev`; a netns name with a quote and a space
      ['help', `vpcw-wt${id}-k2`],
      ['a\\', `vpcw-wt${id}-k3`],
    ];
    let n = 30;
    for (const [ifName, ns] of cases) {
      await ip(['netns', 'add', ns]);
      created.push(ns);
      const podIp = `10.0.3.${n++}`;
      const w = await ok<WiredPod>(inNode('wire', { netnsPath: `/run/netns/${ns}`, ifName, hostVeth: `eni${id}x${n}`, podIp, mtu: 9001, routeTable: 2 }));
      const links = await json<{ ifname: string }[]>(['link', 'show'], ns);
      assert.deepEqual(links.map((l) => l.ifname).sort(), ['lo', ifName].sort(), `${ifName}: the pod end has exactly that name`);
      assert.deepEqual(await ok<string[]>(inNode('check', w)), [], `${ifName}: CHECK finds it as wired`);
      assert.ok(await reaches(ns, NODE_IP), `${ifName}: the pod reaches its node`);
      await ok(inNode('unwire', { netnsPath: `/run/netns/${ns}`, ifName, podIp }));
      assert.ok(!(await hostLinks()).includes(w.hostVeth), `${ifName}: host end gone`);
      assert.deepEqual(await rulesFor(podIp), [], `${ifName}: rules gone`);
    }
  });

  test('bad input is refused before anything reaches ip', async () => {
    const r = await inNode('wire', { netnsPath: '/run/netns/x', ifName: 'eth0', hostVeth: 'eni1; reboot', podIp: '10.0.3.20', mtu: 9001, routeTable: 0 });
    assert.ok('error' in r && r.error.code === 'CNI_WIRE_INVALID' && /host veth name/.test(r.error.message), JSON.stringify(r));
    const gone = await inNode('wire', { netnsPath: `/run/netns/vpcw-wt${id}-absent`, ifName: 'eth0', hostVeth: 'eniabsent', podIp: '10.0.3.21', mtu: 9001, routeTable: 0 });
    assert.ok('error' in gone && gone.error.code === 'CNI_WIRE_NETNS_NOT_FOUND', JSON.stringify(gone));
  });
});
