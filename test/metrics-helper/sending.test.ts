/**
 * The publisher's sends with its real parts (live.ts: the real API server, expositions over HTTP,
 * CloudWatch through the SDK to the emulator): a period CloudWatch takes in part (its second
 * PutMetricData call throttled) is carried metric by metric, with no metric counted twice and no
 * pod first seen during the send losing its increments; a CloudWatch that never answers costs a
 * bounded time per send and skipped periods (logged), and SIGTERM stops the process within its
 * grace, the period given up then sent by the next publisher.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SHUTDOWN_GRACE_MS } from '../../metrics-helper/publisher.ts';
import { startPublisher } from './harness.ts';
import { COUNTERS, figures, laterStart as start, useLiveBed } from './live.ts';

const bed = useLiveBed();

test('a period CloudWatch takes in part: no metric counted twice, and a pod first seen during the send loses nothing', { timeout: 120_000 }, async (t) => {
  // 67 nodes with per-node series: 19 metrics of 68 datums, more than one call's 1,000.
  const s = start();
  const srv = await bed().serve('127.0.0.2', figures(2, s));
  const nodes = Array.from({ length: 67 }, (_, i) => `n${i}`);
  for (const n of nodes) await bed().pod(n, '127.0.0.2');
  const p = await bed().publisher({ clusterId: 'partial', nodeDimension: true });
  t.after(() => p.close());
  await p.pub.scrapeOnce();

  // CloudWatch takes the first call and throttles the rest (a bucket of one); the first call is
  // slow, and meanwhile a new pod appears and every ipamd counts on.
  const { sim } = bed().tb;
  sim.throttle.configure({ enabled: true, buckets: { PutMetricData: { capacity: 1, refillPerSecond: 0.0001 } } });
  sim.faults.setLatency('PutMetricData', { fixedMs: 1500 });
  await bed().pod('late', '127.0.0.2');
  srv.text = figures(5, s);
  const sending = p.pub.publishOnce();
  const during = await p.pub.scrapeOnce();
  assert.equal(during.scraped, 68, 'scraped while the first call was in flight');
  sim.faults.clearLatency('PutMetricData');
  assert.equal(await sending, false, 'refused in part');
  const [refused] = p.logged('error', /PutMetricData failed/);
  assert.ok((refused?.accepted as number) > 0 && (refused?.accepted as number) < (refused?.of as number), JSON.stringify(refused));

  sim.throttle.configure({ enabled: false });
  await p.pub.scrapeOnce();
  assert.equal(await p.pub.publishOnce(), true);

  // Each counter's true increase: 68 ipamds at 5, on the cluster's series and on each node's.
  assert.deepEqual(await bed().read('partial', COUNTERS), Object.fromEntries(COUNTERS.map((n) => [n, 68 * 5])));
  for (const node of ['n0', 'n66', 'late']) assert.deepEqual(await bed().read('partial', COUNTERS, { node }), Object.fromEntries(COUNTERS.map((n) => [n, 5])), node);
});

/** A CloudWatch endpoint that accepts connections and never answers. */
async function blackHole(t: { after(fn: () => void): void }): Promise<string> {
  const sockets: Socket[] = [];
  const hole = createServer((c) => void sockets.push(c));
  await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => {
    for (const c of sockets) c.destroy();
    hole.close();
  });
  return `http://127.0.0.1:${(hole.address() as { port: number }).port}`;
}

test('a CloudWatch that never answers: each attempt times out, later periods are skipped with a warning, nothing is lost', { timeout: 60_000 }, async (t) => {
  const s = start();
  const srv = await bed().serve('127.0.0.2', figures(2, s));
  await bed().pod('node-a', '127.0.0.2');
  const endpoint = await blackHole(t);
  const p = await bed().publisher({ clusterId: 'hung', endpoint, sender: { connectionTimeoutMs: 500, requestTimeoutMs: 500, retry: { attempts: 1, baseMs: 0, maxMs: 0, sleep: async () => undefined } } });
  t.after(() => p.close());
  await p.pub.scrapeOnce();
  const began = Date.now();
  const sending = p.pub.publishOnce();
  await sleep(100);
  const second = await p.pub.publishOnce();
  assert.equal(await Promise.race([sending, sleep(10_000).then(() => 'still waiting after 10 s')]), false);
  const tookMs = Date.now() - began;
  assert.ok(tookMs < 10_000, `the SDK's 3 attempts of 500 ms each and its backoff, not forever: ${tookMs} ms`);
  assert.match(String(p.logged('error', /PutMetricData failed/)[0]?.error), /TimeoutError/);
  assert.equal(second, false);
  assert.equal(p.logged('warn', /period skipped: the previous send is still in flight/).length, 1);
  // A publisher that reaches CloudWatch continues from the stored baselines: the unsent period goes out.
  srv.text = figures(4, s);
  const next = await bed().publisher({ clusterId: 'hung' });
  t.after(() => next.close());
  await next.pub.scrapeOnce();
  assert.equal(await next.pub.publishOnce(), true);
  assert.deepEqual(await bed().read('hung', ['addReqCount']), { addReqCount: 4 });
});

test('SIGTERM during a send that does not end: the process gives it up after its grace and exits 0; the next publisher sends that period', { timeout: 90_000 }, async (t) => {
  const s = start();
  await bed().serve('127.0.0.2', figures(7, s));
  await bed().pod('node-a', '127.0.0.2');
  const endpoint = await blackHole(t);
  const fast = { SCRAPE_INTERVAL: '200ms', PUBLISH_INTERVAL: '400ms', LOG_LEVEL: 'debug' };
  const stuck = startPublisher(bed().processEnv('sigterm', { ...fast, AWS_CLOUDWATCH_ENDPOINT: endpoint }));
  t.after(() => stuck.kill());
  await stuck.waitFor((l) => l.msg === 'scraped' && l.scraped === 1, { what: 'a scrape' });
  await sleep(1500); // a send began 400 ms in and hangs; later periods find it in flight
  const sent = Date.now();
  const exit = await Promise.race([stuck.kill('SIGTERM'), sleep(SHUTDOWN_GRACE_MS + 5_000).then(() => 'still running')]);
  const tookMs = Date.now() - sent;
  assert.equal(exit, 0, stuck.stderr);
  assert.ok(tookMs >= SHUTDOWN_GRACE_MS - 500 && tookMs < SHUTDOWN_GRACE_MS + 4_000, `stopped within the grace: ${tookMs} ms`);
  assert.ok(stuck.lines.some((l) => l.level === 'warn' && l.msg.startsWith('period skipped: the previous send is still in flight')), 'said periods were skipped');
  assert.ok(stuck.lines.some((l) => l.level === 'warn' && l.msg.startsWith('gave up the send in flight')), 'said it gave the send up');

  // The next publisher (CloudWatch answering) sends what the stuck one never recorded as sent.
  const next = startPublisher(bed().processEnv('sigterm', fast));
  t.after(() => next.kill());
  await next.waitFor((l) => l.msg === 'published', { what: 'a period' });
  assert.equal(await next.kill('SIGTERM'), 0, next.stderr);
  assert.deepEqual(await bed().read('sigterm', ['addReqCount', 'delReqCount']), { addReqCount: 7, delReqCount: 7 });
});
