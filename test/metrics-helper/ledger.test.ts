/**
 * The publisher's arithmetic (metrics-helper/ledger.ts, exposition.ts) on ipamd expositions:
 * gauges summed across nodes, latency the maximum of the nodes' period means, counters as deltas
 * through failed sends, ipamd restarts (counter resets), pods that go away, and a publisher that
 * restarts from the baselines it stored.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { PUBLISHED_METRICS } from '../../metrics-helper/catalog.ts';
import { readExposition } from '../../metrics-helper/exposition.ts';
import { type Datum, emptyLedgerState, Ledger, type LedgerState, type PodRef } from '../../metrics-helper/ledger.ts';
import { decodeState, encodeState } from '../../metrics-helper/state-codec.ts';
import { RECORDED } from '../bench/record-exposition.ts';
import { parseExposition, sumOf } from '../helpers/prometheus-text.ts';
import { exposition, type IpamdFigures } from './exposition-text.ts';

const pod = (n: number, o: Partial<PodRef> = {}): PodRef => ({ key: `kube-system/vpcwire-${n}`, uid: `uid-${n}`, node: `node-${n}`, restarts: 0, startedAt: undefined, ...o });

/** The test's clock (ms): each scrape cycle one second after the last; readings count for MAX_AGE. */
let now = 0;
const SCRAPE_MS = 1000;
const MAX_AGE = 2 * SCRAPE_MS;

/** One scrape cycle: pods with the figures their ipamd shows (undefined: it did not answer). */
function scrape(l: Ledger, pods: [PodRef, IpamdFigures | undefined][], at = (now += SCRAPE_MS)) {
  const readings = new Map(pods.filter(([, f]) => f).map(([p, f]) => [p.key, readExposition(exposition(f!), at)]));
  return l.observe(pods.map(([p]) => p), readings);
}

const close = (l: Ledger, perNode = false) => l.close({ perNode, now, maxAgeMs: MAX_AGE });

/** Closes and commits a period (as a successful send and store do); its totals by metric name. */
function period(l: Ledger, perNode = false): { totals: Record<string, number>; datums: readonly Datum[]; next: LedgerState } {
  const p = close(l, perNode);
  const next = l.commit(p);
  return { totals: totalsOf(p.datums), datums: p.datums, next };
}

function totalsOf(datums: readonly Datum[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const d of datums) if (d.node === undefined) totals[d.metric.name] = d.value;
  return totals;
}

/** What a new publisher process reads back from the ConfigMap. */
const stored = (s: LedgerState): LedgerState => decodeState(encodeState(s), 'test', 'baselines.json');

describe('reading an exposition', () => {
  test('label series add up per node; a summary gives its running sum and count; absent metrics stay absent', () => {
    const r = readExposition(exposition({ assigned: 7, dels: 5, latency: { sumMs: 300, count: 4 }, processStart: 1700000000.5 }), 42);
    assert.equal(r.values.assignIPAddresses, 7);
    assert.equal(r.values.totalAssignedIPv4sPerCidr, 7);
    assert.equal(r.values.delReqCount, 5);
    assert.equal(r.values['awsAPILatency.sum'], 300);
    assert.equal(r.values['awsAPILatency.count'], 4);
    assert.equal(r.values.eniAllocated, undefined);
    assert.equal(r.processStart, 1700000000.5);
    assert.equal(r.at, 42);
  });

  test("a recorded real ipamd scrape (250 pods): every published figure is the family's sum as another parser reads it", () => {
    const text = readFileSync(RECORDED, 'utf8');
    const families = parseExposition(text);
    const r = readExposition(text, 0);
    for (const m of PUBLISHED_METRICS) {
      if (m.aggregation === 'latency') {
        assert.equal(r.values[`${m.name}.sum`], sumOf(families, `${m.source}_sum`), m.name);
        assert.equal(r.values[`${m.name}.count`], sumOf(families, `${m.source}_count`), m.name);
        assert.ok(r.values[`${m.name}.count`]! > 0, `${m.name}: EC2 was called`);
      } else assert.equal(r.values[m.name], families.has(m.source) ? sumOf(families, m.source) : undefined, m.name);
    }
    assert.equal(r.values.assignIPAddresses, 240);
    assert.equal(r.values.addReqCount, 250);
    assert.equal(r.values.delReqCount, 10);
  });
});

describe('one period', () => {
  test('gauges are summed across nodes, the API latency is the largest of the nodes\' means, per-node series when asked', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [
      [pod(1), { assigned: 3, total: 10, enis: 2, latency: { sumMs: 100, count: 4 } }],
      [pod(2), { assigned: 5, total: 14, enis: 3, latency: { sumMs: 90, count: 1 } }],
    ]);
    const { totals, datums } = period(l, true);
    assert.equal(totals.assignIPAddresses, 8);
    assert.equal(totals.totalIPAddresses, 24);
    assert.equal(totals.eniAllocated, 5);
    assert.equal(totals.awsAPILatency, 90);
    const perNode = datums.filter((d) => d.metric.name === 'assignIPAddresses' && d.node).map((d) => [d.node, d.value]);
    assert.deepEqual(perNode.sort(), [['node-1', 3], ['node-2', 5]]);
  });

  test('a gauge of a pod that did not answer this cycle keeps its last reading; a pod no longer listed is gone', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { assigned: 3 }], [pod(2), { assigned: 5 }]]);
    scrape(l, [[pod(1), undefined], [pod(2), { assigned: 6 }]]);
    assert.equal(period(l).totals.assignIPAddresses, 9);
    scrape(l, [[pod(2), { assigned: 6 }]]);
    assert.equal(period(l).totals.assignIPAddresses, 6);
  });
});

describe('counters as deltas', () => {
  test('each period sends the increase since the last one, summed across nodes', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { adds: 4 }], [pod(2), { adds: 1 }]]);
    assert.equal(period(l).totals.addReqCount, 5);
    scrape(l, [[pod(1), { adds: 6 }], [pod(2), { adds: 1 }]]);
    scrape(l, [[pod(1), { adds: 7 }], [pod(2), { adds: 3 }]]);
    assert.equal(period(l).totals.addReqCount, 5);
    scrape(l, [[pod(1), { adds: 7 }], [pod(2), { adds: 3 }]]);
    assert.equal(period(l).totals.addReqCount, 0);
  });

  test('a period that was not sent is carried into the next one (close without commit)', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { adds: 2 }]]);
    assert.equal(close(l).datums.find((d) => d.metric.name === 'addReqCount')?.value, 2);
    scrape(l, [[pod(1), { adds: 5 }]]);
    assert.equal(period(l).totals.addReqCount, 5);
  });

  test('an ipamd restart (new restart count) is counted from 0, and the old run\'s last increments once', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { adds: 10 }]]);
    period(l);
    scrape(l, [[pod(1), { adds: 12 }]]); // +2, then ipamd restarts
    scrape(l, [[pod(1, { restarts: 1 }), { adds: 3 }]]);
    assert.equal(period(l).totals.addReqCount, 5);
    scrape(l, [[pod(1, { restarts: 1 }), { adds: 4 }]]);
    assert.equal(period(l).totals.addReqCount, 1);
    assert.equal(l.tracked, 1);
  });

  test('a counter that goes back with no visible restart is a reset too; a new process start time is a restart', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { adds: 10, processStart: 100 }]]);
    period(l);
    scrape(l, [[pod(1), { adds: 15, processStart: 100 }]]);
    scrape(l, [[pod(1), { adds: 20, processStart: 200 }]]); // restarted and already past 15: only the start time tells
    assert.equal(period(l).totals.addReqCount, 25);
    const l2 = new Ledger(emptyLedgerState(0));
    scrape(l2, [[pod(1), { adds: 10 }]]);
    period(l2);
    scrape(l2, [[pod(1), { adds: 2 }]]);
    assert.equal(period(l2).totals.addReqCount, 2);
    scrape(l2, [[pod(1), { adds: 6 }]]);
    assert.equal(period(l2).totals.addReqCount, 4);
  });

  test("a restart scraped before kubelet's restart count catches up is counted once, not again from 0", () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { adds: 10 }]]);
    period(l);
    scrape(l, [[pod(1), { adds: 3 }]]); // ipamd restarted; the Pod still says 0 restarts
    scrape(l, [[pod(1, { restarts: 1 }), { adds: 5 }]]); // kubelet caught up
    assert.equal(period(l).totals.addReqCount, 5);
    scrape(l, [[pod(1, { restarts: 1 }), { adds: 6 }]]);
    assert.equal(period(l).totals.addReqCount, 1);
    assert.equal(l.tracked, 1);
    // A second restart before the count catches up again still counts from 0.
    scrape(l, [[pod(1, { restarts: 2 }), { adds: 2 }]]);
    assert.equal(period(l).totals.addReqCount, 2);
  });

  test('a pod that goes away between periods has its last increments sent once', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { adds: 1 }], [pod(2), { adds: 1 }]]);
    period(l);
    scrape(l, [[pod(1), { adds: 2 }], [pod(2), { adds: 4 }]]);
    scrape(l, [[pod(1), { adds: 3 }]]);
    assert.equal(period(l).totals.addReqCount, 5);
    scrape(l, [[pod(1), { adds: 3 }]]);
    assert.equal(period(l).totals.addReqCount, 0);
    assert.equal(l.tracked, 1);
  });

  test('a period sent only in part moves the sent metrics on and carries the others, including a process gone since', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { adds: 1, dels: 1 }], [pod(2), { adds: 1, dels: 0 }]]);
    period(l);
    scrape(l, [[pod(1), { adds: 4, dels: 3 }], [pod(2), { adds: 2, dels: 2 }]]);
    scrape(l, [[pod(1), { adds: 5, dels: 3 }]]); // pod 2 goes away: its last reading is closed out this period
    const p = close(l);
    assert.equal(p.datums.find((d) => d.metric.name === 'addReqCount')!.value, 5);
    assert.equal(p.datums.find((d) => d.metric.name === 'delReqCount')!.value, 4);
    const kept = l.commit(p, new Set(['addReqCount'])); // delReqCount's call was refused
    scrape(l, [[pod(1), { adds: 6, dels: 4 }]]);
    const after = period(l);
    assert.equal(after.totals.addReqCount, 1, 'adds not sent again');
    assert.equal(after.totals.delReqCount, 5, "the refused dels, pod 2's among them, plus the new one");
    // And a restarted publisher reading the stored partial state agrees.
    const b = new Ledger(stored(kept));
    scrape(b, [[pod(1), { adds: 6, dels: 4 }]]);
    const again = period(b);
    assert.equal(again.totals.addReqCount, 1);
    assert.equal(again.totals.delReqCount, 3, "pod 1's refused and new dels (pod 2 is not read again)");
  });
});

describe('readings in order, and only fresh ones', () => {
  test('a reading older than the last one seen for its pod is dropped, not taken as a counter reset', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { adds: 2 }]]);
    period(l);
    const taken = (now += SCRAPE_MS);
    scrape(l, [[pod(1), { adds: 9 }]]);
    const late = scrape(l, [[pod(1), { adds: 5 }]], taken); // taken before the last one, arriving after it
    assert.deepEqual(late, { outOfOrder: ['kube-system/vpcwire-1'], wentBack: [] });
    assert.equal(period(l).totals.addReqCount, 7);
  });

  test('counters going back under an unchanged process start are ignored and reported; a new start is a restart', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { adds: 10, processStart: 100 }]]);
    period(l);
    assert.deepEqual(scrape(l, [[pod(1), { adds: 4, processStart: 100 }]]), { outOfOrder: [], wentBack: ['kube-system/vpcwire-1'] });
    assert.equal(period(l).totals.addReqCount, 0);
    scrape(l, [[pod(1), { adds: 12, processStart: 100 }]]);
    assert.equal(period(l).totals.addReqCount, 2);
    scrape(l, [[pod(1), { adds: 3, processStart: 200 }]]);
    assert.equal(period(l).totals.addReqCount, 3);
  });

  test('a pod with no fresh reading contributes nothing, keeps its baseline, and sends its increments once it answers', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { adds: 1, assigned: 3 }], [pod(2), { adds: 1, assigned: 4 }]]);
    period(l);
    scrape(l, [[pod(1), { adds: 2, assigned: 3 }], [pod(2), undefined]]);
    scrape(l, [[pod(1), { adds: 3, assigned: 3 }], [pod(2), undefined]]);
    scrape(l, [[pod(1), { adds: 4, assigned: 3 }], [pod(2), undefined]]); // pod 2's last reading: 3 s old, over MAX_AGE
    const p = close(l, true);
    assert.deepEqual([p.fresh, p.stale], [1, 1]);
    assert.deepEqual(totalsOf(p.datums).assignIPAddresses, 3);
    assert.deepEqual(totalsOf(p.datums).addReqCount, 3);
    assert.deepEqual(p.datums.filter((d) => d.node === 'node-2'), [], 'no datum for node 2');
    l.commit(p);
    scrape(l, [[pod(1), { adds: 4, assigned: 3 }], [pod(2), { adds: 6, assigned: 4 }]]);
    assert.equal(period(l).totals.addReqCount, 5, "pod 2's increments while silent");
  });

  test('with no fresh reading at all the period is empty, and nothing moves', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { adds: 2, assigned: 3 }]]);
    period(l);
    scrape(l, [[pod(1), { adds: 5, assigned: 3 }]]);
    now += 10 * SCRAPE_MS; // the listing fails from here on: no observe
    const empty = close(l);
    assert.deepEqual([empty.fresh, empty.stale, empty.datums.length], [0, 1, 0]);
    scrape(l, [[pod(1), { adds: 6, assigned: 3 }]]);
    assert.equal(period(l).totals.addReqCount, 4);
  });
});

describe('commit moves the baselines to what was sent', () => {
  test('readings taken during the send, and a process first seen then, are not taken as sent (in full or in part)', () => {
    for (const accepted of [undefined, new Set(['addReqCount'])]) {
      const l = new Ledger(emptyLedgerState(0));
      scrape(l, [[pod(1), { adds: 2 }]]);
      const p = close(l);
      scrape(l, [[pod(1), { adds: 5 }], [pod(2), { adds: 4 }]]); // while the period is being sent
      l.commit(p, accepted);
      assert.equal(period(l).totals.addReqCount, 7, `${accepted ? 'in part' : 'in full'}: 3 more on pod 1, 4 on pod 2`);
    }
  });

  test('baselines of pods no longer listed are dropped: the stored state holds one entry per listed pod', () => {
    const l = new Ledger(emptyLedgerState(0));
    scrape(l, [[pod(1), { adds: 1 }], [pod(2), { adds: 1 }], [pod(3), { adds: 1 }]]);
    const first = period(l).next;
    assert.equal(Object.keys(first.baselines).length, 3);
    const b = new Ledger(stored(first)); // a new publisher; pod 3 has gone meanwhile, pod 2 restarted
    scrape(b, [[pod(1), { adds: 2 }], [pod(2, { restarts: 1 }), { adds: 1 }]]);
    const next = period(b).next;
    assert.deepEqual(Object.keys(next.baselines).sort(), ['uid-1#0', 'uid-2#1']);
  });
});

describe('a publisher restart', () => {
  test('a new process continues from the stored baselines: nothing counted twice, nothing lost', () => {
    const a = new Ledger(emptyLedgerState(0));
    scrape(a, [[pod(1), { adds: 4, dels: 1 }], [pod(2), { adds: 2 }]]);
    const first = period(a);
    scrape(a, [[pod(1), { adds: 9, dels: 1 }], [pod(2), { adds: 2 }]]); // scraped, never sent: the process dies
    const b = new Ledger(stored(first.next));
    scrape(b, [[pod(1), { adds: 10, dels: 3 }], [pod(2), { adds: 5 }]]);
    const { totals } = period(b);
    assert.equal(first.totals.addReqCount! + totals.addReqCount!, 15);
    assert.equal(first.totals.delReqCount! + totals.delReqCount!, 3);
  });

  test('a stored baseline of a pod not answering yet is kept until it answers', () => {
    const a = new Ledger(emptyLedgerState(0));
    scrape(a, [[pod(1), { adds: 4 }], [pod(2), { adds: 2 }]]);
    const first = period(a);
    const b = new Ledger(stored(first.next));
    scrape(b, [[pod(1), { adds: 5 }], [pod(2), undefined]]);
    const second = period(b);
    assert.equal(second.totals.addReqCount, 1);
    const c = new Ledger(stored(second.next));
    scrape(c, [[pod(1), { adds: 5 }], [pod(2), { adds: 7 }]]);
    assert.equal(period(c).totals.addReqCount, 5);
  });

  test('the first publisher of a cluster does not send the history of ipamds that started before it', () => {
    const l = new Ledger(emptyLedgerState(1_000_000));
    scrape(l, [
      [pod(1, { startedAt: 500_000 }), { adds: 40 }],
      [pod(2, { startedAt: 2_000_000 }), { adds: 3 }],
      [pod(3), { adds: 1, processStart: 900 }],
    ]);
    assert.equal(period(l).totals.addReqCount, 3);
    scrape(l, [[pod(1, { startedAt: 500_000 }), { adds: 42 }], [pod(2, { startedAt: 2_000_000 }), { adds: 3 }], [pod(3), { adds: 2, processStart: 900 }]]);
    assert.equal(period(l).totals.addReqCount, 3);
  });
});
