/** Everything one planning pass derives from its inputs, computed once and shared by the rules. */
import { countEni, reserveFor, sumCounts, type AddressCounts, type EniCounts } from './counts.ts';
import { policyOf, type Policy } from './policy.ts';
import type { GrowthBlock, InstanceLimits, PoolSnapshot, Step, Targets } from './types.ts';

export interface PlanContext {
  readonly snapshot: PoolSnapshot;
  readonly targets: Targets;
  readonly limits: InstanceLimits;
  /** The ENIs new pods may use (retired ones left out): what growth fills and the targets count. */
  readonly enis: readonly EniCounts[];
  /** Retired ENIs (types.ts EniView.retired): drained, then freed. */
  readonly retired: readonly EniCounts[];
  /** Every attached ENI counts against the ENI limit, retired or not. */
  readonly attached: number;
  readonly pool: AddressCounts;
  readonly policy: Policy;
}

export function planContext(snapshot: PoolSnapshot, targets: Targets, limits: InstanceLimits): PlanContext {
  const all = snapshot.enis.map(countEni);
  const enis = all.filter((c) => !c.eni.retired);
  const retired = all.filter((c) => c.eni.retired);
  const pool = reserveFor(sumCounts(enis), snapshot.expectedPods ?? 0);
  return { snapshot, targets, limits, enis, retired, attached: all.length, pool, policy: policyOf(targets, limits) };
}

export function none(reason: string, blocked?: GrowthBlock): Step {
  return blocked ? { kind: 'none', reason, blocked } : { kind: 'none', reason };
}

/** The unit a slot holds, for reasons: "2 IPs", "1 prefix". */
export function slotUnits(targets: Targets, n: number): string {
  if (targets.prefixMode) return `${n} ${n === 1 ? 'prefix' : 'prefixes'}`;
  return `${n} ${n === 1 ? 'IP' : 'IPs'}`;
}
