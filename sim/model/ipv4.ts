/**
 * IPv4 arithmetic on unsigned 32-bit integers, the emulator's only address representation. The
 * parsing and formatting are ipamd's (production code may not import `sim/`, the reverse is fine),
 * so both sides agree on what a valid address or CIDR is; the VPC-only helpers live here.
 */
import type { Ipv4Cidr } from '../../ipamd/datastore/ipv4.ts';

export { cidrContains, formatIpv4, parseCidr, parseIpv4 } from '../../ipamd/datastore/ipv4.ts';

export type Cidr = Ipv4Cidr;

export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}
