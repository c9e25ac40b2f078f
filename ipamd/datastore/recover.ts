/**
 * Recording what the kernel shows running pods use (issue 9 item 1, ipamd/kernel-audit.ts): each
 * address routed to a live host veth that no allocation holds becomes a recovered allocation if it
 * is in the pool, whatever its cooldown, so nothing is handed out while the kernel routes it to a
 * live veth. Runs inside a Datastore transaction on its draft ledger.
 */
import type { Ledger } from './ledger.ts';
import type { AddressPool } from './pool.ts';
import type { Allocation, RecordedPod } from './types.ts';
import { checkVeth, describeAllocation, RECOVERED_KEY } from './validate.ts';

/** The pod of a recovered allocation: unknown. */
const RECOVERED_POD: RecordedPod = Object.freeze({ namespace: '', name: '', uid: '' });

/** An address the kernel routes to a live pod veth. */
export interface RoutedAddress {
  readonly ip: string;
  readonly hostVeth: string;
}

/** What `recover` found: addresses it recorded, and kernel routes it could not (not ours, or held by another veth). */
export interface RecoverReport {
  readonly recovered: readonly Allocation[];
  /** Routed to a pod veth but on none of this node's ENIs. */
  readonly foreign: readonly RoutedAddress[];
  /** Routed to one veth while allocated to a pod with another: `holder` names that allocation. */
  readonly conflicts: readonly (RoutedAddress & { readonly holder: string })[];
}

export function recoverInto(
  draft: Ledger,
  pool: AddressPool,
  routed: ReadonlyMap<string, string>,
  vethOf: (a: Allocation) => string,
  now: number,
  /** Released after the kernel was read (a DEL racing the read): its pod is going, not untracked. */
  releasedSince?: { readonly at: number; readonly cooldownMs: number },
): RecoverReport {
  const report: { recovered: Allocation[]; foreign: RoutedAddress[]; conflicts: (RoutedAddress & { holder: string })[] } = {
    recovered: [], foreign: [], conflicts: [],
  };
  for (const [ip, hostVeth] of routed) {
    const holder = draft.holderOf(ip);
    if (holder) {
      if (vethOf(holder) !== hostVeth) report.conflicts.push({ ip, hostVeth, holder: `${describeAllocation(holder)} (veth ${vethOf(holder)})` });
      continue;
    }
    const until = releasedSince && draft.coolingUntil(ip, now);
    if (until && until - releasedSince.cooldownMs >= releasedSince.at) continue;
    const slot = pool.locate(ip);
    if (!slot) {
      report.foreign.push({ ip, hostVeth });
      continue;
    }
    const allocation: Allocation = Object.freeze({
      key: RECOVERED_KEY,
      pod: RECOVERED_POD,
      ip,
      eniId: slot.eniId,
      deviceIndex: slot.deviceIndex,
      ...(slot.prefix === undefined ? {} : { prefix: slot.prefix }),
      allocatedAt: now,
      hostVeth: checkVeth(hostVeth, 'hostVeth'),
      recovered: true as const,
    });
    draft.add(allocation);
    report.recovered.push(allocation);
  }
  return report;
}
