import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { Checkpoint } from '../../ipamd/datastore/checkpoint.ts';
import { allocationToDisk, emptyCheckpointState } from '../../ipamd/datastore/checkpoint-format.ts';
import { Datastore } from '../../ipamd/datastore/datastore.ts';
import { isDatastoreError, PoolEmptyError } from '../../ipamd/datastore/errors.ts';
import type { AddressChooser, AllocationKey, CheckpointState, DatastoreLogger } from '../../ipamd/datastore/types.ts';
import type { PoolSnapshot } from '../../warm-pool/types.ts';

/** The trivial chooser: the first free address, ENIs in device order (the real one is warm-pool's). */
const firstFree: AddressChooser = (snap) => {
  for (const eni of snap.enis) {
    for (const a of [...eni.addresses, ...eni.prefixes.flatMap((p) => p.addresses)]) {
      if (a.state === 'free') return { eniId: eni.id, ip: a.ip };
    }
  }
  return undefined;
};

const T0 = 1_700_000_000_000;
const COOLDOWN = 30_000;
const key = (n: number | string, ifName = 'eth0'): AllocationKey => ({ networkName: 'vpcwire', containerId: `c${n}`, ifName });
const pod = (n: number | string) => ({ namespace: 'default', name: `p${n}`, uid: `uid-${n}` });

interface Fixture {
  ds: Datastore;
  path: string;
  dir: string;
  clock: { t: number };
  logs: { level: string; message: string }[];
  writes: { n: number };
  disk(): Promise<CheckpointState & { version: number }>;
}

/** A datastore on a real checkpoint file in a temp dir; ENI n has `ips` secondary IPs 10.0.n.(10+i). */
async function fixture(
  t: TestContext,
  opts: { enis?: number; ips?: number; cooldownMs?: number; chooser?: AddressChooser } = {},
): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'vpcwire-ds-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'ipam.json');
  const clock = { t: T0 };
  const logs: { level: string; message: string }[] = [];
  const logger: DatastoreLogger = {
    info: (message) => logs.push({ level: 'info', message }),
    warn: (message) => logs.push({ level: 'warn', message }),
    error: (message) => logs.push({ level: 'error', message }),
  };
  const real = new Checkpoint({ path, logger, now: () => clock.t });
  const writes = { n: 0 };
  const checkpoint = { write: (s: CheckpointState) => (writes.n++, real.write(s)) };
  const ds = new Datastore({
    checkpoint, logger, now: () => clock.t, cooldownMs: opts.cooldownMs ?? COOLDOWN, chooseAddress: opts.chooser ?? firstFree,
  });
  for (let e = 0; e < (opts.enis ?? 2); e++) {
    await ds.addEni({
      id: `eni-${e}`, deviceIndex: e, mac: `02:00:00:00:00:0${e}`, isPrimary: e === 0, subnetCidr: `10.0.${e}.0/24`, primaryIp: `10.0.${e}.4`,
      secondaryIps: Array.from({ length: opts.ips ?? 3 }, (_, i) => `10.0.${e}.${10 + i}`),
    });
  }
  await ds.restore(emptyCheckpointState(), { vethExists: async () => true });
  writes.n = 0;
  return { ds, path, dir, clock, logs, writes, disk: async () => JSON.parse(await readFile(path, 'utf8')) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isDatastoreError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

describe('Datastore: allocation', () => {
  test('a repeated ADD returns the same address without another write', async (t) => {
    const f = await fixture(t);
    const a = await f.ds.assign(key(1), pod(1));
    const b = await f.ds.assign(key(1), pod(1));
    assert.deepEqual(b, a);
    assert.equal(f.writes.n, 1);
    const [c, d] = await Promise.all([f.ds.assign(key(2), pod(2)), f.ds.assign(key(2), pod(2))]);
    assert.equal(c.ip, d.ip, 'concurrent repeats of one key share one address');
    assert.equal(f.ds.allocations().length, 2);
  });

  test('a repeated ADD for another pod uid is a conflict, not a second address', async (t) => {
    const f = await fixture(t);
    await f.ds.assign(key(1), pod(1));
    assert.equal(await codeOf(f.ds.assign(key(1), { ...pod(1), uid: 'other' })), 'IPAMD_DATASTORE_CONFLICT');
    assert.equal((await f.ds.assign(key(1), { ...pod(1), uid: '' })).pod.uid, 'uid-1', 'a runtime without K8S_POD_UID still gets its address');
  });

  test('DEL of an unknown key succeeds, and so does a repeated DEL', async (t) => {
    const f = await fixture(t);
    assert.equal(await f.ds.release(key('nope')), undefined);
    const a = await f.ds.assign(key(1), pod(1));
    assert.deepEqual(await f.ds.release(key(1)), a);
    assert.equal(await f.ds.release(key(1)), undefined);
  });

  test('a released address cools down for cooldownMs before it is handed out again', async (t) => {
    const f = await fixture(t, { enis: 1, ips: 2 });
    const a = await f.ds.assign(key(1), pod(1));
    await f.ds.assign(key(2), pod(2));
    await f.ds.release(key(1));
    const err = await f.ds.assign(key(3), pod(3)).catch((e: unknown) => e);
    assert.ok(err instanceof PoolEmptyError, String(err));
    assert.equal(err.code, 'IPAMD_DATASTORE_POOL_EMPTY');
    assert.match(err.message, /1 assigned and 1 cooling of 2 .* free again in 30000 ms/);
    assert.equal(f.ds.snapshot().enis[0]!.addresses.find((x) => x.ip === a.ip)!.state, 'cooling');
    f.clock.t += COOLDOWN - 1;
    assert.equal(await codeOf(f.ds.assign(key(3), pod(3))), 'IPAMD_DATASTORE_POOL_EMPTY');
    f.clock.t += 1;
    assert.equal((await f.ds.assign(key(3), pod(3))).ip, a.ip);
  });

  test('64 concurrent assigns get 64 distinct addresses, the rest POOL_EMPTY, in a few group-committed writes', async (t) => {
    const f = await fixture(t, { enis: 4, ips: 16 });
    const results = await Promise.allSettled(Array.from({ length: 80 }, (_, i) => f.ds.assign(key(i), pod(i))));
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    assert.equal(ok.length, 64);
    assert.equal(new Set(ok.map((a) => a.ip)).size, 64);
    assert.equal(failed.length, 16);
    assert.ok(failed.every((e) => isDatastoreError(e, 'IPAMD_DATASTORE_POOL_EMPTY')));
    const disk = await f.disk();
    assert.equal(disk.allocations.length, 64);
    assert.ok(f.writes.n <= 4, `${f.writes.n} writes for one burst`);
  });

  test('the checkpoint on disk holds every change as soon as the call resolves', async (t) => {
    const f = await fixture(t, { enis: 2, ips: 4 });
    const expectDisk = async (): Promise<void> => {
      const disk = await f.disk();
      assert.equal(disk.version, 1);
      assert.deepEqual(disk.allocations, JSON.parse(JSON.stringify(f.ds.allocations().map(allocationToDisk))));
      const cooling = f.ds.addresses().filter((a) => a.state === 'cooling').map((a) => ({ ip: a.ip, until: a.coolingUntil }));
      assert.deepEqual(disk.cooling.toSorted((a, b) => a.ip.localeCompare(b.ip)), cooling.toSorted((a, b) => a.ip.localeCompare(b.ip)));
    };
    for (let i = 0; i < 5; i++) {
      const a = await f.ds.assign(key(i), pod(i));
      assert.ok((await f.disk()).allocations.some((x) => x.ip === a.ip));
      await expectDisk();
    }
    await f.ds.release(key(2));
    assert.ok(!(await f.disk()).allocations.some((x) => x.key.containerId === 'c2'));
    await expectDisk();
    f.clock.t += 5_000;
    await f.ds.releaseByContainer('vpcwire', 'c3');
    await expectDisk();
    assert.equal((await f.disk()).cooling.length, 2);
  });

  test('a failed checkpoint write fails the call and changes nothing', async (t) => {
    const f = await fixture(t);
    const a = await f.ds.assign(key(1), pod(1));
    await rm(f.dir, { recursive: true, force: true }); // the directory vanished under us: open(tmp) fails
    assert.equal(await codeOf(f.ds.assign(key(2), pod(2))), 'IPAMD_DATASTORE_CHECKPOINT_IO');
    assert.equal(await codeOf(f.ds.release(key(1))), 'IPAMD_DATASTORE_CHECKPOINT_IO');
    assert.deepEqual(f.ds.allocations(), [a]);
    assert.equal(f.ds.addresses().filter((x) => x.state !== 'free').length, 1);
  });

  test('allocation calls before restore() are refused, so they cannot overwrite the checkpoint', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'vpcwire-ds-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const logger = { info() {}, warn() {}, error() {} };
    const ds = new Datastore({ checkpoint: new Checkpoint({ path: join(dir, 'c.json'), logger }), chooseAddress: firstFree, logger });
    assert.equal(await codeOf(ds.assign(key(1), pod(1))), 'IPAMD_DATASTORE_NOT_READY');
    assert.equal(await codeOf(ds.release(key(1))), 'IPAMD_DATASTORE_NOT_READY');
    assert.equal(ds.ready, false);
  });

  test('bad arguments are refused with the field and the value', async (t) => {
    const f = await fixture(t);
    const err = await f.ds.assign({ ...key(1), networkName: '' }, pod(1)).catch((e: unknown) => e as Error);
    assert.ok(isDatastoreError(err, 'IPAMD_DATASTORE_INVALID_ARGUMENT'));
    assert.equal(err.message, 'key.networkName: expected a non-empty string, got ""');
    await assert.rejects(f.ds.assign(key(1), { namespace: 'ns', name: 7 } as never), /pod\.name: expected a string, got 7/);
    assert.throws(() => new Datastore({ checkpoint: { write: async () => {} }, chooseAddress: firstFree, logger: console, cooldownMs: -1 }), /cooldownMs \(IP_COOLDOWN_PERIOD\).*-1/);
  });

  test('a chooser that picks a busy address is caught, never a double assignment', async (t) => {
    let pick = '10.0.0.10';
    const f = await fixture(t, { chooser: () => ({ eniId: 'eni-0', ip: pick }) });
    await f.ds.assign(key(1), pod(1));
    assert.equal(await codeOf(f.ds.assign(key(2), pod(2))), 'IPAMD_DATASTORE_INTERNAL');
    pick = '10.0.9.9';
    assert.equal(await codeOf(f.ds.assign(key(2), pod(2))), 'IPAMD_DATASTORE_INTERNAL');
    assert.equal(f.ds.allocations().length, 1);
  });

  test('releaseByContainer frees every interface of the container', async (t) => {
    const f = await fixture(t);
    await f.ds.assign(key(1, 'eth0'), pod(1));
    await f.ds.assign(key(1, 'eth1'), pod(1));
    await f.ds.assign(key(2), pod(2));
    const freed = await f.ds.releaseByContainer('vpcwire', 'c1');
    assert.deepEqual(freed.map((a) => a.key.ifName).sort(), ['eth0', 'eth1']);
    assert.deepEqual(f.ds.allocations().map((a) => a.key.containerId), ['c2']);
  });
});

describe('Datastore: pool', () => {
  test('removeEni and removeAddresses refuse assigned and cooling addresses, and accept free ones', async (t) => {
    const f = await fixture(t, { enis: 2, ips: 2 });
    await f.ds.assign(key(1), pod(1)); // 10.0.0.10 (primary ENI)
    await f.ds.assign(key(2), pod(2)); // 10.0.0.11
    const c = await f.ds.assign(key(3), pod(3)); // 10.0.1.10
    assert.equal(c.eniId, 'eni-1');
    await assert.rejects(f.ds.removeEni('eni-1'), (e: Error) => isDatastoreError(e, 'IPAMD_DATASTORE_ADDRESS_IN_USE') && /10\.0\.1\.10 \(assigned to vpcwire\/c3\/eth0\)/.test(e.message));
    await assert.rejects(f.ds.removeAddresses('eni-1', ['10.0.1.10', '10.0.1.11']), /ADDRESS_IN_USE|still has 1 assigned/);
    assert.equal(f.ds.enis()[1]!.secondaryIps.length, 2, 'a refused removal removes nothing');
    await f.ds.release(key(3));
    await assert.rejects(f.ds.removeEni('eni-1'), /10\.0\.1\.10 \(cooling for 30000 ms\)/);
    assert.deepEqual(await f.ds.removeAddresses('eni-1', ['10.0.1.11', '10.0.1.99']), ['10.0.1.11']);
    f.clock.t += COOLDOWN;
    assert.equal(await f.ds.removeEni('eni-1'), true);
    assert.equal(await f.ds.removeEni('eni-1'), false);
    assert.equal(await codeOf(f.ds.removeEni('eni-0')), 'IPAMD_DATASTORE_CONFLICT', 'the primary ENI is never removed');
    assert.equal(await codeOf(f.ds.addAddresses('eni-1', ['10.0.1.12'])), 'IPAMD_DATASTORE_UNKNOWN_ENI');
  });

  test('prefix mode: each /28 gives 16 addresses; prefixes are removed whole and only when idle', async (t) => {
    const f = await fixture(t, { enis: 1, ips: 0 });
    assert.deepEqual(await f.ds.addPrefixes('eni-0', ['10.0.0.32/28', '10.0.0.48/28', '10.0.0.32/28']), ['10.0.0.32/28', '10.0.0.48/28']);
    assert.equal(f.ds.addresses().length, 32);
    const a = await f.ds.assign(key(1), pod(1));
    assert.deepEqual({ ip: a.ip, prefix: a.prefix, deviceIndex: a.deviceIndex }, { ip: '10.0.0.32', prefix: '10.0.0.32/28', deviceIndex: 0 });
    assert.equal((await f.disk()).allocations[0]!.prefix, '10.0.0.32/28');
    assert.equal(await codeOf(f.ds.removePrefixes('eni-0', ['10.0.0.32/28'])), 'IPAMD_DATASTORE_ADDRESS_IN_USE');
    assert.deepEqual(await f.ds.removePrefixes('eni-0', ['10.0.0.48/28']), ['10.0.0.48/28']);
    assert.equal(await codeOf(f.ds.removeAddresses('eni-0', ['10.0.0.33'])), 'IPAMD_DATASTORE_INVALID_ARGUMENT', 'an address inside a prefix goes with its prefix');
    await assert.rejects(f.ds.addPrefixes('eni-0', ['10.0.0.40/28']), /prefixes\[0\]: expected an aligned \/28 prefix, got "10\.0\.0\.40\/28"/);
    await assert.rejects(f.ds.addAddresses('eni-0', ['10.0.0.40']), /address 10\.0\.0\.40 is already held by ENI eni-0 in prefix 10\.0\.0\.32\/28/);
  });

  test('pool input is validated: subnet, primary IP, another ENI, device index, MAC', async (t) => {
    const f = await fixture(t, { enis: 2 });
    await assert.rejects(f.ds.addAddresses('eni-0', ['10.0.5.1']), /ips\[0\]: expected an address inside ENI eni-0's subnet 10\.0\.0\.0\/24, got "10\.0\.5\.1"/);
    await assert.rejects(f.ds.addAddresses('eni-0', ['10.0.0.4']), /primary IP/);
    await assert.rejects(f.ds.addAddresses('eni-0', ['10.0.0.010']), /canonical IPv4/);
    const spec = { id: 'eni-9', deviceIndex: 1, mac: '02:00:00:00:00:09', isPrimary: false, subnetCidr: '10.0.9.0/24', primaryIp: '10.0.9.4' };
    assert.equal(await codeOf(f.ds.addEni(spec)), 'IPAMD_DATASTORE_CONFLICT');
    assert.equal(await codeOf(f.ds.addEni({ ...spec, deviceIndex: 2, mac: 'zz' })), 'IPAMD_DATASTORE_INVALID_ARGUMENT');
    await f.ds.addEni({ ...spec, deviceIndex: 2, secondaryIps: ['10.0.9.5'] });
    await f.ds.addEni({ ...spec, deviceIndex: 2, secondaryIps: ['10.0.9.6'] }); // re-adding merges (the reconciler resyncs)
    assert.deepEqual(f.ds.enis().find((e) => e.id === 'eni-9')!.secondaryIps, ['10.0.9.5', '10.0.9.6']);
  });

  test('snapshot() is warm-pool\'s PoolSnapshot: states, ages, release pacing, growth block', async (t) => {
    const f = await fixture(t, { enis: 2, ips: 2 });
    f.clock.t += 90_000;
    await f.ds.assign(key(1), pod(1));
    await f.ds.assign(key(2), pod(2));
    await f.ds.release(key(2));
    const snap: PoolSnapshot = f.ds.snapshot();
    assert.deepEqual(snap, {
      enis: [
        { id: 'eni-0', deviceIndex: 0, isPrimary: true, ageMs: 90_000, prefixes: [],
          addresses: [{ ip: '10.0.0.10', state: 'assigned' }, { ip: '10.0.0.11', state: 'cooling' }] },
        { id: 'eni-1', deviceIndex: 1, isPrimary: false, ageMs: 90_000, prefixes: [],
          addresses: [{ ip: '10.0.1.10', state: 'free' }, { ip: '10.0.1.11', state: 'free' }] },
      ],
      msSinceLastRelease: Infinity,
      growthBlocked: false,
    });
    await f.ds.removeAddresses('eni-1', ['10.0.1.11']);
    f.clock.t += 1_000;
    f.ds.setGrowthBlocked(true);
    const later = f.ds.snapshot();
    assert.equal(later.msSinceLastRelease, 1_000);
    assert.equal(later.growthBlocked, true);
    assert.equal(f.ds.snapshot(f.clock.t, { growthBlocked: false }).growthBlocked, false);
    assert.equal(f.ds.snapshot(f.clock.t + COOLDOWN).enis[0]!.addresses[1]!.state, 'free');
  });
});

describe('Datastore: properties', () => {
  test('random interleavings never double-assign, respect cooldown, and keep the disk equal to memory', async (t) => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('assign' as const), ids: fc.array(fc.nat(11), { minLength: 1, maxLength: 6 }) }),
      fc.record({ kind: fc.constant('release' as const), ids: fc.array(fc.nat(11), { minLength: 1, maxLength: 4 }) }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 2_000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), async (ops) => {
        const f = await fixture(t, { enis: 2, ips: 4, cooldownMs: 1_000 });
        const freedAt = new Map<string, number>();
        for (const o of ops) {
          if (o.kind === 'tick') {
            f.clock.t += o.ms;
            continue;
          }
          // Each step fires its calls concurrently, as gRPC handlers would.
          const calls = o.ids.map((id) => (o.kind === 'assign' ? f.ds.assign(key(id), pod(id)) : f.ds.release(key(id))));
          const results = await Promise.allSettled(calls);
          for (const r of results) {
            if (r.status === 'rejected') assert.ok(isDatastoreError(r.reason, 'IPAMD_DATASTORE_POOL_EMPTY'), String(r.reason));
            else if (o.kind === 'release' && r.value) freedAt.set(r.value.ip, f.clock.t);
            else if (o.kind === 'assign') {
              const freed = freedAt.get(r.value!.ip);
              if (freed !== undefined) assert.ok(r.value!.allocatedAt - freed >= 1_000, `reused ${r.value!.ip} during its cooldown`);
            }
          }
          const allocs = f.ds.allocations();
          assert.equal(new Set(allocs.map((a) => a.ip)).size, allocs.length, 'one address, one attachment');
          const disk = await f.disk();
          assert.deepEqual(disk.allocations, JSON.parse(JSON.stringify(allocs.map(allocationToDisk))));
        }
      }),
      { numRuns: 40 },
    );
  });
});
