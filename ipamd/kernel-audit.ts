/**
 * The ledger compared with the node's kernel (issue 9 item 1, DESIGN.md §3 "Three sources of
 * truth"): at start, after the checkpoint replay, and then at every resync. Repairs only what is
 * safe to repair:
 * - an address the kernel routes to a live pod veth that no allocation holds is recorded as a
 *   recovered allocation (so it is never handed out while a pod uses it);
 * - a recovered allocation whose veth is gone is released, with the pod rules it left;
 * - pod rules for an address nobody holds or routes, seen at two passes in a row, are removed
 *   (an ADD under way always has its allocation first, so it is never touched).
 * An allocation whose veth is missing is only reported: its pod's DEL or the runtime's GC owns it
 * (its ADD may still be wiring it).
 */
import type { Datastore } from './datastore/datastore.ts';
import type { Allocation } from './datastore/types.ts';
import type { DriftLog } from './drift.ts';
import type { KernelCommands } from './host-network/commands.ts';
import { type PodEvidence, podEvidence, podRuleDeletions } from './host-network/pod-evidence.ts';
import type { Logger } from './logger.ts';
import { vethOfAllocation } from './veth.ts';

export interface KernelAuditOptions {
  readonly store: Datastore;
  readonly commands: Pick<KernelCommands, 'snapshot' | 'ipBatch'>;
  readonly drift: DriftLog;
  readonly logger: Logger;
  readonly vethPrefix: string;
  readonly now?: () => number;
  /** An allocation younger than this may still be being wired: its missing veth is not drift yet. */
  readonly vethGraceMs?: number;
}

export interface AuditReport {
  readonly recovered: readonly Allocation[];
  readonly released: readonly Allocation[];
  readonly rulesRemoved: number;
  /** When the kernel was read, and the allocations whose veth it did not show: the address history's sign of life. */
  readonly readAt: number;
  readonly vethMissing: readonly string[];
}

export class KernelAudit {
  readonly #o: KernelAuditOptions;
  readonly #now: () => number;
  /** Addresses whose rules looked stale at the last pass. */
  #staleRules = new Set<string>();

  constructor(o: KernelAuditOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** The name of an allocation's pod veth: recorded since issue 9, else computed as ipamd names it. */
  readonly vethOf = (a: Allocation): string => vethOfAllocation(this.#o.vethPrefix, a);

  /** What the kernel shows of running pods now. */
  async read(): Promise<PodEvidence> {
    return podEvidence(await this.#o.commands.snapshot(), this.#o.vethPrefix);
  }

  /**
   * One comparison and repair; `evidence` when the caller has just read the kernel. `dropped`:
   * addresses whose allocations were just dropped (the checkpoint replay: their veth is gone), so
   * their pod rules are removed now rather than at a second sighting (DESIGN.md §3).
   */
  async run(evidence?: PodEvidence, opts: { dropped?: readonly string[] } = {}): Promise<AuditReport> {
    const { store, drift, commands } = this.#o;
    const readAt = this.#now();
    const ev = evidence ?? (await this.read());

    // An address released after the read (a DEL racing it) belongs to a pod on its way out.
    const found = await store.recover(ev.routed, this.vethOf, evidence ? {} : { readAt });
    for (const a of found.recovered) {
      drift.note('kernel-untracked', a.ip, `the kernel routes ${a.ip} to the live veth ${a.hostVeth} but no allocation held it; recorded as recovered`, {
        repaired: true,
        meta: { ip: a.ip, hostVeth: a.hostVeth, eniId: a.eniId },
      });
    }
    for (const f of found.foreign) {
      drift.note('kernel-foreign', f.ip, `the kernel routes ${f.ip} to the pod veth ${f.hostVeth}, but EC2 does not assign it to this node`, { repaired: false });
    }
    for (const c of found.conflicts) {
      drift.note('kernel-conflict', c.ip, `the kernel routes ${c.ip} to ${c.hostVeth}, but it is allocated to ${c.holder}`, { repaired: false });
    }
    for (const kind of ['kernel-foreign', 'kernel-conflict'] as const) {
      const still = new Set((kind === 'kernel-foreign' ? found.foreign : found.conflicts).map((x) => x.ip));
      for (const ip of drift.openSubjects(kind)) if (!still.has(ip)) drift.clear(kind, ip);
    }

    const gone = store.allocations().filter((a) => a.recovered && !ev.links.has(this.vethOf(a)));
    const released = gone.length ? await store.releaseRecovered(gone.map((a) => a.ip)) : [];
    for (const a of released) {
      drift.note('recovered-veth-gone', a.ip, `the veth ${a.hostVeth} of recovered address ${a.ip} is gone; released`, { repaired: true });
    }

    const now = this.#now();
    const vethMissing = store.allocations().filter((a) => !ev.links.has(this.vethOf(a))).map((a) => a.ip);
    const grace = this.#o.vethGraceMs ?? 60_000;
    for (const a of store.allocations()) {
      if (a.recovered) continue;
      const veth = this.vethOf(a);
      if (ev.links.has(veth)) drift.clear('ledger-veth-missing', a.ip);
      else if (now - a.allocatedAt > grace) {
        drift.note('ledger-veth-missing', a.ip, `${a.ip} is allocated to ${a.key.containerId}/${a.key.ifName} but its veth ${veth} does not exist; its DEL or the runtime's GC releases it`, {
          repaired: false,
        });
      }
    }

    // Pod rules of addresses nobody holds or routes: a deleted pod whose DEL never came, or an
    // address released from a recovered allocation just now.
    const held = new Set(store.allocations().map((a) => a.ip));
    const releasedIps = new Set([...released.map((a) => a.ip), ...(opts.dropped ?? [])]);
    const stale = ev.rules.filter((r) => !held.has(r.ip) && !ev.routed.has(r.ip));
    const now2 = new Set(stale.map((r) => r.ip));
    const remove = stale.filter((r) => releasedIps.has(r.ip) || this.#staleRules.has(r.ip));
    this.#staleRules = new Set([...now2].filter((ip) => !remove.some((r) => r.ip === ip)));
    if (remove.length) {
      const failures = await commands.ipBatch(podRuleDeletions(remove), { force: true });
      for (const ip of new Set(remove.map((r) => r.ip))) {
        if (!releasedIps.has(ip)) drift.note('stale-pod-rules', ip, `removed pod rules of ${ip}, which no allocation holds and no veth routes`, { repaired: true });
      }
      if (failures.length) this.#o.logger.warn('removing stale pod rules partly failed', { failures });
    }
    return { recovered: found.recovered, released, rulesRemoved: remove.length, readAt, vethMissing };
  }
}
