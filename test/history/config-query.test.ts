/**
 * The address history's configuration (errors name the variable) and the query rules shared by the
 * CLI and the route: RFC 3339 times, and the boundaries of holdings whose ends are uncertain.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../ipamd/config.ts';
import { heldAt, parseAddress, parseTime } from '../../ipamd/history/query.ts';
import type { HistoryRecord } from '../../ipamd/history/reader.ts';

describe('history configuration', () => {
  test('defaults: on, beside the checkpoint, 16 x 16 MiB, 30 days', () => {
    const c = parseConfig({});
    assert.deepEqual(c.history, { dir: '/var/lib/vpcwire/history', maxFileBytes: 16 * 1024 * 1024, maxFiles: 16, maxAgeMs: 30 * 86_400_000 });
    assert.equal(parseConfig({ VPCWIRE_CHECKPOINT: '/tmp/x/ipam.json' }).history!.dir, '/tmp/x/history');
    assert.equal(parseConfig({ VPCWIRE_HISTORY_DIR: '/data/h', VPCWIRE_CHECKPOINT: '/tmp/x/ipam.json' }).history!.dir, '/data/h');
    assert.equal(parseConfig({ VPCWIRE_HISTORY: 'false' }).history, undefined);
    const set = parseConfig({ VPCWIRE_HISTORY_MAX_SIZE_MB: '2', VPCWIRE_HISTORY_MAX_FILES: '5', VPCWIRE_HISTORY_MAX_AGE_DAYS: '7' }).history!;
    assert.deepEqual([set.maxFileBytes, set.maxFiles, set.maxAgeMs], [2 * 1024 * 1024, 5, 7 * 86_400_000]);
  });

  test('bad values stop ipamd naming the variable and the value', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ VPCWIRE_HISTORY: 'yes' }, /invalid VPCWIRE_HISTORY="yes": expected 'true' or 'false'/],
      [{ VPCWIRE_HISTORY_DIR: 'relative/dir' }, /invalid VPCWIRE_HISTORY_DIR="relative\/dir": expected an absolute path/],
      [{ VPCWIRE_HISTORY_MAX_SIZE_MB: '0' }, /invalid VPCWIRE_HISTORY_MAX_SIZE_MB="0": must be >= 1/],
      [{ VPCWIRE_HISTORY_MAX_SIZE_MB: '1.5' }, /invalid VPCWIRE_HISTORY_MAX_SIZE_MB="1.5": expected an integer/],
      [{ VPCWIRE_HISTORY_MAX_FILES: '1' }, /invalid VPCWIRE_HISTORY_MAX_FILES="1": must be >= 2/],
      [{ VPCWIRE_HISTORY_MAX_AGE_DAYS: 'forever' }, /invalid VPCWIRE_HISTORY_MAX_AGE_DAYS="forever": expected an integer/],
    ];
    for (const [env, re] of cases) assert.throws(() => parseConfig(env), re, JSON.stringify(env));
  });
});

describe('history queries', () => {
  test('times: RFC 3339 with offsets and fractions (milliseconds kept, finer cut), or now', () => {
    assert.equal(parseTime('2026-12-02T21:14:05Z'), Date.UTC(2026, 11, 2, 21, 14, 5));
    assert.equal(parseTime('2026-12-02t21:14:05.123456z'), Date.UTC(2026, 11, 2, 21, 14, 5, 123));
    assert.equal(parseTime('2026-12-02T23:14:05.5+02:00'), Date.UTC(2026, 11, 2, 21, 14, 5, 500));
    assert.equal(parseTime('now', () => 42), 42);
    for (const bad of ['2026-12-02', '2026-12-02T21:14:05', '2026-02-29T00:00:00Z', '2026-12-02T24:00:00Z', '2026-12-02T21:14:05+25:00', '1733174045']) {
      assert.throws(() => parseTime(bad), new RegExp(`invalid time ${JSON.stringify(bad).replace(/[+.]/g, '\\$&')}`), bad);
    }
    assert.throws(() => parseAddress('10.0.3'), /invalid address "10.0.3"/);
    assert.throws(() => parseAddress('010.0.3.7'), /invalid address "010.0.3.7"/);
  });

  test('a holding found gone at start-up: held before its last sign of life, possibly until ipamd found out', () => {
    const base = { ip: '10.0.3.7', namespace: 'd', uid: '', network: 'n', containerId: 'c', ifName: 'eth0', eniId: 'e', hostVeth: 'v' };
    const records: HistoryRecord[] = [
      { ...base, name: 'old', at: 100, how: 'add', end: 500, endHow: 'restart-gone', notBefore: 300 },
      { ...base, name: 'new', containerId: 'c2', at: 500, how: 'recovered-kernel' },
    ];
    const at = (t: number) => heldAt(records, t).map((a) => `${a.record.name}:${a.certainty}`);
    assert.deepEqual(at(99), []);
    assert.deepEqual(at(100), ['old:held']);
    assert.deepEqual(at(299), ['old:held']);
    assert.deepEqual(at(300), ['old:possibly']);
    assert.deepEqual(at(499), ['old:possibly']);
    assert.deepEqual(at(500), ['new:held']);
    assert.deepEqual(at(10_000), ['new:held']);
  });
});
