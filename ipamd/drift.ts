/**
 * Drift between ipamd's three sources of truth (DESIGN.md §3: the ledger, EC2, the kernel), as
 * issue 9 item 1 asks: each kind of drift is counted and logged once per thing it concerns (not at
 * every periodic pass while it lasts); a drift that clears, or is repaired, logs again if it comes
 * back. The counts are served in GetStatus for operators and tests.
 */
import type { Logger } from './logger.ts';

export type DriftKind =
  /** The kernel routes an address to a live pod veth that no allocation held: recovered. */
  | 'kernel-untracked'
  /** The kernel routes an address to a live pod veth, but EC2 does not assign it to this node. */
  | 'kernel-foreign'
  /** The kernel routes an address to one veth, the ledger gives it to another pod. */
  | 'kernel-conflict'
  /** A recovered allocation's veth disappeared: released. */
  | 'recovered-veth-gone'
  /** An allocation's pod veth has been missing for a while (the runtime's DEL or GC releases it). */
  | 'ledger-veth-missing'
  /** Pod rules for an address nobody holds or routes: removed. */
  | 'stale-pod-rules'
  /** EC2 assigns an address to a managed ENI that ipamd did not know: adopted. */
  | 'ec2-untracked'
  /** EC2 no longer assigns an address or ENI that ipamd knew: dropped, or kept while a pod uses it. */
  | 'ec2-lost'
  /** The checkpoint was missing or corrupt at start while the kernel showed running pods. */
  | 'checkpoint-lost';

export class DriftLog {
  readonly #logger: Logger;
  readonly #counts = new Map<DriftKind, number>();
  readonly #repaired = new Map<DriftKind, number>();
  readonly #open = new Set<string>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * Records one drift about `subject`. Counted and logged only when it is new (or came back);
   * `repaired` drifts are closed at once, so the same subject drifting again counts again.
   * Returns whether it was counted (new).
   */
  note(kind: DriftKind, subject: string, message: string, opts: { repaired: boolean; meta?: Record<string, unknown> }): boolean {
    const id = `${kind} ${subject}`;
    if (this.#open.has(id)) return false;
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1);
    if (opts.repaired) this.#repaired.set(kind, (this.#repaired.get(kind) ?? 0) + 1);
    const level = opts.repaired ? 'warn' : 'error';
    this.#logger[level](`drift (${kind}): ${message}${opts.repaired ? '; repaired' : ''}`, { drift: kind, subject, ...opts.meta });
    if (!opts.repaired) this.#open.add(id);
    return true;
  }

  /** The drift about `subject` is over: it logs again if it comes back. */
  clear(kind: DriftKind, subject: string): void {
    this.#open.delete(`${kind} ${subject}`);
  }

  /** Open (unrepaired) drifts of a kind, by subject. */
  openSubjects(kind: DriftKind): string[] {
    const prefix = `${kind} `;
    return [...this.#open].filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length));
  }

  counts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  /** Of counts(), the drifts repaired when found (metrics: vpcwire_drift_repaired_total). */
  repairedCounts(): Record<string, number> {
    return Object.fromEntries(this.#repaired);
  }
}
