/**
 * Growth (DESIGN.md §3): fill the ENIs already attached before creating one, and create a new ENI
 * already holding what it needs (one CreateNetworkInterface instead of create + assign). Never past
 * the ENI limit (instance type, lowered by MAX_ENI), an ENI's slots, or max pods; never while growth
 * is paused after subnet exhaustion.
 */
import { addressesPerSlot, maxEnis, slotsPerEni, type EniCounts } from './counts.ts';
import { none, slotUnits, type PlanContext } from './plan-context.ts';
import type { Deficit } from './policy.ts';
import type { Step } from './types.ts';

export function planGrowth(ctx: PlanContext, need: Deficit): Step {
  const { snapshot, targets, limits, enis, pool } = ctx;
  if (snapshot.growthBlocked) {
    return none(`growth paused after subnet exhaustion (InsufficientFreeAddressesInSubnet / InsufficientCidrBlocks); ${need.reason}`, 'subnet-full');
  }
  const slots = slotsPerEni(limits);
  if (slots === 0) return none(`cannot grow: ipv4PerEni ${limits.ipv4PerEni} leaves no pod slots per ENI; ${need.reason}`, 'no-slots');

  let podRoom = Infinity;
  if (targets.maxPods !== undefined) {
    const room = targets.maxPods - pool.total;
    if (room <= 0) return none(`at max pods: the pool holds ${pool.total} addresses >= max pods ${targets.maxPods}; ${need.reason}`, 'max-pods');
    podRoom = Math.ceil(room / addressesPerSlot(targets));
  }
  const want = need.fillEni ? slots : need.short;

  const fill = eniToFill(enis, slots);
  if (fill !== undefined) {
    const freeSlots = slots - fill.usedSlots;
    const count = Math.min(want, freeSlots, podRoom);
    return {
      kind: 'assign',
      eniId: fill.eni.id,
      count,
      reason: `assign ${slotUnits(targets, count)} to ${fill.eni.id} (device ${fill.eni.deviceIndex}, ${fill.assigned} assigned, ${freeSlots} of ${slots} slots free); ${need.reason}`,
    };
  }

  const max = maxEnis(targets, limits);
  const capName = targets.maxEni !== undefined && targets.maxEni < limits.maxEnis ? `MAX_ENI ${targets.maxEni}` : `instance limit ${limits.maxEnis}`;
  const attached = ctx.attached;
  const retiredNote = ctx.retired.length > 0 ? ` (${ctx.retired.length} retired, draining)` : '';
  if (attached >= max) {
    return none(`cannot grow: ${attached} ENIs attached${retiredNote}, ${capName}, and every slot is used; ${need.reason}`, 'instance-limit');
  }
  const count = Math.min(want, slots, podRoom);
  return {
    kind: 'create-eni',
    count,
    reason: `create ENI ${attached + 1} of ${capName} holding ${slotUnits(targets, count)} (every slot of the ${enis.length} in use is used${retiredNote}); ${need.reason}`,
  };
}

/** The ENI with the most assigned addresses that still has a free slot; ties: lowest device index. */
function eniToFill(enis: readonly EniCounts[], slots: number): EniCounts | undefined {
  let best: EniCounts | undefined;
  for (const c of enis) {
    if (c.usedSlots >= slots) continue;
    if (best === undefined || c.assigned > best.assigned || (c.assigned === best.assigned && c.eni.deviceIndex < best.eni.deviceIndex)) {
      best = c;
    }
  }
  return best;
}
