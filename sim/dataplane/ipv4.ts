/** IPv4 arithmetic for validating what the EC2 model hands the data plane. No I/O. */
import { DataPlaneError } from './errors.ts';

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

export interface Cidr {
  /** canonical network address */
  network: string;
  length: number;
  /** `network/length` */
  text: string;
}

export function ipv4ToInt(ip: string): number {
  if (!IPV4.test(ip))
    throw new DataPlaneError('INVALID_ARGUMENT', `not an IPv4 address: ${JSON.stringify(ip)}`);
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Checks and canonicalises an IPv4 address (no leading zeros, which `ip` would read differently). */
export function parseIpv4(ip: string, what = 'address'): string {
  try {
    return intToIpv4(ipv4ToInt(ip));
  } catch {
    throw new DataPlaneError('INVALID_ARGUMENT', `${what}: not an IPv4 address: ${JSON.stringify(ip)}`);
  }
}

const mask = (length: number): number => (length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0);

/**
 * Parses `a.b.c.d/len`. With `strict`, host bits must be zero (a /28 prefix as EC2 reports it);
 * the kernel refuses a route whose prefix has host bits set.
 */
export function parseCidr(text: string, what = 'CIDR', strict = true): Cidr {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const length = m ? Number(m[2]) : Number.NaN;
  if (!m || length > 32)
    throw new DataPlaneError('INVALID_ARGUMENT', `${what}: not an IPv4 CIDR: ${JSON.stringify(text)}`);
  const addr = ipv4ToInt(parseIpv4(m[1]!, what));
  const net = (addr & mask(length)) >>> 0;
  if (strict && net !== addr) {
    throw new DataPlaneError(
      'INVALID_ARGUMENT',
      `${what}: ${text} has host bits set (network is ${intToIpv4(net)}/${length})`,
    );
  }
  const network = intToIpv4(net);
  return { network, length, text: `${network}/${length}` };
}

/** AWS reserves the subnet's network address + 1 for the VPC router. */
export function subnetGateway(subnet: Cidr): string {
  return intToIpv4(ipv4ToInt(subnet.network) + 1);
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  return (ipv4ToInt(ip) & mask(cidr.length)) >>> 0 === ipv4ToInt(cidr.network);
}
