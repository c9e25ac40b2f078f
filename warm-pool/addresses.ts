/**
 * IPv4 arithmetic the planner needs: ordering addresses numerically ("10.0.0.9" before "10.0.0.10")
 * and expanding a /28 into its 16 addresses, since a PrefixView may list only some of them
 * (unlisted ones are free, see types.ts).
 */
import type { AddressView, PrefixView } from './types.ts';

/** Addresses in one delegated /28 prefix (DESIGN.md §3). */
export const PREFIX_SIZE = 16;

/** The address as an unsigned 32-bit number, or undefined when it is not dotted-quad IPv4. */
export function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Numeric order for IPv4 addresses and CIDRs (by network address); plain string order otherwise. */
export function compareAddresses(a: string, b: string): number {
  const na = ipv4ToNumber(a.split('/')[0]!);
  const nb = ipv4ToNumber(b.split('/')[0]!);
  if (na !== undefined && nb !== undefined && na !== nb) return na - nb;
  if (na !== undefined && nb === undefined) return -1;
  if (na === undefined && nb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The 16 addresses of the prefix with their states: listed addresses keep their state, the others
 * are free. A prefix that is not an IPv4 CIDR yields only what is listed.
 */
export function prefixAddresses(prefix: PrefixView): readonly AddressView[] {
  const base = ipv4ToNumber(prefix.prefix.split('/')[0]!);
  if (base === undefined) return prefix.addresses;
  const network = base - (base % PREFIX_SIZE);
  const listed = new Map(prefix.addresses.map((a) => [a.ip, a] as const));
  const all: AddressView[] = [];
  for (let i = 0; i < PREFIX_SIZE; i++) {
    const ip = numberToIpv4(network + i);
    all.push(listed.get(ip) ?? { ip, state: 'free' });
  }
  return all;
}
