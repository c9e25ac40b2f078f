/**
 * A history query must not hurt ipamd, whose job is ADD and DEL: `/v1/history` answers one query
 * at a time (another meanwhile: 503 with Retry-After, at once), and the reader goes through the
 * files a chunk at a time, so the event loop turns throughout a long query instead of stalling
 * for a whole file. The chunked reader still reads every line as it is: lines across chunks, a
 * snapshot larger than a chunk, UTF-8 across chunks, a torn last line and its line number.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { test } from 'node:test';
import { serveIntrospection } from '../../ipamd/introspect/server.ts';
import { silentLogger } from '../../ipamd/logger.ts';
import { encodeLine, type Holding } from '../../ipamd/history/record.ts';
import { historyFileName, readHistory } from '../../ipamd/history/reader.ts';
import { historyRoute } from '../../ipamd/history/route.ts';
import { systemTimers } from '../../ipamd/timers.ts';
import { writeRealisticHistory } from './big-history.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-history-load-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('/v1/history: one query at a time; another meanwhile is 503 with Retry-After, then it answers again', async (t) => {
  const dir = tempDir(t);
  writeRealisticHistory(dir, 20_000);
  const route = historyRoute({ dir });
  const q = new URLSearchParams({ ip: '10.0.0.77' });
  const first = route(q);
  const second = await route(q); // the first is still reading
  assert.equal(second.status, 503);
  assert.deepEqual(second.headers, { 'retry-after': '1' });
  assert.match((second.body as { error: string }).error, /another address history query is running \(one at a time\); retry in 1 s/);
  assert.equal((second.body as { busy: boolean }).busy, true);
  assert.equal((await route(new URLSearchParams({ ip: 'x' }))).status, 400, 'a bad query is still told so');
  const done = await first;
  assert.equal(done.status, 200);
  assert.ok((done.body as { holdings: unknown[] }).holdings.length > 10);
  assert.equal((await route(q)).status, 200, 'once it is done, the next query runs');
  const off = await historyRoute({ dir: undefined })(q);
  assert.equal(off.headers, undefined, 'the history off is no Retry-After');

  // Over HTTP the header reaches the caller.
  const server = serveIntrospection({ listen: { kind: 'tcp', host: '127.0.0.1', port: 0 }, routes: { '/v1/history': route }, logger: silentLogger(), timers: systemTimers });
  t.after(() => server.close());
  const address = await server.listening;
  const [a, b] = await Promise.all([fetch(`http://${address}/v1/history?ip=10.0.0.77`), fetch(`http://${address}/v1/history?ip=10.0.0.77`)]);
  const statuses = [a.status, b.status].sort();
  assert.ok(statuses[0] === 200, `one answered: ${statuses.join(', ')}`);
  const busy = [a, b].find((r) => r.status === 503);
  if (busy) assert.equal(busy.headers.get('retry-after'), '1');
  await Promise.all([a.text(), b.text()]);
});

test('a long query lets the event loop turn: no stall near the length of a file', async (t) => {
  const dir = tempDir(t);
  const { bytes } = writeRealisticHistory(dir, 80_000); // ~20 MB, one file
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  const read = await readHistory(dir, { ip: '10.0.0.77' });
  const total = performance.now() - t0;
  h.disable();
  const stall = h.max / 1e6;
  assert.ok(read.records.length > 100);
  // Whole-file reading stalled for most of the query (the split and scan of ~20 MB at once).
  assert.ok(stall < total / 3, `longest stall ${stall.toFixed(1)} ms of a ${total.toFixed(1)} ms query over ${(bytes / 2 ** 20).toFixed(1)} MiB`);
});

test('chunked reading: a snapshot larger than a chunk, lines and UTF-8 across chunks, a torn last line numbered', async (t) => {
  const dir = tempDir(t);
  const T = Date.UTC(2026, 11, 2);
  const h = (i: number): Holding => ({
    ip: `10.1.${i >> 8}.${i & 255}`, at: T, how: 'add', namespace: 'café', name: `pød-${i}-🚀`, uid: `u${i}`,
    network: 'vpcwire', containerId: 'c'.repeat(64), ifName: 'eth0', eniId: 'eni-0', hostVeth: `eni${i}`,
  });
  const open = Array.from({ length: 1200 }, (_, i) => h(i)); // ~400 KB: more than one chunk
  const lines = [encodeLine({ e: 'snapshot', at: T, open })];
  for (let i = 0; i < 3000; i++) lines.push(encodeLine({ e: 'end', ip: h(i % 1200).ip, since: T, containerId: 'c'.repeat(64), at: T + 1 + i, how: 'del' }));
  writeFileSync(join(dir, historyFileName(T)), `${lines.join('')}{"v":1,"e":"start","ip":"10.1.0.7","at":1`);
  const all = await readHistory(dir);
  assert.equal(all.records.length, 1200);
  assert.ok(all.records.every((r) => r.end !== undefined && r.endHow === 'del'), 'every end found its holding');
  assert.deepEqual(all.records.find((r) => r.ip === '10.1.4.175')!.name, 'pød-1199-🚀');
  assert.deepEqual(all.problems.map((p) => [p.line, p.torn]), [[3002, true]]);
  const one = await readHistory(dir, { ip: '10.1.0.7' });
  assert.deepEqual(one.records.map((r) => [r.name, r.end]), [['pød-7-🚀', T + 1 + 7]]);
  assert.deepEqual(one.problems.map((p) => [p.line, p.torn]), [[3002, true]], 'the last line is decoded whatever it names');
});
