/**
 * A full disk under the address history, for real (a tiny tmpfs: ENOSPC and short writes), and
 * space coming back: every record is answerable afterwards, no empty file is left per failed
 * batch, pruning never deletes the real history because such files crowded it out, and a write
 * that came back short is a failure (its lines retried, the torn tail a line of its own).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { heldAt } from '../../ipamd/history/query.ts';
import { historyFileName, readHistory } from '../../ipamd/history/reader.ts';
import { key, node, pod, T0 } from './helpers.ts';
import { tinyTmpfs } from './tmpfs.ts';

const holders = async (dir: string, ip: string, t: number) => heldAt((await readHistory(dir, { ip })).records, t).map((a) => a.record.name);
const sizes = (dir: string) => readdirSync(dir).map((f) => statSync(join(dir, f)).size);

describe('address history: a full disk', () => {
  test('many batches while full, then space back: one file goes on, no empty files, nothing lost', async (t) => {
    const fs = tinyTmpfs(t);
    if (!fs) return;
    const n = await node(t, { historyDir: join(fs.path, 'history'), limits: { maxFiles: 3 }, cooldownMs: 0 });
    fs.beforeUnmount(() => n.journal.close());
    const held = await n.ds.assign(key(0), pod(0));
    const starts = new Map<number, { ip: string; at: number }>();
    const lifecycle = async (i: number) => {
      n.clock.t += 1000;
      starts.set(i, { ip: (await n.ds.assign(key(i), pod(i))).ip, at: n.clock.t });
      n.clock.t += 1000;
      await n.ds.release(key(i));
    };
    for (let i = 1; i <= 3; i++) await lifecycle(i);
    const giveBack = fs.fill();
    for (let i = 4; i <= 30; i++) await lifecycle(i);
    assert.ok(n.journal.stats().writeFailures >= 1, 'the full disk was noticed');
    assert.ok(n.journal.stats().pending >= 1, 'the lines wait in memory');
    assert.deepEqual(sizes(n.historyDir).filter((s) => s === 0), [], 'no empty file per failed batch');
    assert.equal(readdirSync(n.historyDir).length, 1, 'while full, the same file is retried; no new one per batch');

    giveBack();
    await lifecycle(31);
    assert.equal(n.journal.stats().pending, 0, 'all written once there was space');
    assert.deepEqual(sizes(n.historyDir).filter((s) => s === 0), []);
    for (const [i, s] of starts) assert.deepEqual(await holders(n.historyDir, s.ip, s.at), [`pod-${i}`], `pod-${i} at its start`);
    assert.deepEqual(await holders(n.historyDir, held.ip, n.clock.t), ['pod-0'], 'the holding open throughout');
    assert.deepEqual(await holders(n.historyDir, held.ip, T0), ['pod-0'], 'from its start');
  });

  test('a write that comes back short is a failure: counted, its lines retried, the torn tail never glued to the next line', async (t) => {
    const fs = tinyTmpfs(t);
    if (!fs) return;
    const n = await node(t, { historyDir: join(fs.path, 'history'), cooldownMs: 0 });
    fs.beforeUnmount(() => n.journal.close());
    const file = () => join(n.historyDir, readdirSync(n.historyDir)[0]!);
    const page = 4096;
    // Leave a few hundred bytes free in the file's last page: the next appends fit, then one is cut.
    let i = 0;
    while (statSync(file()).size % page < 200 || statSync(file()).size % page > 3000) {
      await n.ds.assign(key(++i), pod(i));
      await n.ds.release(key(i));
    }
    const giveBack = fs.fill();
    const answered = new Map<string, { ip: string; at: number }>();
    // One batch at a time (an ADD, then its DEL) until one fails; each counted as written ends whole.
    for (let step = 0; n.journal.stats().writeFailures === 0; step++) {
      assert.ok(step < 200, 'the disk never filled');
      n.clock.t += 1000;
      if (step % 2 === 0) {
        const a = await n.ds.assign(key(++i), pod(i));
        answered.set(`pod-${i}`, { ip: a.ip, at: n.clock.t });
      } else await n.ds.release(key(i));
      if (n.journal.stats().writeFailures === 0) assert.ok(readFileSync(file(), 'utf8').endsWith('\n'), 'a batch counted as written ends with a whole line');
    }
    assert.equal(statSync(file()).size % page, 0, 'the failing write was short (it filled the page), not refused');
    assert.match(n.journal.stats().lastError ?? '', /short write/);
    assert.ok(n.journal.stats().pending >= 1, 'what was not written waits');

    giveBack();
    n.clock.t += 1000;
    await n.ds.assign(key(++i), pod(i));
    assert.equal(n.journal.stats().pending, 0);
    const read = await readHistory(n.historyDir);
    assert.equal(read.problems.length, 1, 'the torn tail, a line of its own');
    assert.equal(read.problems[0]!.torn, false);
    for (const [name, s] of answered) assert.deepEqual(await holders(n.historyDir, s.ip, s.at), [name], name);
  });
});

describe('address history: pruning', () => {
  test('empty files (a crash before the snapshot, an older vpcwire on a full disk) never push the history out', async (t) => {
    const n = await node(t, { limits: { maxFiles: 3, maxFileBytes: 1_500 }, cooldownMs: 0 });
    const first = await n.ds.assign(key(1), pod(1));
    n.clock.t += 1000;
    await n.ds.release(key(1));
    for (let i = 2; readdirSync(n.historyDir).length < 2; i++) {
      n.clock.t += 1000;
      await n.ds.assign(key(i), pod(i));
      await n.ds.release(key(i));
    }
    const real = readdirSync(n.historyDir);
    await n.journal.close();
    for (let k = 1; k <= 5; k++) writeFileSync(join(n.historyDir, historyFileName(n.clock.t + k)), '', { mode: 0o600 });
    n.clock.t += 60_000;
    await n.restart(); // the newest file is empty: a new file, then pruning
    const after = readdirSync(n.historyDir);
    assert.deepEqual(sizes(n.historyDir).filter((s) => s === 0), [], 'the empty files went');
    for (const f of real) assert.ok(after.includes(f), `${f} kept (files: ${after.join(', ')})`);
    assert.deepEqual(await holders(n.historyDir, first.ip, T0), ['pod-1'], 'the oldest record still answers');
  });
});
