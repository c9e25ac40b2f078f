/**
 * The publisher's arithmetic, pure (no I/O; the clock comes in as arguments): scrape readings in,
 * one period's datums out.
 *
 * Counters are sent as deltas. Per ipamd process ("identity": pod UID plus the process's start, so
 * an ipamd restart, whose counters begin again at 0, is a new identity counted from 0) the ledger
 * keeps the cumulative values last published (the baselines, LedgerState, persisted by
 * state-store.ts) and the latest reading. A period's delta is latest - baseline, summed over
 * identities; close() captures the values each delta was computed up to, and only after the datums
 * are sent does commit() move the baselines to those captured values (for the metrics CloudWatch
 * accepted). So a failed send is carried into the next period, a reading that arrives during the
 * send is never taken as sent, a restarted publisher continues from the stored baselines, and a
 * process that died between scrapes still has its last increments counted once.
 *
 * Only fresh readings count (younger than the period's maxAgeMs): a pod whose ipamd stopped
 * answering, or every pod while the API server cannot be listed, contributes nothing (no frozen
 * gauges, no zero deltas); its baseline stays, so its increments go out once it answers again.
 */
import { type PublishedMetric, PUBLISHED_METRICS } from './catalog.ts';
import { COUNTER_KEYS, type Reading, readingKeys } from './exposition.ts';
import { IdentityRuns } from './runs.ts';

export interface Baseline {
  /** namespace/name of the ipamd pod, to tell a pod that is gone from one not yet scraped. */
  readonly pod: string;
  readonly values: Readonly<Record<string, number>>;
}

export interface LedgerState {
  /** When this cluster's publisher first ran (ms): ipamd history before it is nobody's period. */
  readonly epoch: number;
  readonly baselines: Readonly<Record<string, Baseline>>;
}

/** An ipamd pod as listed from the API server. */
export interface PodRef {
  readonly key: string;
  readonly uid: string;
  readonly node: string;
  /** Restarts of its ipamd container: identifies the process when it exports no start time. */
  readonly restarts: number;
  /** When its ipamd container started (ms), when known. */
  readonly startedAt: number | undefined;
}

export interface Datum {
  readonly metric: PublishedMetric;
  /** Set for the per-node series (METRICS_NODE_DIMENSION). */
  readonly node?: string;
  readonly value: number;
}

interface Seen {
  readonly pod: string;
  readonly node: string;
  readonly values: Readonly<Record<string, number>>;
}

/** A listed pod's latest reading and the identity it was taken under. */
interface Current {
  readonly pod: PodRef;
  readonly identity: string;
  readonly reading: Reading;
}

/** One closed period: its datums (each metric's cluster-wide datum first) and what commit() needs. */
export interface Period {
  readonly datums: readonly Datum[];
  /** Pods with a reading younger than maxAgeMs: 0 means nothing is sent. */
  readonly fresh: number;
  /** Listed pods whose last reading is older (not answering, or the listing failing). */
  readonly stale: number;
  /** Per identity, the reading its deltas were computed up to: the baselines commit() moves to. */
  readonly upTo: ReadonlyMap<string, Seen>;
  /** Identities no longer current (a restarted process's old run, a pod gone): sent once, then dropped. */
  readonly closing: ReadonlySet<string>;
}

/** What a scrape cycle's readings did not change, for the publisher's log. */
export interface ObserveReport {
  /** Pods whose reading was older than the last one seen for them (dropped). */
  readonly outOfOrder: string[];
  /** Pods whose counters went back under an unchanged process start time (reading ignored). */
  readonly wentBack: string[];
}

const METRIC_OF_KEY = new Map(PUBLISHED_METRICS.flatMap((m) => readingKeys(m).map((k) => [k, m.name] as const)));

export function emptyLedgerState(epoch: number): LedgerState {
  return { epoch, baselines: {} };
}

export class Ledger {
  private readonly epoch: number;
  private readonly baselines = new Map<string, Baseline>();
  /** The latest reading of every identity seen since its last published period. */
  private readonly seen = new Map<string, Seen>();
  /** The pods of the last listing: their identity and latest reading (the gauges' source). */
  private current = new Map<string, Current>();
  private listed = new Set<string>();
  private readonly runs: IdentityRuns<Baseline, Seen>;

  constructor(state: LedgerState) {
    this.epoch = state.epoch;
    for (const [id, b] of Object.entries(state.baselines)) this.baselines.set(id, b);
    this.runs = new IdentityRuns(this.baselines, this.seen);
  }

  /** One scrape cycle: every listed pod, and the readings (stamped) of those that answered. */
  observe(pods: readonly PodRef[], readings: ReadonlyMap<string, Reading>): ObserveReport {
    const report: ObserveReport = { outOfOrder: [], wentBack: [] };
    const next = new Map<string, Current>();
    for (const pod of pods) {
      const prev = this.current.get(pod.key);
      const samePod = prev !== undefined && prev.pod.uid === pod.uid;
      let reading = readings.get(pod.key);
      if (reading && samePod && reading.at < prev.reading.at) {
        report.outOfOrder.push(pod.key);
        reading = undefined;
      }
      if (reading && !this.take(pod, reading, samePod ? prev.identity : undefined, next)) {
        report.wentBack.push(pod.key);
        reading = undefined;
      }
      // Unanswered (or ignored) this cycle: its last reading stays while it is the same pod; it
      // ages, and once older than a period's maxAgeMs it no longer counts.
      if (!reading && samePod) next.set(pod.key, prev);
    }
    this.current = next;
    this.listed = new Set(pods.map((p) => p.key));
    return report;
  }

  /** Records a pod's reading under its identity; false when it was ignored (counters went back, same process). */
  private take(pod: PodRef, reading: Reading, was: string | undefined, next: Map<string, Current>): boolean {
    this.runs.followRestartCount(pod, reading, was);
    const base = this.runs.identityOf(pod, reading);
    let identity = this.runs.latestRun(base);
    const prev = this.seen.get(identity) ?? this.baselines.get(identity);
    if (prev && COUNTER_KEYS.some((k) => (reading.values[k] ?? 0) < (prev.values[k] ?? 0))) {
      // The same process start time: not a restart (an older answer, or a bad one). Ignored.
      if (reading.processStart !== undefined) return false;
      // No start time exported: a counter going back is the only sign of a restart. Close the old
      // run at its last reading and count the new one, `<identity>~<n>`, from 0.
      identity = this.runs.newRun(base);
      this.baselines.set(identity, { pod: pod.key, values: {} });
    }
    if (!this.baselines.has(identity)) this.baselines.set(identity, this.firstBaseline(pod, reading));
    this.seen.set(identity, { pod: pod.key, node: pod.node, values: reading.values });
    next.set(pod.key, { pod, identity, reading });
    return true;
  }

  /**
   * A process first seen: counted from 0 when it started after the publisher's epoch (or its start
   * is unknown); otherwise from this reading, since its earlier increments belong to no period.
   */
  private firstBaseline(pod: PodRef, reading: Reading): Baseline {
    const started = reading.processStart !== undefined ? reading.processStart * 1000 : pod.startedAt;
    const before = started !== undefined && started < this.epoch;
    return { pod: pod.key, values: before ? pickCounters(reading.values) : {} };
  }

  /**
   * The period's datums from readings taken at `now - maxAgeMs` or later; then commit() once sent.
   * With no fresh reading at all the period is empty (nothing sent, nothing moved).
   */
  close(o: { perNode: boolean; now: number; maxAgeMs: number }): Period {
    const fresh = [...this.current.values()].filter((c) => c.reading.at >= o.now - o.maxAgeMs);
    const stale = this.current.size - fresh.length;
    const upTo = new Map<string, Seen>();
    const closing = new Set<string>();
    if (fresh.length === 0) return { datums: [], fresh: 0, stale, upTo, closing };
    const freshIds = new Set(fresh.map((c) => c.identity));
    const currentIds = new Set([...this.current.values()].map((c) => c.identity));
    for (const [id, s] of this.seen) {
      if (freshIds.has(id)) upTo.set(id, s);
      else if (!currentIds.has(id)) {
        // No longer current: its last increments, however old, go out once (it will not answer again).
        upTo.set(id, s);
        closing.add(id);
      }
    }
    const datums: Datum[] = [];
    for (const metric of PUBLISHED_METRICS) {
      // Keys in insertion order: the cluster-wide total (undefined) always before any node's.
      const total = new Map<string | undefined, number>();
      const fold = (node: string, v: number, how: 'sum' | 'max') => {
        for (const k of o.perNode ? [undefined, node] : [undefined]) {
          const had = total.get(k);
          total.set(k, had === undefined ? v : how === 'sum' ? had + v : Math.max(had, v));
        }
      };
      if (metric.aggregation === 'gauge') {
        for (const { pod, reading } of fresh) {
          const v = reading.values[metric.name];
          if (v !== undefined) fold(pod.node, v, 'sum');
        }
      } else {
        for (const [id, s] of upTo) {
          const base = this.baselines.get(id)?.values ?? {};
          const delta = (k: string) => (s.values[k] === undefined ? undefined : Math.max(0, s.values[k]! - (base[k] ?? 0)));
          if (metric.aggregation === 'counter') {
            const d = delta(metric.name);
            if (d !== undefined) fold(s.node, d, 'sum');
          } else {
            const sum = delta(`${metric.name}.sum`);
            const count = delta(`${metric.name}.count`);
            if (sum !== undefined && count) fold(s.node, sum / count, 'max');
          }
        }
      }
      for (const [node, v] of total) datums.push(node === undefined ? { metric, value: v } : { metric, node, value: v });
    }
    return { datums, fresh: fresh.length, stale, upTo, closing };
  }

  /**
   * The period was sent: each identity's baselines move to the values captured at close, for every
   * metric, or with `accepted` only for those metrics (a period CloudWatch refused in part); the
   * others keep theirs, so their increments go out with the next period and nothing sent goes out
   * twice. Readings taken since close, and processes first seen since, are untouched. Returns the
   * state to store.
   */
  commit(period: Period, accepted?: ReadonlySet<string>): LedgerState {
    const moves = (k: string) => accepted === undefined || accepted.has(METRIC_OF_KEY.get(k)!);
    for (const [closedAs, s] of period.upTo) {
      const id = this.runs.renamed(closedAs);
      const base = this.baselines.get(id);
      if (!base) continue;
      const values: Record<string, number> = { ...base.values };
      for (const k of COUNTER_KEYS) if (moves(k) && s.values[k] !== undefined) values[k] = s.values[k];
      this.baselines.set(id, { pod: base.pod, values });
      const allSent = COUNTER_KEYS.every((k) => s.values[k] === undefined || values[k] === s.values[k]);
      if (period.closing.has(closedAs) && allSent && this.seen.get(id) === s && !this.isCurrent(id)) {
        this.baselines.delete(id);
        this.seen.delete(id);
      }
    }
    this.runs.forgetRenames();
    this.prune();
    return this.state();
  }

  /**
   * Drops the baselines nobody will read again: kept are the current runs, runs not yet fully
   * sent, and baselines stored by an earlier publisher for a pod that is listed but not read yet.
   * So the stored state holds at most about one entry per listed ipamd pod.
   */
  private prune(): void {
    for (const [id, b] of this.baselines) {
      if (this.seen.has(id) || this.isCurrent(id)) continue;
      if (this.listed.has(b.pod) && !this.current.has(b.pod)) continue;
      this.baselines.delete(id);
    }
  }

  /** The baselines as they stand (what state-store.ts writes). */
  state(): LedgerState {
    return { epoch: this.epoch, baselines: Object.fromEntries(this.baselines) };
  }

  private isCurrent(id: string): boolean {
    for (const c of this.current.values()) if (c.identity === id) return true;
    return false;
  }

  /** Identities with a baseline (for logs and tests). */
  get tracked(): number {
    return this.baselines.size;
  }
}

function pickCounters(values: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of COUNTER_KEYS) if (values[k] !== undefined) out[k] = values[k];
  return out;
}
