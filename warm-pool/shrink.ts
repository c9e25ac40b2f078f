/**
 * Shrinking (DESIGN.md §3). Two moves, never one that would leave the pool short (so the next plan
 * never grows straight back):
 * - free a whole ENI: not the primary, no pods, nothing cooling, old enough, and the targets still
 *   met without its addresses; the highest device index first. Not paced: one call frees it all.
 * - release free, non-cooling IPs (or whole free /28s) beyond the target, at most every
 *   releaseIntervalMs, from the ENI with the fewest assigned addresses so that it empties and can
 *   be freed later.
 */
import { compareAddresses } from './addresses.ts';
import { isWholeFreePrefix, subtractCounts, type EniCounts } from './counts.ts';
import { none, slotUnits, type PlanContext } from './plan-context.ts';
import { deficit, surplus } from './policy.ts';
import type { Step } from './types.ts';

/**
 * Retired ENIs (types.ts EniView.retired) are drained whatever the targets say: an empty one is
 * freed (not the primary; no age limit, it will not be used again), and the free addresses of one
 * still holding pods are given back, not paced, since no pod may get them.
 */
export function planRetired(ctx: PlanContext): Step | undefined {
  const empty = ctx.retired
    .filter((c) => !c.eni.isPrimary && c.assigned === 0 && c.cooling === 0)
    .sort((a, b) => b.eni.deviceIndex - a.eni.deviceIndex)[0];
  if (empty) {
    return { kind: 'free-eni', eniId: empty.eni.id, reason: `free ${empty.eni.id} (device ${empty.eni.deviceIndex}): retired, no pods, nothing cooling` };
  }
  for (const c of ctx.retired) {
    const items = releasable(c, ctx.targets.prefixMode);
    if (items.length === 0) continue;
    return {
      kind: 'release',
      eniId: c.eni.id,
      items: items.sort(compareAddresses),
      reason: `release ${slotUnits(ctx.targets, items.length)} from ${c.eni.id} (device ${c.eni.deviceIndex}): retired, ${c.assigned} pod(s) keep their addresses`,
    };
  }
  return undefined;
}

export function planFreeEni(ctx: PlanContext): Step | undefined {
  const minAge = ctx.targets.minEniAgeToFreeMs;
  const candidates = ctx.enis
    .filter((c) => !c.eni.isPrimary && c.assigned === 0 && c.cooling === 0 && c.eni.ageMs >= minAge)
    .sort((a, b) => b.eni.deviceIndex - a.eni.deviceIndex);
  for (const c of candidates) {
    const without = deficit(ctx.policy, subtractCounts(ctx.pool, c));
    if (without.short > 0) continue;
    return {
      kind: 'free-eni',
      eniId: c.eni.id,
      reason: `free ${c.eni.id} (device ${c.eni.deviceIndex}: no pods, nothing cooling, age ${c.eni.ageMs} ms >= ${minAge} ms); without its ${c.total} addresses, ${without.reason}`,
    };
  }
  return undefined;
}

export function planRelease(ctx: PlanContext): Step | undefined {
  const { over, reason } = surplus(ctx.policy, ctx.pool);
  if (over === 0) return undefined;
  const since = ctx.snapshot.msSinceLastRelease;
  const interval = ctx.targets.releaseIntervalMs;
  if (since < interval) return none(`${reason}; waiting: last release ${since} ms ago < ${interval} ms between releases`);

  const prefixMode = ctx.targets.prefixMode;
  const candidates = ctx.enis
    .map((c) => ({ c, items: releasable(c, prefixMode) }))
    .filter((x) => x.items.length > 0)
    // Secondary ENIs first, so the warm addresses that stay end up on the primary ENI and an emptied
    // secondary ENI can be freed; releasing from the primary could strand an ENI that holds only
    // the warm target. Then the emptiest, then the highest device index.
    .sort(
      (a, b) =>
        Number(a.c.eni.isPrimary) - Number(b.c.eni.isPrimary) ||
        a.c.assigned - b.c.assigned ||
        b.c.eni.deviceIndex - a.c.eni.deviceIndex,
    );
  const pick = candidates[0];
  if (pick === undefined) return none(`${reason}; but no ${prefixMode ? 'whole free prefix' : 'free secondary IP'} is releasable`);
  // Highest addresses first: chooseAddress hands out the lowest, so the two rarely contend.
  const items = pick.items.sort((a, b) => compareAddresses(b, a)).slice(0, over);
  return {
    kind: 'release',
    eniId: pick.c.eni.id,
    items,
    reason: `release ${slotUnits(ctx.targets, items.length)} from ${pick.c.eni.id} (device ${pick.c.eni.deviceIndex}, ${pick.c.assigned} assigned, ${pick.c.eni.isPrimary ? 'the primary, last' : 'secondary ENIs first, the emptiest'}); ${reason}`,
  };
}

/** What may leave this ENI: free non-cooling secondary IPs, or /28s with every address free. */
function releasable(c: EniCounts, prefixMode: boolean): string[] {
  if (prefixMode) return c.eni.prefixes.filter(isWholeFreePrefix).map((p) => p.prefix);
  return c.eni.addresses.filter((a) => a.state === 'free').map((a) => a.ip);
}
