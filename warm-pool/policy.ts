/**
 * Which warm-pool rule applies and by how much the pool is short of it or over it (DESIGN.md §3,
 * upstream docs/eni-and-ip-target.md and docs/prefix-and-ip-target.md):
 *
 * - WARM_IP_TARGET / MINIMUM_IP_TARGET (either one > 0; 0 means unset, as upstream) override
 *   WARM_ENI_TARGET and WARM_PREFIX_TARGET. short = max(WARM_IP - available, MINIMUM_IP - total, 0),
 *   over = max(min(available - WARM_IP, total - MINIMUM_IP), 0); in prefix mode short becomes
 *   ceil(short / 16) prefixes and over counts whole free prefixes that can go without going under.
 * - WARM_ENI_TARGET alone (IP mode): keep WARM_ENI x addresses-per-ENI available; with 0, keep at
 *   least one. Never over: this rule shrinks only by freeing whole ENIs (upstream releases no IPs).
 * - WARM_PREFIX_TARGET alone (prefix mode): keep that many whole free /28s; with 0 (or unset), keep
 *   at least one available address.
 *
 * Every count here uses "available" = free and not cooling (counts.ts).
 */
import { PREFIX_SIZE } from './addresses.ts';
import { slotsPerEni, type AddressCounts } from './counts.ts';
import type { InstanceLimits, Targets } from './types.ts';

export type Policy =
  | { readonly kind: 'ip-targets'; readonly warmIp: number; readonly minimumIp: number; readonly prefixMode: boolean }
  | { readonly kind: 'warm-eni'; readonly warmEni: number; readonly addressesPerEni: number }
  | { readonly kind: 'warm-prefix'; readonly warmPrefix: number };

export interface Deficit {
  /** Slots to add: secondary IPs in IP mode, /28 prefixes in prefix mode. 0 when the targets are met. */
  readonly short: number;
  /** WARM_ENI_TARGET thinks in whole ENIs: fill the ENI being grown instead of adding just `short`. */
  readonly fillEni: boolean;
  readonly reason: string;
}

export interface Surplus {
  /** Items that may be released without going under the targets: IPs, or whole free prefixes. */
  readonly over: number;
  readonly reason: string;
}

export function policyOf(targets: Targets, limits: InstanceLimits): Policy {
  const warmIp = targets.warmIpTarget ?? 0;
  const minimumIp = targets.minimumIpTarget ?? 0;
  if (warmIp > 0 || minimumIp > 0) return { kind: 'ip-targets', warmIp, minimumIp, prefixMode: targets.prefixMode };
  if (targets.prefixMode) return { kind: 'warm-prefix', warmPrefix: targets.warmPrefixTarget ?? 0 };
  return { kind: 'warm-eni', warmEni: targets.warmEniTarget, addressesPerEni: slotsPerEni(limits) };
}

export function deficit(policy: Policy, c: AddressCounts): Deficit {
  switch (policy.kind) {
    case 'ip-targets': {
      const { warmIp, minimumIp } = policy;
      const shortIps = Math.max(warmIp - c.available, minimumIp - c.total, 0);
      if (shortIps === 0) {
        return met(`available ${c.available} >= WARM_IP_TARGET ${warmIp}, total ${c.total} >= MINIMUM_IP_TARGET ${minimumIp}`);
      }
      const why: string[] = [];
      if (c.available < warmIp) why.push(`available ${c.available} < WARM_IP_TARGET ${warmIp}`);
      if (c.total < minimumIp) why.push(`total ${c.total} < MINIMUM_IP_TARGET ${minimumIp}`);
      if (!policy.prefixMode) return { short: shortIps, fillEni: false, reason: `short ${shortIps}: ${why.join(', ')}` };
      const prefixes = Math.ceil(shortIps / PREFIX_SIZE);
      return {
        short: prefixes,
        fillEni: false,
        reason: `short ${shortIps} addresses = ${plural(prefixes, 'prefix', 'prefixes')} of ${PREFIX_SIZE}: ${why.join(', ')}`,
      };
    }
    case 'warm-eni': {
      const { warmEni, addressesPerEni } = policy;
      if (warmEni === 0) {
        return c.available === 0
          ? { short: 1, fillEni: true, reason: 'short: available 0 with WARM_ENI_TARGET 0 (keep at least one)' }
          : met(`available ${c.available} > 0 with WARM_ENI_TARGET 0`);
      }
      const want = warmEni * addressesPerEni;
      if (c.available >= want) {
        return met(`available ${c.available} >= WARM_ENI_TARGET ${warmEni} x ${addressesPerEni} addresses per ENI`);
      }
      return {
        short: want - c.available,
        fillEni: true,
        reason: `short ${want - c.available}: available ${c.available} < WARM_ENI_TARGET ${warmEni} x ${addressesPerEni} addresses per ENI`,
      };
    }
    case 'warm-prefix': {
      const { warmPrefix } = policy;
      if (warmPrefix === 0) {
        return c.available === 0
          ? { short: 1, fillEni: false, reason: 'short 1 prefix: available 0 with WARM_PREFIX_TARGET 0 (keep at least one)' }
          : met(`available ${c.available} > 0 with WARM_PREFIX_TARGET 0`);
      }
      if (c.wholeFreePrefixes >= warmPrefix) {
        return met(`whole free prefixes ${c.wholeFreePrefixes} >= WARM_PREFIX_TARGET ${warmPrefix}`);
      }
      const short = warmPrefix - c.wholeFreePrefixes;
      return {
        short,
        fillEni: false,
        reason: `short ${plural(short, 'prefix', 'prefixes')}: whole free prefixes ${c.wholeFreePrefixes} < WARM_PREFIX_TARGET ${warmPrefix}`,
      };
    }
  }
}

export function surplus(policy: Policy, c: AddressCounts): Surplus {
  switch (policy.kind) {
    case 'ip-targets': {
      const { warmIp, minimumIp } = policy;
      const spare = `available ${c.available} - WARM_IP_TARGET ${warmIp} = ${c.available - warmIp}, total ${c.total} - MINIMUM_IP_TARGET ${minimumIp} = ${c.total - minimumIp}`;
      if (!policy.prefixMode) {
        const over = Math.max(Math.min(c.available - warmIp, c.total - minimumIp), 0);
        return { over, reason: `over ${over}: ${spare}` };
      }
      // A release gives back 16 addresses per prefix, so only whole multiples of 16 of spare count.
      const over = Math.max(
        Math.min(c.wholeFreePrefixes, Math.floor((c.available - warmIp) / PREFIX_SIZE), Math.floor((c.total - minimumIp) / PREFIX_SIZE)),
        0,
      );
      return { over, reason: `over ${plural(over, 'prefix', 'prefixes')}: ${spare}, whole free prefixes ${c.wholeFreePrefixes}` };
    }
    case 'warm-eni':
      return { over: 0, reason: 'WARM_ENI_TARGET releases no single IPs, only whole unused ENIs' };
    case 'warm-prefix': {
      const { warmPrefix } = policy;
      if (warmPrefix === 0) {
        // Keep at least one available address, or the next plan would grow right back.
        const over = Math.max(Math.min(c.wholeFreePrefixes, Math.floor((c.available - 1) / PREFIX_SIZE)), 0);
        return { over, reason: `over ${plural(over, 'prefix', 'prefixes')}: whole free prefixes ${c.wholeFreePrefixes}, available ${c.available}, WARM_PREFIX_TARGET 0` };
      }
      const over = Math.max(c.wholeFreePrefixes - warmPrefix, 0);
      return { over, reason: `over ${plural(over, 'prefix', 'prefixes')}: whole free prefixes ${c.wholeFreePrefixes} > WARM_PREFIX_TARGET ${warmPrefix}` };
    }
  }
}

function met(detail: string): Deficit {
  return { short: 0, fillEni: false, reason: `targets met: ${detail}` };
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
