import { AwsError } from '../errors.ts';
import {
  type AddressRequest,
  claimAddresses,
  requestedSlots,
  validateAddressRequest,
} from './address-ops.ts';
import { parseIpv4 } from '../ipv4.ts';
import { maxIpv4PerEniAnyType } from './limits.ts';
import { validateTags } from './tag-ops.ts';
import type { NetworkInterface } from './types.ts';
import type { VpcState } from './vpc-state.ts';

export interface CreateEniInput extends AddressRequest {
  subnetId: string;
  groupIds?: readonly string[];
  description?: string;
  /** The primary address; otherwise EC2 picks one. */
  primaryIp?: string;
  tags?: Record<string, string>;
  clientToken?: string;
}

export function createNetworkInterface(state: VpcState, input: CreateEniInput): NetworkInterface {
  const { clientToken, ...params } = input;
  const fingerprint = stableJson(params);
  if (clientToken) {
    const existing = state.clientTokens.get(clientToken);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        throw new AwsError('IdempotentParameterMismatch', 'The client token was already used with other parameters.');
      }
      const eni = state.enis.get(existing.eniId);
      if (eni) return eni;
    }
  }
  const subnet = state.subnet(input.subnetId);
  const groupIds = [...(input.groupIds ?? [])];
  for (const g of groupIds) {
    if (state.securityGroup(g).vpcId !== subnet.vpcId) {
      throw new AwsError(
        'InvalidParameterValue',
        `Security group ${g} and subnet ${subnet.id} belong to different networks.`,
      );
    }
  }
  if (groupIds.length === 0) {
    const def = [...state.securityGroups.values()].find(
      (g) => g.vpcId === subnet.vpcId && g.name === 'default',
    );
    if (def) groupIds.push(def.id);
  }
  validateAddressRequest(input);
  if (1 + requestedSlots(input) > maxIpv4PerEniAnyType()) {
    throw new AwsError('PrivateIpAddressLimitExceeded', 'Number of private addresses will exceed limit.');
  }
  if (input.tags) validateTags(input.tags);
  const pool = subnet.pool;
  let primary: number;
  if (input.primaryIp !== undefined) {
    const ip = parseIpv4(input.primaryIp);
    if (ip === undefined)
      throw new AwsError('InvalidParameterValue', `Invalid IPv4 address: ${input.primaryIp}`);
    claimAddresses(state, subnet, { addresses: [input.primaryIp] });
    primary = ip;
  } else {
    [primary] = pool.allocateAddresses(1) as [number];
  }
  let claimed: ReturnType<typeof claimAddresses>;
  try {
    claimed = claimAddresses(state, subnet, input);
  } catch (e) {
    pool.releaseAddress(primary);
    throw e;
  }
  const eni = state.addEni(subnet, {
    primaryIp: primary,
    description: input.description ?? '',
    groupIds,
    secondaryIps: claimed.ips,
    prefixes: claimed.prefixes,
  });
  const tags = state.tagsOf(eni.id);
  for (const [k, v] of Object.entries(input.tags ?? {})) tags.set(k, v);
  if (clientToken) state.clientTokens.set(clientToken, { eniId: eni.id, fingerprint });
  return eni;
}

export function deleteNetworkInterface(state: VpcState, eniId: string): void {
  const eni = state.eni(eniId);
  if (eni.attachment) {
    // What EC2 answers, also while detaching (upstream ipamd meets it in its detach-then-delete
    // race, aws/amazon-vpc-cni-k8s#1399); not IncorrectState.
    throw new AwsError('InvalidParameterValue', `Network interface '${eni.id}' is currently in use.`);
  }
  state.removeEni(eni);
}

export interface ModifyEniInput {
  description?: string;
  sourceDestCheck?: boolean;
  groupIds?: readonly string[];
  attachment?: { attachmentId: string; deleteOnTermination?: boolean };
}

/** EC2 changes one attribute per call. */
export function modifyNetworkInterfaceAttribute(state: VpcState, eniId: string, input: ModifyEniInput): void {
  const eni = state.eni(eniId);
  const given = (['description', 'sourceDestCheck', 'groupIds', 'attachment'] as const).filter(
    (k) => input[k] !== undefined,
  );
  if (given.length === 0) {
    throw new AwsError('MissingParameter', 'The request must contain exactly one attribute to modify.');
  }
  if (given.length > 1) {
    throw new AwsError(
      'InvalidParameterCombination',
      `Only one attribute can be modified at a time: got ${given.join(', ')}.`,
    );
  }
  if (input.attachment) {
    if (!eni.attachment || eni.attachment.id !== input.attachment.attachmentId) {
      throw new AwsError(
        'InvalidAttachmentID.NotFound',
        `The attachment ID '${input.attachment.attachmentId}' does not exist on ${eni.id}`,
      );
    }
    if (input.attachment.deleteOnTermination !== undefined) {
      eni.attachment.deleteOnTermination = input.attachment.deleteOnTermination;
    }
  }
  if (input.groupIds) {
    if (input.groupIds.length === 0)
      throw new AwsError('InvalidParameterValue', 'At least one security group is required.');
    for (const g of input.groupIds) {
      if (state.securityGroup(g).vpcId !== eni.vpcId) {
        throw new AwsError(
          'InvalidParameterValue',
          `Security group ${g} belongs to a different VPC than ${eni.id}.`,
        );
      }
    }
    eni.groupIds = [...input.groupIds];
  }
  if (input.description !== undefined) eni.description = input.description;
  if (input.sourceDestCheck !== undefined) eni.sourceDestCheck = input.sourceDestCheck;
  state.emit({ type: 'eni-modified', eniId: eni.id, instanceId: eni.attachment?.instanceId });
}

/** JSON with object keys sorted at every level, so equal requests give equal fingerprints. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
