/**
 * The publisher's arithmetic, pure (no I/O, no clock): scrape readings in, one period's datums out.
 *
 * Counters are sent as deltas. Per ipamd process ("identity": pod UID plus the process's start, so
 * an ipamd restart, whose counters begin again at 0, is a new identity counted from 0) the ledger
 * keeps the cumulative values last published (the baselines, LedgerState, persisted by
 * state-store.ts) and the latest reading. A period's delta is latest - baseline, summed over
 * identities; only after the datums are sent and the new baselines stored does commit() move the
 * baselines. So a failed send is carried into the next period, a restarted publisher continues
 * from the stored baselines, and a process that died between scrapes still has its last increments
 * counted once.
 */
import { type PublishedMetric, PUBLISHED_METRICS } from './catalog.ts';
import { type Reading, readingKeys } from './exposition.ts';

export const LEDGER_STATE_VERSION = 1;

export interface Baseline {
  /** namespace/name of the ipamd pod, to tell a pod that is gone from one not yet scraped. */
  readonly pod: string;
  readonly node: string;
  readonly values: Readonly<Record<string, number>>;
}

export interface LedgerState {
  readonly version: typeof LEDGER_STATE_VERSION;
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

const COUNTER_KEYS = PUBLISHED_METRICS.filter((x) => x.aggregation !== 'gauge').flatMap(readingKeys);

export function emptyLedgerState(epoch: number): LedgerState {
  return { version: LEDGER_STATE_VERSION, epoch, baselines: {} };
}

export function identityOf(pod: PodRef, reading: Reading | undefined): string {
  return reading?.processStart !== undefined ? `${pod.uid}@${reading.processStart}` : `${pod.uid}#${pod.restarts}`;
}

export class Ledger {
  private state: LedgerState;
  private readonly baselines = new Map<string, Baseline>();
  /** The latest reading of every identity seen since its last published period. */
  private readonly seen = new Map<string, Seen>();
  /** The pods of the last listing: their identity and latest reading (the gauges' source). */
  private current = new Map<string, { pod: PodRef; identity: string; reading: Reading }>();
  private listed = new Set<string>();

  constructor(state: LedgerState) {
    this.state = state;
    for (const [id, b] of Object.entries(state.baselines)) this.baselines.set(id, b);
  }

  /** One scrape cycle: every listed pod, and the readings of those that answered. */
  observe(pods: readonly PodRef[], readings: ReadonlyMap<string, Reading>): void {
    const next = new Map<string, { pod: PodRef; identity: string; reading: Reading }>();
    for (const pod of pods) {
      const reading = readings.get(pod.key);
      if (!reading) {
        // Unanswered this cycle: keep its last reading for the gauges while it is the same pod.
        const prev = this.current.get(pod.key);
        if (prev && prev.pod.uid === pod.uid) next.set(pod.key, prev);
        continue;
      }
      this.followRestartCount(pod, reading);
      let identity = this.latestRun(identityOf(pod, reading));
      const prev = this.seen.get(identity) ?? this.baselines.get(identity);
      if (prev && COUNTER_KEYS.some((k) => (reading.values[k] ?? 0) < (prev.values[k] ?? 0))) {
        // A counter went back with no visible restart (ipamd exports no start time): close the old
        // run at its last reading and count the new one, `<identity>~<n>`, from 0.
        identity = `${identityOf(pod, reading)}~${this.runs(identityOf(pod, reading)) + 1}`;
        this.baselines.set(identity, { pod: pod.key, node: pod.node, values: {} });
      }
      if (!this.baselines.has(identity)) this.baselines.set(identity, this.firstBaseline(pod, reading));
      this.seen.set(identity, { pod: pod.key, node: pod.node, values: reading.values });
      next.set(pod.key, { pod, identity, reading });
    }
    this.current = next;
    this.listed = new Set(pods.map((p) => p.key));
  }

  /**
   * kubelet reports a restart some seconds after it happened: a scrape in between sees the counters
   * go back under the old restart count (a `~<n>` run). When the count then catches up and the
   * counters continued from that run, it is the same process: the run takes the new name, so it is
   * not counted again from 0.
   */
  private followRestartCount(pod: PodRef, reading: Reading): void {
    const was = this.current.get(pod.key);
    const now = identityOf(pod, reading);
    if (!was || was.pod.uid !== pod.uid || !was.identity.includes('~') || reading.processStart !== undefined) return;
    if (was.identity.startsWith(`${now}~`) || this.baselines.has(now) || this.runs(now) > 0) return;
    const run = this.seen.get(was.identity);
    const base = this.baselines.get(was.identity);
    if (!run || !base || COUNTER_KEYS.some((k) => (reading.values[k] ?? 0) < (run.values[k] ?? 0))) return;
    this.baselines.set(now, base);
    this.seen.set(now, run);
    this.baselines.delete(was.identity);
    this.seen.delete(was.identity);
  }

  /** How many counter resets of `identity` were seen without a restart (`<identity>~<n>` runs). */
  private runs(identity: string): number {
    let n = 0;
    for (const id of this.baselines.keys()) {
      if (id.startsWith(`${identity}~`)) n = Math.max(n, Number(id.slice(identity.length + 1)) || 0);
    }
    return n;
  }

  /** The identity's latest run (a stored `~<n>` one after a publisher restart). */
  private latestRun(identity: string): string {
    const n = this.runs(identity);
    return n === 0 ? identity : `${identity}~${n}`;
  }

  /**
   * A process first seen: counted from 0 when it started after the publisher's epoch (or its start
   * is unknown); otherwise from this reading, since its earlier increments belong to no period.
   */
  private firstBaseline(pod: PodRef, reading: Reading): Baseline {
    const started = reading.processStart !== undefined ? reading.processStart * 1000 : pod.startedAt;
    const before = started !== undefined && started < this.state.epoch;
    return { pod: pod.key, node: pod.node, values: before ? pickCounters(reading.values) : {} };
  }

  /** The period's datums and the baselines to store once they are sent (then commit()). */
  close(opts: { perNode: boolean }): { datums: Datum[]; next: LedgerState } {
    const datums: Datum[] = [];
    const add = (metric: PublishedMetric, node: string | undefined, value: number) => datums.push(node === undefined ? { metric, value } : { metric, node, value });
    for (const metric of PUBLISHED_METRICS) {
      const total = new Map<string | undefined, number>();
      const fold = (node: string, v: number, how: 'sum' | 'max') => {
        for (const k of opts.perNode ? [undefined, node] : [undefined]) {
          const had = total.get(k);
          total.set(k, had === undefined ? v : how === 'sum' ? had + v : Math.max(had, v));
        }
      };
      if (metric.aggregation === 'gauge') {
        for (const { pod, reading } of this.current.values()) {
          const v = reading.values[metric.name];
          if (v !== undefined) fold(pod.node, v, 'sum');
        }
      } else {
        for (const [id, s] of this.seen) {
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
      for (const [node, v] of total) add(metric, node, v);
    }
    return { datums, next: this.nextState() };
  }

  private nextState(): LedgerState {
    const currentIds = new Set([...this.current.values()].map((c) => c.identity));
    const scrapedPods = new Set(this.current.keys());
    const baselines: Record<string, Baseline> = {};
    for (const [id, b] of this.baselines) {
      const s = this.seen.get(id);
      if (s && currentIds.has(id)) baselines[id] = { pod: s.pod, node: s.node, values: pickCounters(s.values) };
      // Stored by an earlier publisher and not read yet: keep it while its pod is listed and unread.
      else if (!s && this.listed.has(b.pod) && !scrapedPods.has(b.pod)) baselines[id] = b;
    }
    return { version: LEDGER_STATE_VERSION, epoch: this.state.epoch, baselines };
  }

  /**
   * The period was sent: `next` becomes the baselines. With `sent` (a period split over several
   * PutMetricData calls, some refused), only those metrics' baselines move; the others keep theirs,
   * so their increments go out with the next period, and nothing that was sent goes out twice.
   * Returns the state to store.
   */
  commit(next: LedgerState, sent?: ReadonlySet<string>): LedgerState {
    const merged = sent ? this.partial(next, sent) : next;
    this.state = merged;
    for (const id of [...this.baselines.keys()]) {
      if (merged.baselines[id]) this.baselines.set(id, merged.baselines[id]);
      else if (!this.isCurrent(id)) {
        this.baselines.delete(id);
        this.seen.delete(id);
      }
    }
    return merged;
  }

  /** next's baselines for the keys of `sent` metrics, the old ones for the rest. */
  private partial(next: LedgerState, sent: ReadonlySet<string>): LedgerState {
    const keyMetric = new Map(PUBLISHED_METRICS.flatMap((m) => readingKeys(m).map((k) => [k, m.name] as const)));
    const baselines: Record<string, Baseline> = {};
    for (const id of new Set([...this.baselines.keys(), ...Object.keys(next.baselines)])) {
      const old = this.baselines.get(id);
      const nu = next.baselines[id];
      const seen = this.seen.get(id);
      const values: Record<string, number> = {};
      for (const k of COUNTER_KEYS) {
        // A sent key moves to what was sent: next's value, or for a process closed out in this
        // period (absent from next) its last reading.
        const v = sent.has(keyMetric.get(k)!) ? (nu?.values[k] ?? seen?.values[k]) : old?.values[k];
        if (v !== undefined) values[k] = v;
      }
      const closedOut = !nu && COUNTER_KEYS.every((k) => sent.has(keyMetric.get(k)!) || (seen?.values[k] ?? 0) === (old?.values[k] ?? 0));
      if (closedOut) continue;
      const where = nu ?? old ?? { pod: seen!.pod, node: seen!.node };
      baselines[id] = { pod: where.pod, node: where.node, values };
    }
    return { version: LEDGER_STATE_VERSION, epoch: next.epoch, baselines };
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
