/**
 * Validates what the EC2 model hands the data plane before any of it reaches an `ip` batch line
 * (which is also what keeps batch input free of injected lines).
 */
import {
  type Cidr,
  cidrContains,
  formatIpv4,
  networkOf,
  parseAddressWithLength,
  parseCidr,
  parseIpv4,
  subnetGateway,
} from '../ipv4.ts';
import { DataPlaneError } from './errors.ts';
import { routerLinkName } from './names.ts';
import type { DataPlaneEni } from './types.ts';

/** EC2's default ENI MTU (jumbo frames inside a VPC). */
export const DEFAULT_MTU = 9001;

export interface EniSpec {
  eniId: string;
  mac: string;
  deviceIndex: number;
  networkCard: number;
  primaryIp: string;
  subnet: Cidr;
  gateway: string;
  mtu: number;
}

const invalid = (message: string): DataPlaneError => new DataPlaneError('SIM_DATAPLANE_INVALID_ARGUMENT', message);

/** A canonical IPv4 address, or SIM_DATAPLANE_INVALID_ARGUMENT naming `what`. */
export function checkIpv4(text: string, what: string): string {
  const ip = parseIpv4(text);
  if (ip === undefined) throw invalid(`${what}: not an IPv4 address: ${JSON.stringify(text)}`);
  return formatIpv4(ip);
}

/** A network block; the kernel refuses a route whose prefix has host bits set, so they are refused here. */
function checkCidr(text: string, what: string): Cidr {
  const cidr = parseCidr(text);
  if (cidr) return cidr;
  const p = parseAddressWithLength(text);
  if (!p) throw invalid(`${what}: not an IPv4 CIDR: ${JSON.stringify(text)}`);
  const network = formatIpv4(networkOf(p.ip, p.prefixLength));
  throw invalid(`${what}: ${text} has host bits set (network is ${network}/${p.prefixLength})`);
}

export function checkEni(eni: DataPlaneEni): EniSpec {
  const what = `ENI ${eni.eniId}`;
  const mac = String(eni.mac).toLowerCase();
  // Unicast (I/G bit clear): the kernel refuses a multicast address on an interface.
  if (!/^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$/.test(mac)) {
    throw invalid(`${what}: mac is not a unicast MAC: ${eni.mac}`);
  }
  if (!Number.isInteger(eni.deviceIndex) || eni.deviceIndex < 0 || eni.deviceIndex > 99) {
    throw invalid(`${what}: deviceIndex must be an integer 0-99, got ${eni.deviceIndex}`);
  }
  const networkCard = eni.networkCard ?? 0;
  if (!Number.isInteger(networkCard) || networkCard < 0 || networkCard > 15) {
    throw invalid(`${what}: networkCard must be an integer 0-15, got ${eni.networkCard}`);
  }
  const mtu = eni.mtu ?? DEFAULT_MTU;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw invalid(`${what}: mtu must be 68-65535, got ${mtu}`);
  }
  const subnet = checkCidr(eni.subnetCidr, `${what} subnetCidr`);
  if (subnet.prefixLength > 28) {
    throw invalid(`${what}: subnetCidr ${subnet.text} is smaller than a VPC subnet (/28)`);
  }
  const primaryIp = checkIpv4(eni.primaryIp, `${what} primaryIp`);
  if (!cidrContains(subnet, parseIpv4(primaryIp)!)) {
    throw invalid(`${what}: primaryIp ${primaryIp} is outside ${subnet.text}`);
  }
  routerLinkName(eni.eniId); // validates the id
  return {
    eniId: eni.eniId,
    mac,
    deviceIndex: eni.deviceIndex,
    networkCard,
    primaryIp,
    subnet,
    gateway: subnetGateway(subnet),
    mtu,
  };
}

/** EC2 delegates IPv4 prefixes as /28s; anything else is a bug in the caller. */
export function checkPrefix(eniId: string, prefix: string): string {
  const cidr = checkCidr(prefix, `${eniId} prefix`);
  if (cidr.prefixLength !== 28) throw invalid(`${eniId} prefix ${prefix}: EC2 IPv4 prefixes are /28`);
  return cidr.text;
}
