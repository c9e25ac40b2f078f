/** IPv4 arithmetic on unsigned 32-bit integers; the emulator's only address representation. */

export interface Cidr {
  readonly base: number;
  readonly prefixLength: number;
  readonly size: number;
  readonly text: string;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | undefined {
  const m = DOTTED.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Parses `a.b.c.d/len`; the base must be aligned (EC2 rejects misaligned CIDRs too). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash === -1) return undefined;
  const base = parseIpv4(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (base === undefined || !/^\d{1,2}$/.test(lenText)) return undefined;
  const prefixLength = Number(lenText);
  if (prefixLength > 32) return undefined;
  const size = 2 ** (32 - prefixLength);
  if (base % size !== 0) return undefined;
  return { base, prefixLength, size, text: `${formatIpv4(base)}/${prefixLength}` };
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

/** The VPC router's address in a subnet: network address + 1 (AWS reserves it). */
export function subnetGateway(cidr: Cidr): string {
  return formatIpv4(cidr.base + 1);
}
