/**
 * The little IPv4 arithmetic the datastore needs (production code may not import `sim/`).
 * Only canonical dotted quads are accepted: addresses are map keys here, so "10.0.0.05" and
 * "10.0.0.5" must never both be accepted as two different addresses.
 */

export interface Ipv4Cidr {
  readonly base: number;
  readonly prefixLength: number;
  readonly size: number;
  readonly text: string;
}

/** Addresses in one delegated prefix (DESIGN.md §3: a /28 gives 16 pod addresses). */
export const PREFIX_LENGTH = 28;
export const PREFIX_ADDRESSES = 16;

const DOTTED = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

export function parseIpv4(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
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

/** Parses canonical `a.b.c.d/len` with an aligned base (EC2 rejects misaligned CIDRs too). */
export function parseCidr(text: unknown): Ipv4Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash === -1) return undefined;
  const base = parseIpv4(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (base === undefined || !/^(0|[1-9]\d?)$/.test(lenText)) return undefined;
  const prefixLength = Number(lenText);
  if (prefixLength > 32) return undefined;
  const size = 2 ** (32 - prefixLength);
  if (base % size !== 0) return undefined;
  return { base, prefixLength, size, text };
}

export function cidrContains(cidr: Ipv4Cidr, ip: number): boolean {
  return ip >= cidr.base && ip < cidr.base + cidr.size;
}

/** The 16 addresses of a /28, in order. */
export function prefixAddresses(prefix: Ipv4Cidr): string[] {
  const out: string[] = [];
  for (let i = 0; i < prefix.size; i++) out.push(formatIpv4(prefix.base + i));
  return out;
}

/** Numeric order for dotted quads and CIDRs (stable views and snapshots). */
export function compareIpv4(a: string, b: string): number {
  const n = (t: string): number => parseIpv4(t.split('/')[0]) ?? 0;
  return n(a) - n(b);
}
