/**
 * Naming ipamd processes ("identities") for the ledger. With process_start_time_seconds (every
 * current ipamd exports it) an identity is `<pod UID>@<start>`, and a restart is certain. Without
 * it (an older ipamd) it is `<pod UID>#<kubelet's restart count>`, and a counter going back is the
 * only sign of a restart kubelet has not reported yet: a run `<identity>~<n>` counted from 0.
 */
import { COUNTER_KEYS, type Reading } from './exposition.ts';
import type { PodRef } from './ledger.ts';

interface Valued {
  readonly values: Readonly<Record<string, number>>;
}

export function identityOf(pod: PodRef, reading: Reading | undefined): string {
  return reading?.processStart !== undefined ? `${pod.uid}@${reading.processStart}` : `${pod.uid}#${pod.restarts}`;
}

export class IdentityRuns<B extends Valued, S extends Valued> {
  /** Runs renamed since the last commit (old name -> new), so a period closed under the old name commits to the new one. */
  private readonly renames = new Map<string, string>();
  private readonly baselines: Map<string, B>;
  private readonly seen: Map<string, S>;

  constructor(baselines: Map<string, B>, seen: Map<string, S>) {
    this.baselines = baselines;
    this.seen = seen;
  }

  identityOf(pod: PodRef, reading: Reading): string {
    return identityOf(pod, reading);
  }

  /**
   * kubelet reports a restart some seconds after it happened: a scrape in between sees the counters
   * go back under the old restart count (a `~<n>` run). When the count then catches up and the
   * counters continued from that run, it is the same process: the run takes the new name, so it is
   * not counted again from 0. `was`: the pod's identity at its last reading.
   */
  followRestartCount(pod: PodRef, reading: Reading, was: string | undefined): void {
    const now = identityOf(pod, reading);
    if (!was || !was.includes('~') || reading.processStart !== undefined) return;
    if (was.startsWith(`${now}~`) || this.baselines.has(now) || this.runs(now) > 0) return;
    const run = this.seen.get(was);
    const base = this.baselines.get(was);
    if (!run || !base || COUNTER_KEYS.some((k) => (reading.values[k] ?? 0) < (run.values[k] ?? 0))) return;
    this.baselines.set(now, base);
    this.seen.set(now, run);
    this.baselines.delete(was);
    this.seen.delete(was);
    this.renames.set(was, now);
  }

  /** How many counter resets of `identity` were seen without a restart (`<identity>~<n>` runs). */
  runs(identity: string): number {
    let n = 0;
    for (const id of this.baselines.keys()) {
      if (id.startsWith(`${identity}~`)) n = Math.max(n, Number(id.slice(identity.length + 1)) || 0);
    }
    return n;
  }

  /** The identity's latest run (a stored `~<n>` one after a publisher restart). */
  latestRun(identity: string): string {
    const n = this.runs(identity);
    return n === 0 ? identity : `${identity}~${n}`;
  }

  /** The name of a new run of `identity` (its counters went back). */
  newRun(identity: string): string {
    return `${identity}~${this.runs(identity) + 1}`;
  }

  /** The name `id` has now (a run renamed since the period closed). */
  renamed(id: string): string {
    let to = id;
    for (let hops = 0; this.renames.has(to) && hops < 100; hops++) to = this.renames.get(to)!;
    return to;
  }

  forgetRenames(): void {
    this.renames.clear();
  }
}
