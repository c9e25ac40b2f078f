/**
 * The ENIs the planner would create right after a first one, had that one been attached already:
 * growth that needs several ENIs (many pods bound at once, prewarm) creates them together, not one
 * attach time after another. The planner decides each (planNext on a snapshot with the planned ENIs
 * added as free); this only looks ahead, at most `max` ENIs in all.
 */
import { planNext } from './planner.ts';
import type { EniView, InstanceLimits, PoolSnapshot, Targets } from './types.ts';

/** The address (or prefix) counts of the ENIs to create beside the first, which has `first`. */
export function alsoCreate(snapshot: PoolSnapshot, targets: Targets, limits: InstanceLimits, o: { first: number; prefixMode: boolean; max: number }): number[] {
  const planned = (i: number, count: number): EniView => ({
    id: `planned-${i}`,
    deviceIndex: 1000 + i,
    isPrimary: false,
    addresses: o.prefixMode ? [] : Array.from({ length: count }, (_, j) => ({ ip: `0.0.${i}.${j}`, state: 'free' as const })),
    prefixes: o.prefixMode ? Array.from({ length: count }, (_, j) => ({ prefix: `0.${i}.${j}.0/28`, addresses: [] })) : [],
    ageMs: 0,
  });
  const more: number[] = [];
  let snap: PoolSnapshot = { ...snapshot, enis: [...snapshot.enis, planned(0, o.first)] };
  while (more.length < o.max - 1) {
    const next = planNext(snap, targets, limits);
    if (next.kind !== 'create-eni') break;
    more.push(next.count);
    snap = { ...snap, enis: [...snap.enis, planned(more.length, next.count)] };
  }
  return more;
}
