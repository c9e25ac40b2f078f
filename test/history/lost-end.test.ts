/**
 * An end line that never reached the files (the 50,000-line pending cap, a directory unreadable at
 * start-up, a write lost on a full disk) leaves a holding open in the history while ipamd knows it
 * ended. The next file's snapshot leaves it out: the reader closes it there, "somewhere between"
 * its last sign of life and the snapshot, so a query after it names only the real holder. An end
 * line written just after a snapshot (the batch that rotated) still gives the exact end.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runHistoryCommand } from '../../ipamd/history/cli.ts';
import { heldAt } from '../../ipamd/history/query.ts';
import { readHistory } from '../../ipamd/history/reader.ts';
import { key, node, pod, T0 } from './helpers.ts';

const DAY = 86_400_000;
const holders = async (dir: string, ip: string, t: number) =>
  heldAt((await readHistory(dir, { ip })).records, t).map((a) => `${a.record.name}${a.certainty === 'possibly' ? '?' : ''}`);

test('a lost end line: the next snapshot closes the holding; after it only the real holder answers', async (t) => {
  const n = await node(t, { cooldownMs: 0, limits: { maxAgeMs: 4 * DAY } });
  const a = await n.ds.assign(key(1), pod(1));
  n.clock.t = T0 + 60_000;
  await n.journal.seen(n.clock.t, []); // the kernel audit saw pod-1's veth
  n.clock.t = T0 + 120_000;
  await n.ds.release(key(1));
  // The end line never reached the file.
  const file = join(n.historyDir, readdirSync(n.historyDir)[0]!);
  const lines = readFileSync(file, 'utf8').split('\n');
  writeFileSync(file, lines.filter((l) => !l.includes('"e":"end"')).join('\n'));
  n.clock.t = T0 + 180_000;
  const b = await n.ds.assign(key(2), pod(2));
  assert.equal(b.ip, a.ip, 'the address handed on (cooldown 0)');
  // A day later (a quarter of the age limit) the next batch begins a new file with a snapshot.
  const rotated = T0 + DAY + 1;
  n.clock.t = rotated;
  await n.ds.assign(key(3), pod(3));
  assert.equal(readdirSync(n.historyDir).length, 2);

  assert.deepEqual(await holders(n.historyDir, a.ip, rotated + 1), ['pod-2'], 'after the snapshot: the real holder only');
  assert.deepEqual(await holders(n.historyDir, a.ip, T0 + 59_999), ['pod-1'], 'before its last sign of life: held');
  assert.deepEqual(await holders(n.historyDir, a.ip, T0 + 200_000), ['pod-2', 'pod-1?'], 'between: possibly');
  const r1 = (await readHistory(n.historyDir, { ip: a.ip })).records.find((r) => r.name === 'pod-1')!;
  assert.deepEqual([r1.end, r1.endHow, r1.notBefore], [rotated, 'snapshot-gone', T0 + 60_000]);

  let out = '';
  assert.equal(await runHistoryCommand([a.ip, '--dir', n.historyDir], { write: (s: string) => (out += s) }), 0);
  assert.match(out, /somewhere between 2026-12-02T21:01:00\.000Z and 2026-12-03T21:00:00\.001Z \(its end was not recorded; gone by the next file's snapshot\)\s+default\/pod-1/);
  // ipamd's start reads only from the newest snapshot: pod-1 is not open there either.
  assert.deepEqual((await readHistory(n.historyDir, { openOnly: true })).records.map((r) => r.name).sort(), ['pod-2', 'pod-3']);
});

test('an end written right after the snapshot (the batch that rotated) keeps its exact end', async (t) => {
  const n = await node(t, { cooldownMs: 0, limits: { maxAgeMs: 4 * DAY } });
  const a = await n.ds.assign(key(1), pod(1));
  const ended = T0 + DAY + 1;
  n.clock.t = ended;
  await n.ds.release(key(1)); // this batch rotates: the snapshot leaves pod-1 out, its end line follows
  assert.equal(readdirSync(n.historyDir).length, 2);
  const r = (await readHistory(n.historyDir, { ip: a.ip })).records;
  assert.deepEqual(r.map((x) => [x.name, x.end, x.endHow, x.notBefore]), [['pod-1', ended, 'del', undefined]]);
});
