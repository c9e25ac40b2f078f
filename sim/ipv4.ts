/**
 * The emulator's IPv4 arithmetic, for the EC2 model, the data plane and the CLI alike. It is the
 * emulator's own (issue 10 item 3, DESIGN.md §8): `sim/` imports nothing of the product, so that it
 * stays an independent oracle for the code it tests rather than sharing that code's bugs.
 *
 * Addresses are unsigned 32-bit integers. Only canonical text is accepted (dotted quads without
 * leading zeros, prefix lengths without them): "10.0.0.05" must not name a second 10.0.0.5, and
 * `ip` would read a leading zero differently.
 */

export interface Cidr {
  /** network address */
  readonly base: number;
  readonly prefixLength: number;
  /** addresses in the block, 2^(32 - prefixLength) */
  readonly size: number;
  /** `a.b.c.d/len`, canonical */
  readonly text: string;
}

const OCTET = /^(0|[1-9]\d{0,2})$/;
const LENGTH = /^(0|[1-9]\d?)$/;

export function parseIpv4(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!OCTET.test(part) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** `a.b.c.d/len` with host bits allowed: the address and the length, or undefined. */
export function parseAddressWithLength(text: unknown): { ip: number; prefixLength: number } | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash === -1) return undefined;
  const ip = parseIpv4(text.slice(0, slash));
  const len = text.slice(slash + 1);
  if (ip === undefined || !LENGTH.test(len) || Number(len) > 32) return undefined;
  return { ip, prefixLength: Number(len) };
}

/** A network block: `a.b.c.d/len` with no host bits set (EC2 refuses a misaligned CIDR too). */
export function parseCidr(text: unknown): Cidr | undefined {
  const p = parseAddressWithLength(text);
  if (!p || networkOf(p.ip, p.prefixLength) !== p.ip) return undefined;
  return { base: p.ip, prefixLength: p.prefixLength, size: 2 ** (32 - p.prefixLength), text: text as string };
}

/** The network address of `ip` under a prefix length. */
export function networkOf(ip: number, prefixLength: number): number {
  const size = 2 ** (32 - prefixLength);
  return ip - (ip % size);
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  return ip >= cidr.base && ip < cidr.base + cidr.size;
}

export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** AWS reserves a subnet's network address + 1 for the VPC router (its gateway). */
export function subnetGateway(subnet: Cidr): string {
  return formatIpv4(subnet.base + 1);
}
