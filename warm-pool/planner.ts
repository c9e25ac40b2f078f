/**
 * The warm-pool planner (DESIGN.md §3): one step at a time, pure. Grow when short; otherwise drain
 * retired ENIs (shrink.ts planRetired), free an unused ENI, then release surplus addresses;
 * otherwise nothing. A retired ENI is drained even while short when growth cannot proceed (it may
 * hold the ENI slot growth needs). Being short and over at once is
 * impossible (short needs available < WARM_IP or total < MINIMUM_IP, over needs both above), and no
 * shrink step leaves the pool short, so applying plans until `none` cannot flap.
 */
import { planGrowth } from './grow.ts';
import { none, planContext } from './plan-context.ts';
import { deficit } from './policy.ts';
import { planFreeEni, planRelease, planRetired } from './shrink.ts';
import type { InstanceLimits, PoolSnapshot, Step, Targets } from './types.ts';

export function planNext(snapshot: PoolSnapshot, targets: Targets, limits: InstanceLimits): Step {
  const ctx = planContext(snapshot, targets, limits);
  const need = deficit(ctx.policy, ctx.pool);
  if (need.short > 0) {
    const grow = planGrowth(ctx, need);
    return grow.kind === 'none' ? (planRetired(ctx) ?? grow) : grow;
  }
  return planRetired(ctx) ?? planFreeEni(ctx) ?? planRelease(ctx) ?? none(`nothing to do: ${need.reason}`);
}
