/**
 * The publisher's sends with its real parts (live.ts: the real API server, expositions over HTTP,
 * CloudWatch through the SDK to the emulator): a period CloudWatch takes in part (its second
 * PutMetricData call throttled) is carried metric by metric, with no metric counted twice and no
 * pod first seen during the send losing its increments.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { PUBLISHED_METRICS } from '../../metrics-helper/catalog.ts';
import { catalogExposition } from './exposition-text.ts';
import { type LiveBed, startLiveBed } from './live.ts';

const COUNTERS = PUBLISHED_METRICS.filter((m) => m.aggregation === 'counter').map((m) => m.name);
const start = () => Math.floor(Date.now() / 1000) + 60;
const figures = (counter: number, processStart: number) => catalogExposition({ gauge: 3, counter, processStart });

let bed: LiveBed;
before(async () => {
  bed = await startLiveBed();
});
after(async () => {
  await bed?.stop();
});
beforeEach(async () => {
  await bed.reset();
});

test('a period CloudWatch takes in part: no metric counted twice, and a pod first seen during the send loses nothing', { timeout: 120_000 }, async (t) => {
  // 67 nodes with per-node series: 19 metrics of 68 datums, more than one call's 1,000.
  const s = start();
  const srv = await bed.serve('127.0.0.2', figures(2, s));
  const nodes = Array.from({ length: 67 }, (_, i) => `n${i}`);
  for (const n of nodes) await bed.pod(n, '127.0.0.2');
  const p = await bed.publisher({ clusterId: 'partial', nodeDimension: true });
  t.after(() => p.close());
  await p.pub.scrapeOnce();

  // CloudWatch takes the first call and throttles the rest (a bucket of one); the first call is
  // slow, and meanwhile a new pod appears and every ipamd counts on.
  const { sim } = bed.tb;
  sim.throttle.configure({ enabled: true, buckets: { PutMetricData: { capacity: 1, refillPerSecond: 0.0001 } } });
  sim.faults.setLatency('PutMetricData', { fixedMs: 1500 });
  await bed.pod('late', '127.0.0.2');
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
  assert.deepEqual(await bed.read('partial', COUNTERS), Object.fromEntries(COUNTERS.map((n) => [n, 68 * 5])));
  for (const node of ['n0', 'n66', 'late']) assert.deepEqual(await bed.read('partial', COUNTERS, { node }), Object.fromEntries(COUNTERS.map((n) => [n, 5])), node);
});
