/**
 * Start-up agreement between the address history and the ledger (issue 13 item 2). The history
 * is separate from the checkpoint and outlives its loss; after the checkpoint replay, the release
 * notes and the kernel audit have rebuilt the ledger:
 * - a ledger allocation whose holding is open in the history keeps it: after a lost checkpoint, a
 *   pod recovered from the kernel keeps the pod identity the history recorded (matched by veth);
 * - a ledger allocation with no open holding gets one, marked recovered, from the earliest
 *   evidence: the checkpoint's allocation time, or when the kernel showed its veth;
 * - an open holding the ledger no longer has is closed at the time ipamd found out, with the
 *   last sign of life (the kernel audit's last sighting, else its start) as the lower bound: the
 *   real end is somewhere in between. `del`/`gc` when a release note replayed its pod's DEL.
 */
import type { Allocation } from '../datastore/types.ts';
import { type EndHow, type HistoryLine, type Holding, holdingId } from './record.ts';

export interface ReconcileInput {
  readonly open: readonly Holding[];
  readonly allocations: readonly Allocation[];
  readonly now: number;
  /** Addresses released during start-up before the reconcile (release notes), and how. */
  readonly endedAtStart: ReadonlyMap<string, EndHow>;
  readonly toHolding: (a: Allocation, how: Holding['how']) => Holding;
}

export interface ReconcilePlan {
  readonly lines: HistoryLine[];
  readonly opened: number;
  readonly closed: number;
  /** Each ledger allocation's holding: the open one that stays, or the one opened. */
  readonly holdings: ReadonlyMap<Allocation, Holding>;
}

function sameHolder(h: Holding, a: Allocation, toHolding: ReconcileInput['toHolding']): boolean {
  // A recovered allocation has no CNI triple: its veth (named after the pod) is the identity.
  if (a.recovered) return h.hostVeth === toHolding(a, 'recovered-kernel').hostVeth;
  return h.containerId === a.key.containerId && h.ifName === a.key.ifName && h.network === a.key.networkName;
}

export function reconcileHoldings(input: ReconcileInput): ReconcilePlan {
  const { now, toHolding } = input;
  const byIp = new Map<string, Holding[]>();
  for (const h of input.open) byIp.set(h.ip, [...(byIp.get(h.ip) ?? []), h]);
  const lines: HistoryLine[] = [];
  const kept = new Set<string>();
  const keptFor = new Map<Allocation, Holding>();
  let opened = 0;
  for (const a of input.allocations) {
    const match = byIp.get(a.ip)?.find((h) => sameHolder(h, a, toHolding));
    if (match) {
      kept.add(holdingId(match));
      keptFor.set(a, match);
      continue;
    }
    const h = { ...toHolding(a, a.recovered ? 'recovered-kernel' : 'recovered-checkpoint') };
    h.at = Math.min(h.at, now);
    keptFor.set(a, h);
    lines.push({ e: 'start', ...h });
    opened++;
  }
  let closed = 0;
  const ends: HistoryLine[] = [];
  for (const h of input.open) {
    if (kept.has(holdingId(h))) continue;
    const notBefore = Math.min(Math.max(h.lastSeen ?? h.at, h.at), now);
    ends.push({ e: 'end', ip: h.ip, since: h.at, containerId: h.containerId, at: now, how: input.endedAtStart.get(h.ip) ?? 'restart-gone', notBefore });
    closed++;
  }
  // Ends first: a closed holding and a new one of the same address meet at `now`, the new one wins.
  return { lines: [...ends, ...lines], opened, closed, holdings: keptFor };
}
