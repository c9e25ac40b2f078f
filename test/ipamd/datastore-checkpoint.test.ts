import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { Checkpoint, type CorruptReport } from '../../ipamd/datastore/checkpoint.ts';
import { allocationToDisk as disk, decodeCheckpoint, encodeCheckpoint } from '../../ipamd/datastore/checkpoint-format.ts';
import { isDatastoreError } from '../../ipamd/datastore/errors.ts';
import type { Allocation, CheckpointState } from '../../ipamd/datastore/types.ts';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
const STAMP = '2026-01-02T03-04-05-006Z';

const alloc = (n: number, extra: Partial<Allocation> = {}): Allocation => ({
  key: { networkName: 'vpcwire', containerId: `c${n}`, ifName: 'eth0' },
  pod: { namespace: 'default', name: `p${n}`, uid: `u${n}` },
  ip: `10.0.0.${10 + n}`,
  eniId: 'eni-0',
  deviceIndex: 0,
  allocatedAt: T0 + n,
  ...extra,
});
const GOOD: CheckpointState = {
  allocations: [alloc(1), alloc(2, { ip: '10.0.1.33', eniId: 'eni-1', deviceIndex: 1, prefix: '10.0.1.32/28' })],
  cooling: [{ ip: '10.0.0.20', until: T0 + 30_000 }],
};

async function setup(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'vpcwire-cp-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'ipam.json');
  const logs: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  const reports: CorruptReport[] = [];
  const cp = new Checkpoint({
    path,
    now: () => T0,
    onCorrupt: (r) => reports.push(r),
    logger: {
      info: (message, meta) => logs.push({ level: 'info', message, meta }),
      warn: (message, meta) => logs.push({ level: 'warn', message, meta }),
      error: (message, meta) => logs.push({ level: 'error', message, meta }),
    },
  });
  return { dir, path, cp, logs, reports, files: async () => (await readdir(dir)).sort() };
}

describe('Checkpoint: atomic, durable writes', () => {
  test('round trip: version 1, one entry per line, mode 0600, no temp file left', async (t) => {
    const s = await setup(t);
    await s.cp.write(GOOD);
    const text = await readFile(s.path, 'utf8');
    assert.equal(JSON.parse(text).version, 1);
    assert.equal(text.split('\n').length, 9);
    assert.equal((await stat(s.path)).mode & 0o777, 0o600);
    assert.deepEqual(await s.files(), ['ipam.json']);
    assert.deepEqual(await s.cp.load(), { state: GOOD });
    assert.deepEqual(s.logs, []);
  });

  test('a missing file is an empty ledger, not corruption; the directory is created on first write', async (t) => {
    const s = await setup(t);
    assert.deepEqual(await s.cp.load(), { state: { allocations: [], cooling: [] }, missing: true });
    const nested = new Checkpoint({ path: join(s.dir, 'run', 'vpcwire', 'ipam.json'), logger: { info() {}, warn() {}, error() {} } });
    await nested.write(GOOD);
    assert.deepEqual((await nested.load()).state, GOOD);
  });

  test('a crash mid-write (a stray temp file) never loses the previous good state', async (t) => {
    const s = await setup(t);
    await s.cp.write(GOOD);
    const half = encodeCheckpoint({ allocations: [...GOOD.allocations, alloc(3)], cooling: [] });
    await writeFile(join(s.dir, 'ipam.json.tmp-4242-7'), half.slice(0, half.length / 2));
    const loaded = await s.cp.load();
    assert.deepEqual(loaded, { state: GOOD });
    assert.deepEqual(await s.files(), ['ipam.json'], 'the unfinished write is cleaned up');
    assert.match(s.logs[0]!.message, /unfinished checkpoint write/);
    await writeFile(join(s.dir, 'other.tmp-1'), 'x'); // not ours: left alone
    await s.cp.load();
    assert.ok((await s.files()).includes('other.tmp-1'));
  });

  test('a failed write leaves the previous file and no temp file', async (t) => {
    const s = await setup(t);
    await s.cp.write(GOOD);
    await mkdir(join(s.dir, 'blocker'));
    const blocked = new Checkpoint({ path: join(s.dir, 'blocker'), logger: { info() {}, warn() {}, error() {} } });
    await assert.rejects(blocked.write(GOOD), (e: Error) => isDatastoreError(e, 'IPAMD_DATASTORE_CHECKPOINT_IO') && e.message.includes('blocker') && /EISDIR/.test(e.message));
    assert.deepEqual(await s.files(), ['blocker', 'ipam.json']);
    assert.deepEqual((await s.cp.load()).state, GOOD);
  });
});

describe('Checkpoint: corrupt files are kept, reported and salvaged', () => {
  test('a truncated checkpoint is copied aside byte for byte, reported loudly, and nothing is invented', async (t) => {
    const s = await setup(t);
    const full = encodeCheckpoint(GOOD);
    await writeFile(s.path, full.slice(0, 120));
    const loaded = await s.cp.load();
    assert.deepEqual(loaded.state, { allocations: [], cooling: [] });
    assert.ok(loaded.corrupt);
    assert.match(loaded.corrupt.reason, /^not valid JSON/);
    assert.equal(loaded.corrupt.keptAt, `${s.path}.corrupt-${STAMP}`);
    assert.equal(await readFile(loaded.corrupt.keptAt, 'utf8'), full.slice(0, 120));
    assert.equal(await readFile(s.path, 'utf8'), full.slice(0, 120), 'the original stays until a proven state replaces it');
    assert.deepEqual(s.reports, [loaded.corrupt]);
    const err = s.logs.find((l) => l.level === 'error')!;
    assert.match(err.message, /CHECKPOINT CORRUPT: .*ipam\.json \(not valid JSON.*original kept at .*corrupt-2026-01-02T03-04-05-006Z/);
    assert.equal(err.meta?.code, 'IPAMD_DATASTORE_CHECKPOINT_CORRUPT');
    // A second start before anything was rewritten keeps a second copy rather than overwrite the first.
    const again = await s.cp.load();
    assert.equal(again.corrupt?.keptAt, `${s.path}.corrupt-${STAMP}-1`);
  });

  test('a partly bad file keeps the well-formed entries and names every bad field', async (t) => {
    const s = await setup(t);
    const raw = {
      version: 1,
      // As the file spells them (allocationToDisk), each bad in one field.
      allocations: [
        disk(alloc(1)),
        { ...disk(alloc(2)), ip: '10.0.0.999' },
        { ...disk(alloc(3)), key: { network: 'vpcwire', containerId: '', ifName: 'eth0' } },
        { ...disk(alloc(4)), ip: alloc(1).ip },
        { ...disk(alloc(1)), ip: '10.0.0.50' },
        { ...disk(alloc(5)), prefix: '10.0.9.0/28' },
        { ...disk(alloc(6)), deviceIndex: -1 },
        'nonsense',
        disk(alloc(7)),
      ],
      cooling: [{ ip: '10.0.0.40', until: T0 }, { ip: '10.0.0.40', until: T0 + 5 }, { ip: alloc(7).ip, until: T0 }, { ip: 'x', until: 1 }],
    };
    await writeFile(s.path, JSON.stringify(raw));
    const loaded = await s.cp.load();
    assert.deepEqual(loaded.state.allocations.map((a) => a.key.containerId), ['c1', 'c7']);
    assert.deepEqual(loaded.state.cooling, [{ ip: '10.0.0.40', until: T0 + 5 }]);
    assert.deepEqual(loaded.corrupt?.problems, [
      'allocations[1].ip: expected a canonical IPv4 address, got "10.0.0.999"',
      'allocations[2].key.containerId: expected a non-empty string, got ""',
      'allocations[3]: address 10.0.0.11 of vpcwire/c4/eth0 is also held by allocations[0]; kept the first',
      'allocations[4]: duplicate key vpcwire/c1/eth0 (first at allocations[0]); kept the first',
      'allocations[5].prefix: expected a /28 containing 10.0.0.15, got "10.0.9.0/28"',
      'allocations[6].deviceIndex: expected a non-negative integer, got -1',
      'allocations[7]: expected an object, got "nonsense"',
      'cooling[2]: 10.0.0.17 is also allocated; the allocation is kept',
      'cooling[3].ip: expected a canonical IPv4 address, got "x"',
    ]);
    assert.equal(loaded.corrupt?.reason, '9 invalid entries');
    assert.deepEqual(loaded.corrupt?.salvaged, { allocations: 2, cooling: 1 });
    assert.ok((await s.files()).includes(`ipam.json.corrupt-${STAMP}`));
  });

  test('a wrong version or top level proves nothing and says why', () => {
    assert.equal(decodeCheckpoint('{"version":2,"allocations":[],"cooling":[]}').fatal, 'version: 2, this ipamd reads version 1 only');
    assert.equal(decodeCheckpoint('{"allocations":[]}').fatal, 'version: missing, this ipamd reads version 1 only');
    assert.equal(decodeCheckpoint('[]').fatal, 'checkpoint: expected an object, got an array of 0');
    assert.equal(decodeCheckpoint('').fatal?.startsWith('not valid JSON'), true);
    assert.deepEqual(decodeCheckpoint('{"version":1,"allocations":{},"cooling":[]}').problems, [
      'allocations: expected an array, got object; no allocation could be read',
    ]);
  });

  test('an unreadable checkpoint is moved aside and reported', async (t) => {
    const s = await setup(t);
    await mkdir(s.path); // EISDIR: cannot be read (as root, permissions would not stop us)
    await writeFile(join(s.path, 'inside'), 'evidence');
    const loaded = await s.cp.load();
    assert.match(loaded.corrupt!.reason, /^unreadable: .*EISDIR/);
    assert.equal(await readFile(join(loaded.corrupt!.keptAt, 'inside'), 'utf8'), 'evidence');
    await s.cp.write(GOOD);
    assert.deepEqual((await s.cp.load()).state, GOOD);
  });

  test('a corrupt checkpoint that cannot be preserved stops the load instead of being overwritten', async (t) => {
    const s = await setup(t);
    await writeFile(s.path, '{"version":1,');
    for (let n = 0; n <= 100; n++) await writeFile(`${s.path}.corrupt-${STAMP}${n === 0 ? '' : `-${n}`}`, '');
    await assert.rejects(s.cp.load(), (e: Error) => isDatastoreError(e, 'IPAMD_DATASTORE_CHECKPOINT_CORRUPT') && /refusing to continue/.test(e.message));
    assert.equal(await readFile(s.path, 'utf8'), '{"version":1,');
  });
});
