import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { Checkpoint } from '../../ipamd/datastore/checkpoint.ts';
import { allocationToDisk } from '../../ipamd/datastore/checkpoint-format.ts';
import { Datastore } from '../../ipamd/datastore/datastore.ts';
import type { AddressChooser, Allocation, CheckpointState, DatastoreLogger, EniSpec, VethExists } from '../../ipamd/datastore/types.ts';

const firstFree: AddressChooser = (snap) => {
  for (const eni of snap.enis) {
    for (const a of [...eni.addresses, ...eni.prefixes.flatMap((p) => p.addresses)]) {
      if (a.state === 'free') return { eniId: eni.id, ip: a.ip };
    }
  }
  return undefined;
};

const T0 = 1_700_000_000_000;
const key = (n: number) => ({ networkName: 'vpcwire', containerId: `c${n}`, ifName: 'eth0' });
const pod = (n: number) => ({ namespace: 'default', name: `p${n}`, uid: `u${n}` });
const ENI0: EniSpec = { id: 'eni-0', deviceIndex: 0, mac: '02:00:00:00:00:00', isPrimary: true, subnetCidr: '10.0.0.0/24', primaryIp: '10.0.0.4' };
const ENI1: EniSpec = { id: 'eni-1', deviceIndex: 1, mac: '02:00:00:00:00:01', isPrimary: false, subnetCidr: '10.0.1.0/24', primaryIp: '10.0.1.4' };

/** One ipamd "start": a fresh Datastore on the same checkpoint file, the ENIs EC2 reports, then load. */
async function start(t: TestContext, dir: string, enis: readonly EniSpec[], clock: { t: number }) {
  const logs: { level: string; message: string }[] = [];
  const logger: DatastoreLogger = {
    info: (message) => logs.push({ level: 'info', message }),
    warn: (message) => logs.push({ level: 'warn', message }),
    error: (message) => logs.push({ level: 'error', message }),
  };
  const checkpoint = new Checkpoint({ path: join(dir, 'ipam.json'), logger, now: () => clock.t });
  const ds = new Datastore({ checkpoint, logger, chooseAddress: firstFree, now: () => clock.t, cooldownMs: 30_000 });
  for (const eni of enis) await ds.addEni(eni);
  const loaded = await checkpoint.load();
  return { ds, logs, loaded, disk: async (): Promise<CheckpointState> => JSON.parse(await readFile(join(dir, 'ipam.json'), 'utf8')) };
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vpcwire-restore-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const allVeths: VethExists = async () => true;

describe('Datastore.restore', () => {
  test('a restart keeps the ledger: same addresses for repeated ADDs, cooldowns still honoured', async (t) => {
    const dir = await tempDir(t);
    const clock = { t: T0 };
    const enis = [{ ...ENI0, secondaryIps: ['10.0.0.10', '10.0.0.11', '10.0.0.12'] }];
    const first = await start(t, dir, enis, clock);
    await first.ds.restore(first.loaded.state, { vethExists: allVeths });
    const a1 = await first.ds.assign(key(1), pod(1));
    const a2 = await first.ds.assign(key(2), pod(2));
    await first.ds.assign(key(3), pod(3));
    await first.ds.release(key(3));

    clock.t += 10_000;
    const second = await start(t, dir, enis, clock);
    assert.equal(second.loaded.corrupt, undefined);
    const report = await second.ds.restore(second.loaded.state, { vethExists: allVeths });
    assert.deepEqual(report.kept, [a1, a2]);
    assert.deepEqual(report.cooling, { restored: 1, expired: 0, invalid: 0 });
    assert.deepEqual(await second.ds.assign(key(1), pod(1)), a1);
    await assert.rejects(second.ds.assign(key(4), pod(4)), { code: 'IPAMD_DATASTORE_POOL_EMPTY' });
    clock.t += 20_000;
    assert.equal((await second.ds.assign(key(4), pod(4))).ip, '10.0.0.12');
  });

  test('drops allocations whose address left the node or whose veth is gone, keeps the rest, and says why', async (t) => {
    const dir = await tempDir(t);
    const clock = { t: T0 };
    const before = [{ ...ENI0, secondaryIps: ['10.0.0.10', '10.0.0.11'] }, { ...ENI1, secondaryIps: ['10.0.1.10', '10.0.1.11'] }];
    const first = await start(t, dir, before, clock);
    await first.ds.restore(first.loaded.state, { vethExists: allVeths });
    const [a1, a2, a3, a4] = await Promise.all([1, 2, 3, 4].map((n) => first.ds.assign(key(n), pod(n))));
    assert.deepEqual([a1, a2, a3, a4].map((a) => a!.ip).sort(), ['10.0.0.10', '10.0.0.11', '10.0.1.10', '10.0.1.11']);

    // While ipamd was down: EC2 took 10.0.1.11 back, and p2's sandbox went away.
    const after = [before[0]!, { ...ENI1, secondaryIps: ['10.0.1.10'] }];
    const second = await start(t, dir, after, clock);
    const gone = (a: Allocation) => a.pod.name === 'p2';
    const checked: string[] = [];
    const report = await second.ds.restore(second.loaded.state, {
      vethExists: async (a) => (checked.push(a.pod.name), !gone(a)),
    });
    const byIp = (ip: string) => [a1, a2, a3, a4].find((a) => a!.ip === ip)!;
    assert.deepEqual(report.dropped.map((d) => [d.allocation.ip, d.reason]).sort(), [
      [byIp('10.0.1.11').ip, 'address-gone'],
      [a2!.ip, 'veth-gone'],
    ].sort());
    assert.equal(checked.includes(byIp('10.0.1.11').pod.name), false, 'no veth check for an address that is gone anyway');
    assert.deepEqual(report.kept.map((a) => a.ip).sort(), [a1!.ip, a3!.ip, a4!.ip].filter((ip) => ip !== '10.0.1.11').sort());
    assert.ok(second.logs.some((l) => l.level === 'warn' && /no longer on any ENI/.test(l.message)));
    assert.ok(second.logs.some((l) => l.level === 'warn' && /host veth of pod default\/p2 no longer exists/.test(l.message)));
    // Durable at once, and the dropped pod's address cools down before reuse (conntrack, #3634).
    const disk = await second.disk();
    assert.deepEqual(disk.allocations.map((a) => a.ip).sort(), report.kept.map((a) => a.ip).sort());
    assert.ok(disk.cooling.some((c) => c.ip === a2!.ip));
    assert.equal(second.ds.addresses().find((x) => x.ip === a2!.ip)!.state, 'cooling');
  });

  test('an address now on another ENI is kept, corrected and reported as moved', async (t) => {
    const dir = await tempDir(t);
    const clock = { t: T0 };
    const first = await start(t, dir, [{ ...ENI0, secondaryIps: ['10.0.0.20'] }], clock);
    await first.ds.restore(first.loaded.state, { vethExists: allVeths });
    await first.ds.assign(key(1), pod(1));
    // Same subnet, and the address now inside a /28 of another ENI (a mode switch while down).
    const second = await start(t, dir, [ENI0, { ...ENI1, subnetCidr: '10.0.0.0/24', primaryIp: '10.0.0.5', prefixes: ['10.0.0.16/28'] }], clock);
    const report = await second.ds.restore(second.loaded.state, { vethExists: allVeths });
    assert.equal(report.moved.length, 1);
    assert.deepEqual(
      { eniId: report.kept[0]!.eniId, deviceIndex: report.kept[0]!.deviceIndex, prefix: report.kept[0]!.prefix },
      { eniId: 'eni-1', deviceIndex: 1, prefix: '10.0.0.16/28' },
    );
    assert.equal(report.moved[0]!.was.eniId, 'eni-0');
  });

  test('a failing veth check keeps the allocation: a leak is recoverable, a double assignment is not', async (t) => {
    const dir = await tempDir(t);
    const clock = { t: T0 };
    const enis = [{ ...ENI0, secondaryIps: ['10.0.0.10'] }];
    const first = await start(t, dir, enis, clock);
    await first.ds.restore(first.loaded.state, { vethExists: allVeths });
    const a = await first.ds.assign(key(1), pod(1));
    const second = await start(t, dir, enis, clock);
    const report = await second.ds.restore(second.loaded.state, { vethExists: async () => { throw new Error('netlink: EPERM'); } });
    assert.deepEqual(report.kept, [a]);
    assert.deepEqual(report.vethCheckFailed, [{ allocation: a, error: 'netlink: EPERM' }]);
  });

  test('after a corrupt checkpoint, restore writes the proven state over it while the copy stays', async (t) => {
    const dir = await tempDir(t);
    const clock = { t: T0 };
    const path = join(dir, 'ipam.json');
    const good = { key: key(1), pod: pod(1), ip: '10.0.0.10', eniId: 'eni-0', deviceIndex: 0, allocatedAt: T0 };
    // As the file spells it (allocationToDisk); the second entry's address is bogus.
    const text = JSON.stringify({ version: 1, allocations: [allocationToDisk(good), { ...allocationToDisk({ ...good, key: key(2) }), ip: 'bogus' }], cooling: [] });
    await writeFile(path, text);
    const s = await start(t, dir, [{ ...ENI0, secondaryIps: ['10.0.0.10', '10.0.0.11'] }], clock);
    assert.equal(s.loaded.corrupt?.salvaged.allocations, 1);
    const report = await s.ds.restore(s.loaded.state, { vethExists: allVeths });
    assert.deepEqual(report.kept.map((a) => a.ip), ['10.0.0.10']);
    assert.deepEqual((await s.disk()).allocations.map((a) => a.ip), ['10.0.0.10']);
    assert.equal(await readFile(s.loaded.corrupt!.keptAt, 'utf8'), text);
    assert.equal((await s.ds.assign(key(2), pod(2))).ip, '10.0.0.11', 'the proven allocation keeps its address');
  });

  test('expired cooldowns are counted and forgotten; duplicates in a hand-built state are refused', async (t) => {
    const dir = await tempDir(t);
    const clock = { t: T0 };
    const s = await start(t, dir, [{ ...ENI0, secondaryIps: ['10.0.0.10', '10.0.0.11', '10.0.0.12'] }], clock);
    const a = { key: key(1), pod: pod(1), ip: '10.0.0.10', eniId: 'eni-0', deviceIndex: 0, allocatedAt: T0 };
    const report = await s.ds.restore(
      { allocations: [a, { ...a, key: key(2) }, { ...a, ip: '10.0.0.11' }], cooling: [{ ip: '10.0.0.12', until: T0 }] },
      { vethExists: allVeths },
    );
    assert.deepEqual(report.dropped.map((d) => d.reason), ['address-taken', 'duplicate-key']);
    assert.deepEqual(report.cooling, { restored: 0, expired: 1, invalid: 0 });
    assert.equal(s.ds.addresses().find((x) => x.ip === '10.0.0.12')!.state, 'free');
  });
});
