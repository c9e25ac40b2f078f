/**
 * The pool arithmetic (DESIGN.md §3): per ENI and in total, how many pod addresses are held,
 * assigned, cooling and available, how many whole free /28s there are, and how many slots an ENI
 * has. "Available" is free AND not cooling: upstream counts cooling addresses as available, so the
 * pool does not grow during churn (upstream #1700, #2896); here they count only in the total held.
 */
import { PREFIX_SIZE, prefixAddresses } from './addresses.ts';
import type { AddressView, EniView, InstanceLimits, PrefixView, Targets } from './types.ts';

export interface AddressCounts {
  /** Pod addresses held: assigned + cooling + available. */
  readonly total: number;
  readonly assigned: number;
  readonly cooling: number;
  /** Free and not cooling: what a new pod can get right now. */
  readonly available: number;
  /** /28 prefixes with no address assigned or cooling (prefix mode's unit of warmth and release). */
  readonly wholeFreePrefixes: number;
}

export interface EniCounts extends AddressCounts {
  readonly eni: EniView;
  /** Secondary IPs + prefixes: both take one of the ENI's IPv4 slots (its primary address excluded). */
  readonly usedSlots: number;
}

const ZERO: AddressCounts = { total: 0, assigned: 0, cooling: 0, available: 0, wholeFreePrefixes: 0 };

function tally(addresses: readonly AddressView[]): { assigned: number; cooling: number; available: number } {
  let assigned = 0;
  let cooling = 0;
  let available = 0;
  for (const a of addresses) {
    if (a.state === 'assigned') assigned++;
    else if (a.state === 'cooling') cooling++;
    else available++;
  }
  return { assigned, cooling, available };
}

/** True when every address of the /28 is free and none is cooling: the only prefixes released. */
export function isWholeFreePrefix(prefix: PrefixView): boolean {
  return prefixAddresses(prefix).every((a) => a.state === 'free');
}

export function countEni(eni: EniView): EniCounts {
  const ips = tally(eni.addresses);
  let assigned = ips.assigned;
  let cooling = ips.cooling;
  let available = ips.available;
  let wholeFreePrefixes = 0;
  for (const prefix of eni.prefixes) {
    const p = tally(prefixAddresses(prefix));
    assigned += p.assigned;
    cooling += p.cooling;
    available += p.available;
    if (p.assigned === 0 && p.cooling === 0) wholeFreePrefixes++;
  }
  return {
    eni,
    total: assigned + cooling + available,
    assigned,
    cooling,
    available,
    wholeFreePrefixes,
    usedSlots: eni.addresses.length + eni.prefixes.length,
  };
}

export function sumCounts(parts: readonly AddressCounts[]): AddressCounts {
  return parts.reduce<AddressCounts>(
    (sum, c) => ({
      total: sum.total + c.total,
      assigned: sum.assigned + c.assigned,
      cooling: sum.cooling + c.cooling,
      available: sum.available + c.available,
      wholeFreePrefixes: sum.wholeFreePrefixes + c.wholeFreePrefixes,
    }),
    ZERO,
  );
}

/**
 * The pool once `pods` more addresses are assigned (the pods Kubernetes bound here that have not
 * started yet): available may go below zero (the pool cannot seat them all). New pods take
 * addresses outside whole free /28s first (choose-address.ts), so whole free prefixes are used up
 * only by what does not fit elsewhere.
 */
export function reserveFor(pool: AddressCounts, pods: number): AddressCounts {
  if (pods <= 0) return pool;
  const outsideWhole = Math.max(0, pool.available - pool.wholeFreePrefixes * PREFIX_SIZE);
  const intoWhole = Math.max(0, pods - outsideWhole);
  return {
    ...pool,
    assigned: pool.assigned + pods,
    available: pool.available - pods,
    wholeFreePrefixes: pool.wholeFreePrefixes - Math.ceil(intoWhole / PREFIX_SIZE),
  };
}

/** The pool as it would be without `part` (an ENI being freed, or items being released). */
export function subtractCounts(pool: AddressCounts, part: AddressCounts): AddressCounts {
  return {
    total: pool.total - part.total,
    assigned: pool.assigned - part.assigned,
    cooling: pool.cooling - part.cooling,
    available: pool.available - part.available,
    wholeFreePrefixes: pool.wholeFreePrefixes - part.wholeFreePrefixes,
  };
}

/** Pod slots per ENI: IPv4 addresses per ENI minus the ENI's own primary address. */
export function slotsPerEni(limits: InstanceLimits): number {
  return Math.max(0, limits.ipv4PerEni - 1);
}

/** Pod addresses one slot holds: 1 secondary IP, or a /28 of 16. */
export function addressesPerSlot(targets: Targets): number {
  return targets.prefixMode ? PREFIX_SIZE : 1;
}

/** ENIs the node may hold: the instance type's limit, lowered by MAX_ENI when set. */
export function maxEnis(targets: Targets, limits: InstanceLimits): number {
  return Math.min(limits.maxEnis, targets.maxEni ?? Infinity);
}
