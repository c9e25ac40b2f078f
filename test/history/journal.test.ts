/**
 * The address history at the datastore's edge (issue 13 items 1-3): real checkpoint and history
 * files, a clock the test moves. Records are durable when the call resolves; a failed checkpoint
 * write leaves no answer; an unwritable directory fails no pod and loses no record once it can be
 * written again; rotation and the age limit never lose who holds an address now; a torn last line
 * is skipped and reported; start-up closes what is gone and opens what has no record.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { heldAt } from '../../ipamd/history/query.ts';
import { readHistory } from '../../ipamd/history/reader.ts';
import { key, node, pod, T0 } from './helpers.ts';

const holders = async (dir: string, ip: string, t: number) =>
  heldAt((await readHistory(dir, { ip })).records, t).map((a) => `${a.record.name}${a.certainty === 'possibly' ? '?' : ''}`);

describe('address history: recording', () => {
  test('ADD and DEL are on disk when the call resolves; files 0600 in a 0700 directory', async (t) => {
    const n = await node(t);
    const a = await n.ds.assign(key(1), pod(1), { hostVeth: 'eniaaaa' });
    const text = readFileSync(join(n.historyDir, readdirSync(n.historyDir).at(-1)!), 'utf8');
    assert.match(text, new RegExp(`"e":"start","ip":"${a.ip.replaceAll('.', '\\.')}","at":${T0},"how":"add","namespace":"default","name":"pod-1","uid":"uid-1"`));
    assert.match(text, /"containerId":"c0+1","ifName":"eth0","eniId":"eni-0","hostVeth":"eniaaaa"/);
    n.clock.t += 5000;
    await n.ds.release(key(1));
    const r = (await readHistory(n.historyDir, { ip: a.ip })).records;
    assert.deepEqual(r.map((x) => [x.name, x.at, x.end, x.endHow]), [['pod-1', T0, T0 + 5000, 'del']]);
    assert.equal(statSync(n.historyDir).mode & 0o777, 0o700);
    for (const f of readdirSync(n.historyDir)) assert.equal(statSync(join(n.historyDir, f)).mode & 0o777, 0o600, f);
  });

  test('at the instant one pod released an address and another took it, the answer is the new pod; [start, end)', async (t) => {
    const n = await node(t, { cooldownMs: 0 });
    const a = await n.ds.assign(key(1), pod(1));
    n.clock.t = T0 + 1000;
    // One batch: the DEL and the next ADD commit together at the same instant.
    const [, b] = await Promise.all([n.ds.release(key(1)), n.ds.assign(key(2), pod(2))]);
    assert.equal(b.ip, a.ip, 'the chooser handed the same address on (cooldown 0)');
    assert.deepEqual(await holders(n.historyDir, a.ip, T0 - 1), [], 'before the first start: nobody');
    assert.deepEqual(await holders(n.historyDir, a.ip, T0), ['pod-1'], 'exactly at the start: held');
    assert.deepEqual(await holders(n.historyDir, a.ip, T0 + 999), ['pod-1']);
    assert.deepEqual(await holders(n.historyDir, a.ip, T0 + 1000), ['pod-2'], 'exactly at the end: the new holder');
    n.clock.t = T0 + 2000;
    await n.ds.release(key(2));
    assert.deepEqual(await holders(n.historyDir, a.ip, T0 + 2000), [], 'exactly at the last end: nobody');
  });

  test('a failed checkpoint write fails the ADD and the history never answers with it', async (t) => {
    let fail = false;
    const writes: unknown[] = [];
    const n = await node(t, { checkpoint: { write: async (s) => { if (fail) throw new Error('disk full'); writes.push(s); } } });
    fail = true;
    await assert.rejects(n.ds.assign(key(1), pod(1)), /disk full/);
    assert.equal(n.ds.allocations().length, 0);
    fail = false;
    const a = await n.ds.assign(key(2), pod(2));
    const r = (await readHistory(n.historyDir, { ip: a.ip })).records;
    assert.deepEqual(r.map((x) => x.name), ['pod-2'], 'the aborted holding is no holding at all');
    assert.deepEqual(await holders(n.historyDir, a.ip, T0), ['pod-2']);
    // And a DEL whose write failed leaves the holding open, as the ledger still holds it.
    fail = true;
    n.clock.t += 10;
    await assert.rejects(n.ds.release(key(2)), /disk full/);
    assert.deepEqual(await holders(n.historyDir, a.ip, T0 + 1_000_000), ['pod-2']);
  });

  test('an unwritable directory fails no pod; the error is logged and counted; the records are written once it can be', async (t) => {
    const n0 = await node(t);
    const blocker = join(n0.dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const n = await node(t, { historyDir: join(blocker, 'history') });
    const a = await n.ds.assign(key(1), pod(1));
    assert.equal(n.ds.allocations().length, 1, 'the pod got its address');
    assert.ok(n.journal.stats().writeFailures >= 1);
    assert.ok(n.journal.stats().pending >= 1);
    assert.ok(n.errors.some((e) => /ADDRESS HISTORY NOT WRITTEN/.test(e)), n.errors.join('\n'));
    rmSync(blocker);
    mkdirSync(blocker);
    n.clock.t += 1000;
    const b = await n.ds.assign(key(2), pod(2));
    assert.equal(n.journal.stats().pending, 0);
    assert.deepEqual(await holders(n.historyDir, a.ip, T0 + 1), ['pod-1'], 'the record kept in memory was written');
    assert.deepEqual(await holders(n.historyDir, b.ip, T0 + 1000), ['pod-2']);
  });
});

describe('address history: restarts', () => {
  test('start-up closes holdings that are gone (between the last sign of life and now) and opens recovered ones', async (t) => {
    const n = await node(t);
    const a = await n.ds.assign(key(1), pod(1));
    const b = await n.ds.assign(key(2), pod(2));
    n.clock.t = T0 + 60_000;
    await n.journal.seen(n.clock.t, []); // the kernel audit saw both veths
    // ipamd restarts with pod-1 gone (its veth, say) and pod-3 in the checkpoint but not the history.
    n.clock.t = T0 + 600_000;
    const c = { ...(n.ds.allocation(key(2)))!, key: key(3), pod: pod(3), allocatedAt: T0 + 30_000, ip: a.ip };
    await n.restart({ allocations: [n.ds.allocation(key(2))!, c], cooling: [] });
    const ra = (await readHistory(n.historyDir, { ip: a.ip })).records;
    assert.deepEqual(
      ra.map((x) => [x.name, x.how, x.at, x.end, x.endHow, x.notBefore]),
      [['pod-1', 'add', T0, T0 + 600_000, 'restart-gone', T0 + 60_000], ['pod-3', 'recovered-checkpoint', T0 + 30_000, undefined, undefined, undefined]],
    );
    // The checkpoint and the history disagreed (pod-3 from T0+30 s): both answers are given, newest first.
    assert.deepEqual(await holders(n.historyDir, a.ip, T0 + 59_999), ['pod-3', 'pod-1']);
    assert.deepEqual(await holders(n.historyDir, a.ip, T0 + 60_000), ['pod-3', 'pod-1?'], 'after the last sign of life: possibly');
    assert.deepEqual(await holders(n.historyDir, a.ip, T0 + 600_000), ['pod-3'], 'from when ipamd found out: not');
    assert.deepEqual(await holders(n.historyDir, b.ip, T0 + 600_001), ['pod-2'], 'a holding still in the ledger stays open, not duplicated');
    assert.equal((await readHistory(n.historyDir, { ip: b.ip })).records.length, 1);
  });

  test('a torn last line is skipped and reported, never fatal; ipamd carries on in a new file', async (t) => {
    const n = await node(t);
    const a = await n.ds.assign(key(1), pod(1));
    // A clean restart goes on in the same file: a crash-looping ipamd does not rotate its past away.
    await n.restart();
    assert.equal(readdirSync(n.historyDir).length, 1);
    const file = join(n.historyDir, readdirSync(n.historyDir).at(-1)!);
    appendFileSync(file, '{"v":1,"e":"start","ip":"10.0.3.8","at":17');
    const read = await readHistory(n.historyDir);
    assert.equal(read.problems.length, 1);
    assert.equal(read.problems[0]!.torn, true);
    n.clock.t += 1000;
    await n.restart();
    const b = await n.ds.assign(key(2), pod(2));
    assert.deepEqual(await holders(n.historyDir, a.ip, n.clock.t), ['pod-1']);
    assert.deepEqual(await holders(n.historyDir, b.ip, n.clock.t), ['pod-2']);
    assert.equal((await readHistory(n.historyDir)).problems.length, 1, 'the torn line stays where it was, reported');
    assert.equal(readdirSync(n.historyDir).length, 2, 'after a torn line, a new file');
  });
});

describe('address history: limits', () => {
  test('rotation by size keeps at most MAX_FILES files; the oldest go, yet a still-open holding is answered', async (t) => {
    const n = await node(t, { limits: { maxFileBytes: 2_000, maxFiles: 3 }, cooldownMs: 0 });
    const held = await n.ds.assign(key(0), pod(0));
    for (let i = 1; i <= 40; i++) {
      n.clock.t += 1000;
      await n.ds.assign(key(i), pod(i));
      n.clock.t += 1000;
      await n.ds.release(key(i));
    }
    const files = readdirSync(n.historyDir);
    assert.ok(files.length <= 3, `${files.length} files: ${files.join(', ')}`);
    assert.doesNotMatch(readdirSync(n.historyDir).map((f) => readFileSync(join(n.historyDir, f), 'utf8')).join(''), /"name":"pod-1"/, 'the oldest records are gone');
    assert.deepEqual(await holders(n.historyDir, held.ip, n.clock.t), ['pod-0'], 'the open holding is in every new file');
    // ipamd's start reads from the newest whole snapshot on, not the whole history.
    writeFileSync(join(n.historyDir, readdirSync(n.historyDir)[0]!), 'garbage\n');
    assert.equal((await readHistory(n.historyDir)).problems.length, 1);
    assert.equal((await readHistory(n.historyDir, { openOnly: true })).problems.length, 0, 'the old file was not read');
    assert.deepEqual((await readHistory(n.historyDir, { openOnly: true })).records.map((r) => r.name), ['pod-0']);
    // Deleting every file but the newest still answers who holds it now, from when.
    for (const f of readdirSync(n.historyDir).slice(0, -1)) rmSync(join(n.historyDir, f));
    const r = (await readHistory(n.historyDir, { ip: held.ip })).records;
    assert.deepEqual(r.map((x) => [x.name, x.at, x.end]), [['pod-0', T0, undefined]]);
  });

  test('the age limit removes files whose every record is older than it', async (t) => {
    const day = 86_400_000;
    const n = await node(t, { limits: { maxAgeMs: 4 * day } });
    const held = await n.ds.assign(key(0), pod(0));
    const old = await n.ds.assign(key(1), pod(1));
    n.clock.t += 1000;
    await n.ds.release(key(1));
    // Files rotate every maxAge / 4; after 5 days of quiet churn the first day's file is gone.
    for (let d = 1; d <= 5; d++) {
      n.clock.t = T0 + d * day + 1;
      await n.ds.assign(key(10 + d), pod(10 + d));
      await n.ds.release(key(10 + d));
    }
    assert.deepEqual(await holders(n.historyDir, old.ip, T0 + 500), [], 'pod-1 (ended 5 days ago) aged out');
    assert.deepEqual(await holders(n.historyDir, held.ip, T0 + 500), ['pod-0'], 'pod-0 still holds it, from its start');
    assert.ok(readdirSync(n.historyDir).length <= 5);
  });
});
