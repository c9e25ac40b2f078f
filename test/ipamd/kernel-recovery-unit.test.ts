/**
 * Recovery from the kernel (issue 9 item 1), the parts that need no root: reading pods out of an
 * `ip -j` snapshot, recording recovered allocations, handing them to their pod's ADD or DEL,
 * releasing them when their veth goes, dropping checkpoint entries the kernel proves wrong, and
 * the audit's drift counting and stale-rule removal. The real-kernel test is kernel-recovery.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { chooseAddress } from '../../warm-pool/index.ts';
import { Checkpoint } from '../../ipamd/datastore/checkpoint.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../ipamd/datastore/checkpoint-format.ts';
import { Datastore } from '../../ipamd/datastore/datastore.ts';
import type { EniSpec } from '../../ipamd/datastore/types.ts';
import { DriftLog } from '../../ipamd/drift.ts';
import type { IpSnapshot } from '../../ipamd/host-network/snapshot.ts';
import { parseSnapshot } from '../../ipamd/host-network/snapshot.ts';
import { podEvidence } from '../../ipamd/host-network/pod-evidence.ts';
import { KernelAudit } from '../../ipamd/kernel-audit.ts';
import { silentLogger } from '../../ipamd/logger.ts';
import { hostVethFor, hostVethName } from '../../ipamd/veth.ts';

const ENI0: EniSpec = {
  id: 'eni-0', deviceIndex: 0, mac: '02:00:00:00:00:00', isPrimary: true, subnetCidr: '10.0.0.0/24', primaryIp: '10.0.0.4',
  secondaryIps: ['10.0.0.10', '10.0.0.11', '10.0.0.12', '10.0.0.13'],
};
const VETH_A = hostVethName('eni', 'default', 'a');
const VETH_B = hostVethName('eni', 'default', 'b');

/** A node kernel as `ip -j -batch` prints it: two pods wired by the plugin, one pod's rules left behind. */
function kernel(opts: { pods: { ip: string; veth: string; table?: number }[]; staleRules?: string[] }): string {
  const links = [{ ifname: 'lo', address: '00:00:00:00:00:00', mtu: 65536, flags: ['UP'], addr_info: [] }, { ifname: 'eth0', address: '02:00:00:00:00:00', mtu: 9001, flags: ['UP'], addr_info: [{ family: 'inet', local: '10.0.0.4', prefixlen: 24 }] }];
  const routes: Record<string, unknown>[] = [{ dst: 'default', gateway: '10.0.0.1', dev: 'eth0' }, { dst: '10.0.0.0/24', dev: 'eth0', scope: 'link' }];
  const rules: Record<string, unknown>[] = [{ priority: 0, src: 'all', table: 'local' }];
  for (const p of opts.pods) {
    links.push({ ifname: p.veth, address: '0a:58:00:00:00:01', mtu: 9001, flags: ['UP'], addr_info: [] });
    routes.push({ dst: p.ip, dev: p.veth, scope: 'link' });
    rules.push({ priority: 512, src: 'all', dst: p.ip, table: 'main' });
    if (p.table) rules.push({ priority: 1536, src: p.ip, table: String(p.table) });
  }
  for (const ip of opts.staleRules ?? []) rules.push({ priority: 512, src: 'all', dst: ip, table: 'main' });
  // A route through a veth of another prefix, and a /32 via a gateway: neither is a vpcwire pod.
  routes.push({ dst: '10.0.0.99', dev: 'cali123', scope: 'link' }, { dst: '10.0.0.98', gateway: '10.0.0.1', dev: 'eth0' });
  links.push({ ifname: 'cali123', address: '0a:58:00:00:00:02', mtu: 1500, flags: ['UP'], addr_info: [] });
  return `${JSON.stringify(links)}\n${JSON.stringify(routes)}\n${JSON.stringify(rules)}\n`;
}

async function store(t: TestContext, now = { t: 1_700_000_000_000 }) {
  const dir = await mkdtemp(join(tmpdir(), 'vpcwire-recovery-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const checkpoint = new Checkpoint({ path: join(dir, 'ipam.json'), logger: silentLogger() });
  const ds = new Datastore({ checkpoint, chooseAddress, logger: silentLogger(), now: () => now.t, cooldownMs: 30_000 });
  await ds.addEni(ENI0);
  return { ds, checkpoint, now };
}

describe('pod evidence from a kernel snapshot', () => {
  test('a /32 scope-link route through a live veth of the prefix is a running pod; rules alone are not', () => {
    const snap = parseSnapshot(kernel({ pods: [{ ip: '10.0.0.10', veth: VETH_A }, { ip: '10.0.0.11', veth: VETH_B, table: 2 }], staleRules: ['10.0.0.12'] }));
    const ev = podEvidence(snap, 'eni');
    assert.deepEqual([...ev.routed], [['10.0.0.10', VETH_A], ['10.0.0.11', VETH_B]]);
    assert.deepEqual(
      ev.rules.map((r) => `${r.ip} ${r.priority} ${r.table}`).sort(),
      ['10.0.0.10 512 main', '10.0.0.11 1536 2', '10.0.0.11 512 main', '10.0.0.12 512 main'],
    );
    assert.ok(ev.links.has(VETH_A) && ev.links.has('cali123'));
    assert.equal(podEvidence(snap, 'xyz').routed.size, 0, 'another prefix: nothing is ours');
  });
});

describe('recovered allocations', () => {
  test('recorded only for pool addresses, whatever their cooldown; foreign and conflicting routes are reported', async (t) => {
    const { ds } = await store(t);
    await ds.restore({ allocations: [], cooling: [] }, { vethExists: async () => true });
    const held = await ds.assign({ networkName: 'n', containerId: 'c1', ifName: 'eth0' }, { namespace: 'default', name: 'c', uid: '' });
    await ds.release({ networkName: 'n', containerId: 'c1', ifName: 'eth0' }); // now cooling
    const other = await ds.assign({ networkName: 'n', containerId: 'c2', ifName: 'eth0' }, { namespace: 'default', name: 'd', uid: '' }, { hostVeth: hostVethName('eni', 'default', 'd') });
    const routed = new Map([[held.ip, VETH_A], [other.ip, VETH_B], ['10.9.9.9', hostVethName('eni', 'x', 'y')]]);
    const r = await ds.recover(routed, (a) => a.hostVeth ?? '');
    assert.deepEqual(r.recovered.map((a) => [a.ip, a.hostVeth, a.recovered]), [[held.ip, VETH_A, true]]);
    assert.deepEqual(r.foreign, [{ ip: '10.9.9.9', hostVeth: hostVethName('eni', 'x', 'y') }]);
    assert.equal(r.conflicts.length, 1);
    assert.equal(r.conflicts[0]!.ip, other.ip);
    const state = ds.addresses().find((a) => a.ip === held.ip)!.state;
    assert.equal(state, 'assigned', 'a cooling address a live pod routes is taken out of cooldown as assigned');
    // Every other address can be handed out, never the recovered one.
    const got = new Set<string>();
    for (let i = 3; i < 10; i++) {
      try {
        got.add((await ds.assign({ networkName: 'n', containerId: `c${i}`, ifName: 'eth0' }, { namespace: 'default', name: `p${i}`, uid: '' })).ip);
      } catch {
        break;
      }
    }
    assert.ok(!got.has(held.ip), `the recovered ${held.ip} was handed out: ${[...got]}`);
  });

  test("the pod's ADD takes its recovered address over; its DEL, or its veth going, releases it", async (t) => {
    const { ds } = await store(t);
    await ds.restore({ allocations: [], cooling: [] }, { vethExists: async () => true });
    await ds.recover(new Map([['10.0.0.10', VETH_A], ['10.0.0.11', VETH_B], ['10.0.0.12', hostVethFor('eni', {}, { containerId: 'podman1', ifName: 'eth0' })]]), () => '');
    const key = { networkName: 'vpcwire', containerId: 'sandbox-a', ifName: 'eth0' };
    const a = await ds.assign(key, { namespace: 'default', name: 'a', uid: 'u' }, { hostVeth: VETH_A });
    assert.equal(a.ip, '10.0.0.10');
    assert.equal(a.recovered, undefined);
    assert.deepEqual(ds.allocation(key)?.ip, '10.0.0.10');
    // DEL of pod b (its triple is unknown to ipamd, its veth is not).
    const b = await ds.release({ networkName: 'vpcwire', containerId: 'sandbox-b', ifName: 'eth0' }, { hostVeth: VETH_B });
    assert.equal(b?.ip, '10.0.0.11');
    assert.equal(ds.addresses().find((x) => x.ip === '10.0.0.11')!.state, 'cooling');
    // A DEL naming no recovered veth releases nothing.
    assert.equal(await ds.release({ networkName: 'vpcwire', containerId: 'x', ifName: 'eth0' }, { hostVeth: 'eni00000000000' }), undefined);
    // Without pod arguments the veth is named from the container (podman, cnitool).
    const c = await ds.release({ networkName: 'vpcwire', containerId: 'podman1', ifName: 'eth0' }, { hostVeth: hostVethFor('eni', {}, { containerId: 'podman1', ifName: 'eth0' }) });
    assert.equal(c?.ip, '10.0.0.12');
  });

  test('recovered allocations survive the checkpoint and a restart', async (t) => {
    const { ds, checkpoint } = await store(t);
    await ds.restore({ allocations: [], cooling: [] }, { vethExists: async () => true });
    await ds.recover(new Map([['10.0.0.13', VETH_A]]), () => '');
    const text = encodeCheckpoint({ allocations: ds.allocations(), cooling: [] });
    const decoded = decodeCheckpoint(text);
    assert.deepEqual(decoded.problems, []);
    assert.deepEqual(decoded.state.allocations.map((a) => [a.ip, a.recovered, a.hostVeth, a.key.containerId]), [['10.0.0.13', true, VETH_A, '']]);
    const loaded = await checkpoint.load();
    const again = await store(t);
    const report = await again.ds.restore(loaded.state, { vethExists: async (x) => x.hostVeth === VETH_A });
    assert.equal(report.kept.length, 1);
    assert.equal(again.ds.allocations()[0]!.recovered, true);
  });

  test('a checkpoint entry whose address the kernel routes to another pod is dropped, and that pod recovered', async (t) => {
    const { ds } = await store(t);
    const wrong = {
      key: { networkName: 'vpcwire', containerId: 'forged', ifName: 'eth0' }, pod: { namespace: 'default', name: 'z', uid: '' },
      ip: '10.0.0.10', eniId: 'eni-0', deviceIndex: 0, allocatedAt: 1, hostVeth: hostVethName('eni', 'default', 'z'),
    };
    const report = await ds.restore(
      { allocations: [wrong], cooling: [] },
      { vethExists: async () => true, kernel: { routed: new Map([['10.0.0.10', VETH_A]]), vethOf: (a) => a.hostVeth! } },
    );
    assert.deepEqual(report.dropped.map((d) => d.reason), ['kernel-mismatch']);
    const r = await ds.recover(new Map([['10.0.0.10', VETH_A]]), (a) => a.hostVeth!);
    assert.deepEqual(r.recovered.map((a) => a.ip), ['10.0.0.10']);
  });
});

describe('KernelAudit', () => {
  test('recovers untracked pods, releases recovered ones whose veth went, removes stale rules at the second sighting, counts each drift once', async (t) => {
    const { ds } = await store(t);
    await ds.restore({ allocations: [], cooling: [] }, { vethExists: async () => true });
    let text = kernel({ pods: [{ ip: '10.0.0.10', veth: VETH_A }, { ip: '10.0.0.11', veth: VETH_B }], staleRules: ['10.0.0.12'] });
    const batches: string[][] = [];
    const drift = new DriftLog(silentLogger());
    const audit = new KernelAudit({
      store: ds,
      drift,
      logger: silentLogger(),
      vethPrefix: 'eni',
      commands: {
        snapshot: async (): Promise<IpSnapshot> => parseSnapshot(text),
        ipBatch: async (lines) => {
          batches.push([...lines]);
          return [];
        },
      },
    });
    const first = await audit.run();
    assert.deepEqual(first.recovered.map((a) => a.ip), ['10.0.0.10', '10.0.0.11']);
    assert.equal(first.rulesRemoved, 0, 'a stale rule seen once is left (an ADD might be wiring it)');
    await audit.run();
    assert.deepEqual(batches, [['rule del to 10.0.0.12/32 lookup main priority 512']], 'removed at the second sighting');
    assert.deepEqual(drift.counts(), { 'kernel-untracked': 2, 'stale-pod-rules': 1 }, 'each drift counted once across passes');
    // Pod b's veth goes (deleted without a DEL reaching ipamd): released, its rules removed.
    text = kernel({ pods: [{ ip: '10.0.0.10', veth: VETH_A }], staleRules: ['10.0.0.11'] });
    batches.length = 0;
    const third = await audit.run();
    assert.deepEqual(third.released.map((a) => a.ip), ['10.0.0.11']);
    assert.deepEqual(batches, [['rule del to 10.0.0.11/32 lookup main priority 512']]);
    assert.equal(ds.addresses().find((a) => a.ip === '10.0.0.11')!.state, 'cooling');
    assert.equal(drift.counts()['recovered-veth-gone'], 1);
  });
});

test('a DEL that races the kernel read is not mistaken for an untracked pod', async (t) => {
  const now = { t: 1_700_000_000_000 };
  const { ds } = await store(t, now);
  await ds.restore({ allocations: [], cooling: [] }, { vethExists: async () => true });
  const key = { networkName: 'vpcwire', containerId: 'c1', ifName: 'eth0' };
  const a = await ds.assign(key, { namespace: 'default', name: 'a', uid: '' }, { hostVeth: VETH_A });
  const text = kernel({ pods: [{ ip: a.ip, veth: VETH_A }] });
  const audit = new KernelAudit({
    store: ds,
    drift: new DriftLog(silentLogger()),
    logger: silentLogger(),
    vethPrefix: 'eni',
    now: () => now.t,
    commands: {
      // The pod's DEL reaches ipamd while `ip` lists its (still existing) veth and route.
      snapshot: async () => {
        now.t += 5;
        await ds.release(key);
        return parseSnapshot(text);
      },
      ipBatch: async () => [],
    },
  });
  const r = await audit.run();
  assert.deepEqual(r.recovered, [], 'the released address is not recorded again');
  assert.equal(ds.addresses().find((x) => x.ip === a.ip)!.state, 'cooling');
});
