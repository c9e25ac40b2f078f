/** Everything one planning pass derives from its inputs, computed once and shared by the rules. */
import { countEni, sumCounts, type AddressCounts, type EniCounts } from './counts.ts';
import { policyOf, type Policy } from './policy.ts';
import type { InstanceLimits, PoolSnapshot, Step, Targets } from './types.ts';

export interface PlanContext {
  readonly snapshot: PoolSnapshot;
  readonly targets: Targets;
  readonly limits: InstanceLimits;
  readonly enis: readonly EniCounts[];
  readonly pool: AddressCounts;
  readonly policy: Policy;
}

export function planContext(snapshot: PoolSnapshot, targets: Targets, limits: InstanceLimits): PlanContext {
  const enis = snapshot.enis.map(countEni);
  return { snapshot, targets, limits, enis, pool: sumCounts(enis), policy: policyOf(targets, limits) };
}

export function none(reason: string): Step {
  return { kind: 'none', reason };
}

/** The unit a slot holds, for reasons: "2 IPs", "1 prefix". */
export function slotUnits(targets: Targets, n: number): string {
  if (targets.prefixMode) return `${n} ${n === 1 ? 'prefix' : 'prefixes'}`;
  return `${n} ${n === 1 ? 'IP' : 'IPs'}`;
}
