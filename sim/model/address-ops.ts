import { AwsError } from '../errors.ts';
import { type Cidr, cidrContains, formatIpv4, parseCidr, parseIpv4 } from '../ipv4.ts';
import { maxIpv4PerEniAnyType } from './limits.ts';
import type { SubnetPool } from './subnet-pool.ts';
import type { NetworkInterface, Subnet } from './types.ts';
import type { VpcState } from './vpc-state.ts';

export interface AddressRequest {
  /** Specific secondary addresses. */
  addresses?: readonly string[];
  secondaryCount?: number;
  /** Specific /28 prefixes. */
  prefixes?: readonly string[];
  prefixCount?: number;
}

export interface Claimed {
  ips: number[];
  prefixes: Cidr[];
}

/** How many slots a request takes: each address and each /28 prefix uses one of the ENI's IPv4 slots. */
export function requestedSlots(req: AddressRequest): number {
  return (
    (req.addresses?.length ?? 0) +
    (req.secondaryCount ?? 0) +
    (req.prefixes?.length ?? 0) +
    (req.prefixCount ?? 0)
  );
}

/** EC2 refuses a count next to explicit values, and prefixes next to addresses in one call. */
export function validateAddressRequest(req: AddressRequest): void {
  const hasIps = (req.addresses?.length ?? 0) > 0;
  const hasPrefixes = (req.prefixes?.length ?? 0) > 0;
  const count = req.secondaryCount;
  const pcount = req.prefixCount;
  if (count !== undefined && (hasIps || hasPrefixes || pcount !== undefined)) {
    throw new AwsError(
      'InvalidParameterCombination',
      'SecondaryPrivateIpAddressCount cannot be specified with PrivateIpAddress, Ipv4Prefix or Ipv4PrefixCount.',
    );
  }
  if (pcount !== undefined && (hasIps || hasPrefixes)) {
    throw new AwsError(
      'InvalidParameterCombination',
      'Ipv4PrefixCount cannot be specified with PrivateIpAddress or Ipv4Prefix.',
    );
  }
  if (hasIps && hasPrefixes) {
    throw new AwsError(
      'InvalidParameterCombination',
      'PrivateIpAddress cannot be specified with Ipv4Prefix.',
    );
  }
  for (const [name, v] of [
    ['SecondaryPrivateIpAddressCount', count],
    ['Ipv4PrefixCount', pcount],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${v}) for parameter ${name} is invalid. Expected a positive integer.`,
      );
    }
  }
}

/**
 * Takes addresses and prefixes from the subnet, all or nothing. Explicit addresses that another ENI
 * holds are moved only with `reassign` (AssignPrivateIpAddresses AllowReassignment).
 */
export function claimAddresses(
  state: VpcState,
  subnet: Subnet,
  req: AddressRequest,
  opts: { reassign?: boolean; forEni?: string } = {},
): Claimed {
  const pool = subnet.pool;
  const explicit = (req.addresses ?? []).map((a) => explicitAddress(pool, subnet, a));
  const explicitPrefixes = (req.prefixes ?? []).map((p) => explicitPrefix(pool, p));
  const moves: { from: NetworkInterface; ip: number }[] = [];
  for (const ip of explicit) {
    if (pool.isFree(ip)) continue;
    const owner = ownerOf(state, subnet.id, ip);
    if (owner && owner.id !== opts.forEni && opts.reassign && owner.primaryIp !== ip) {
      moves.push({ from: owner, ip });
      continue;
    }
    throw new AwsError(
      'InvalidIPAddress.InUse',
      `The specified address ${formatIpv4(ip)} is already in use.`,
    );
  }
  if (new Set(explicit).size !== explicit.length) {
    throw new AwsError('InvalidParameterValue', 'The same address was specified more than once.');
  }
  if (new Set(explicitPrefixes.map((p) => p.base)).size !== explicitPrefixes.length) {
    throw new AwsError('InvalidParameterValue', 'The same prefix was specified more than once.');
  }
  for (const p of explicitPrefixes) {
    if (!pool.prefixFree(p)) {
      throw new AwsError(
        'InvalidParameterValue',
        `The prefix ${p.text} is already in use or contains reserved addresses.`,
      );
    }
  }
  const claimed: Claimed = { ips: [], prefixes: [] };
  try {
    for (const ip of explicit) {
      if (pool.isFree(ip)) pool.claimAddress(ip);
      claimed.ips.push(ip);
    }
    for (const p of explicitPrefixes) {
      pool.claimPrefix(p);
      claimed.prefixes.push(p);
    }
    if (req.secondaryCount) claimed.ips.push(...pool.allocateAddresses(req.secondaryCount));
    if (req.prefixCount) claimed.prefixes.push(...pool.allocatePrefixes(req.prefixCount));
  } catch (e) {
    releaseClaimed(
      pool,
      claimed.ips.filter((ip) => !moves.some((m) => m.ip === ip)),
      claimed.prefixes,
    );
    throw e;
  }
  // Reassignment happens only once everything else succeeded, so a failure moves nothing.
  for (const { from, ip } of moves) {
    from.secondaryIps = from.secondaryIps.filter((x) => x !== ip);
    state.emit({ type: 'eni-addresses', eniId: from.id, instanceId: from.attachment?.instanceId });
  }
  return claimed;
}

function releaseClaimed(pool: SubnetPool, ips: readonly number[], prefixes: readonly Cidr[]): void {
  for (const ip of ips) pool.releaseAddress(ip);
  for (const p of prefixes) pool.releasePrefix(p);
}

function explicitAddress(pool: SubnetPool, subnet: Subnet, text: string): number {
  const ip = parseIpv4(text);
  if (ip === undefined) throw new AwsError('InvalidParameterValue', `Invalid IPv4 address: ${text}`);
  if (!cidrContains(subnet.cidr, ip)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Address ${text} does not fall within the subnet's address range (${subnet.cidr.text}).`,
    );
  }
  if (pool.isReserved(ip)) {
    throw new AwsError('InvalidParameterValue', `Address ${text} is reserved by AWS in subnet ${subnet.id}.`);
  }
  return ip;
}

function explicitPrefix(pool: SubnetPool, text: string): Cidr {
  const p = parseCidr(text);
  if (p?.prefixLength !== 28) {
    throw new AwsError('InvalidParameterValue', `Invalid IPv4 prefix '${text}': expected an aligned /28.`);
  }
  if (!cidrContains(pool.cidr, p.base)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Prefix ${text} does not fall within the subnet's address range.`,
    );
  }
  return p;
}

function ownerOf(state: VpcState, subnetId: string, ip: number): NetworkInterface | undefined {
  for (const eni of state.enis.values()) {
    if (eni.subnetId !== subnetId) continue;
    if (eni.primaryIp === ip || eni.secondaryIps.includes(ip)) return eni;
  }
  return undefined;
}

/** Slots an ENI may hold: the attached instance type's limit, or EC2's largest when unattached. */
export function slotLimit(state: VpcState, eni: NetworkInterface): { limit: number; instanceType?: string } {
  const instId = eni.attachment?.instanceId;
  if (!instId) return { limit: maxIpv4PerEniAnyType() };
  const inst = state.instances.get(instId)!;
  return { limit: inst.limits.ipv4PerEni, instanceType: inst.limits.instanceType };
}

export function usedSlots(eni: NetworkInterface): number {
  return 1 + eni.secondaryIps.length + eni.prefixes.length;
}

export function assignPrivateIpAddresses(
  state: VpcState,
  eniId: string,
  req: AddressRequest & { allowReassignment?: boolean },
): Claimed {
  const eni = state.eni(eniId);
  validateAddressRequest(req);
  if (requestedSlots(req) === 0) {
    throw new AwsError(
      'MissingParameter',
      'Either PrivateIpAddress, SecondaryPrivateIpAddressCount, Ipv4Prefix or Ipv4PrefixCount must be specified.',
    );
  }
  const { limit, instanceType } = slotLimit(state, eni);
  if (usedSlots(eni) + requestedSlots(req) > limit) {
    throw new AwsError(
      'PrivateIpAddressLimitExceeded',
      `Number of private addresses will exceed limit${instanceType ? ` for ${instanceType}` : ''}: ${limit} per interface.`,
    );
  }
  if ((req.prefixes?.length || req.prefixCount) && instanceType) {
    const inst = state.instances.get(eni.attachment!.instanceId)!;
    if (inst.limits.hypervisor !== 'nitro' && !inst.limits.bareMetal) {
      throw new AwsError(
        'InvalidParameterValue',
        `Prefix delegation is not supported for instance type ${instanceType}.`,
      );
    }
  }
  const subnet = state.subnets.get(eni.subnetId)!;
  const claimed = claimAddresses(state, subnet, req, {
    reassign: req.allowReassignment ?? false,
    forEni: eni.id,
  });
  eni.secondaryIps.push(...claimed.ips.filter((ip) => !eni.secondaryIps.includes(ip)));
  eni.prefixes.push(...claimed.prefixes);
  state.emit({ type: 'eni-addresses', eniId: eni.id, instanceId: eni.attachment?.instanceId });
  return claimed;
}

export function unassignPrivateIpAddresses(
  state: VpcState,
  eniId: string,
  req: { addresses?: readonly string[]; prefixes?: readonly string[] },
): void {
  const eni = state.eni(eniId);
  const addrs = req.addresses ?? [];
  const prefixes = req.prefixes ?? [];
  if (addrs.length === 0 && prefixes.length === 0) {
    throw new AwsError('MissingParameter', 'Either PrivateIpAddress or Ipv4Prefix must be specified.');
  }
  const ips = addrs.map((a) => {
    const ip = parseIpv4(a);
    if (ip === undefined) throw new AwsError('InvalidParameterValue', `Invalid IPv4 address: ${a}`);
    if (ip === eni.primaryIp) {
      throw new AwsError(
        'InvalidParameterValue',
        `The primary address ${a} of ${eni.id} cannot be unassigned.`,
      );
    }
    if (!eni.secondaryIps.includes(ip)) {
      throw new AwsError(
        'InvalidParameterValue',
        `Some of the specified addresses are not assigned to interface ${eni.id}: ${a}`,
      );
    }
    return ip;
  });
  const cidrs = prefixes.map((p) => {
    const c = parseCidr(p);
    const held = c && eni.prefixes.find((x) => x.base === c.base && x.prefixLength === c.prefixLength);
    if (!held) {
      throw new AwsError('InvalidParameterValue', `The prefix ${p} is not assigned to interface ${eni.id}.`);
    }
    return held;
  });
  const pool = state.subnets.get(eni.subnetId)!.pool;
  eni.secondaryIps = eni.secondaryIps.filter((ip) => !ips.includes(ip));
  eni.prefixes = eni.prefixes.filter((p) => !cidrs.includes(p));
  for (const ip of ips) pool.releaseAddress(ip);
  for (const p of cidrs) pool.releasePrefix(p);
  state.emit({ type: 'eni-addresses', eniId: eni.id, instanceId: eni.attachment?.instanceId });
}
