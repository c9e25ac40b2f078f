/**
 * ipamd's EC2 and IMDS ports straight on the emulator's state model (issue 10 item 7): the same
 * VPC rules, limits and errors as the HTTP emulator, with no Query protocol, SigV4 or SDK between,
 * so reconciler tests run in milliseconds. The HTTP path stays covered by the integration tests
 * (pool-behaviour, crash-recovery, ec2-fault-convergence). Errors are classified exactly as the
 * real adapter classifies the SDK's (ipamd/aws/classify.ts).
 */
import { randomUUID } from 'node:crypto';
import { classifyAwsError } from '../../ipamd/aws/classify.ts';
import type { CreateEniRequest, Ec2Eni, Ec2Filter, Ec2Port, Ec2Subnet, ImdsEni, ImdsPort, InstanceIdentity, InstanceTypeInfo } from '../../ipamd/ports.ts';
import { subnetFilters } from '../../sim/ec2/actions/describe.ts';
import { applyFilters } from '../../sim/ec2/filters.ts';
import { AwsError } from '../../sim/errors.ts';
import { assignPrivateIpAddresses, unassignPrivateIpAddresses } from '../../sim/model/address-ops.ts';
import { attachNetworkInterface, detachNetworkInterface } from '../../sim/model/attachment-ops.ts';
import { createNetworkInterface, deleteNetworkInterface, modifyNetworkInterfaceAttribute } from '../../sim/model/eni-ops.ts';
import { type Cidr, formatIpv4 } from '../../sim/ipv4.ts';

const formatCidr = (c: Cidr): string => c.text;
import { instanceTypeLimits } from '../../sim/model/limits.ts';
import type { NetworkInterface } from '../../sim/model/types.ts';
import type { VpcState } from '../../sim/model/vpc-state.ts';

export class MemoryEc2 implements Ec2Port {
  readonly #state: VpcState;
  /** Calls per action, as the real adapter's stats count them. */
  readonly calls = new Map<string, number>();

  constructor(state: VpcState) {
    this.#state = state;
  }

  #call<T>(action: string, fn: () => T): Promise<T> {
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    try {
      return Promise.resolve(fn());
    } catch (e) {
      if (!(e instanceof AwsError)) return Promise.reject(e);
      return Promise.reject(classifyAwsError(action, { Code: e.code, message: e.message, $metadata: { httpStatusCode: e.status } }));
    }
  }

  instanceType(type: string): Promise<InstanceTypeInfo> {
    return this.#call('DescribeInstanceTypes', () => {
      const l = instanceTypeLimits(type);
      if (!l) throw new AwsError('InvalidInstanceType', `unknown instance type ${type}`);
      const cards = l.networkCards.map((c) => ({ index: c.networkCardIndex, maxEnis: c.maximumNetworkInterfaces }));
      return {
        maxEnis: cards.find((c) => c.index === l.defaultNetworkCardIndex)?.maxEnis ?? l.maxEnis,
        ipv4PerEni: l.ipv4PerEni,
        nitro: l.hypervisor === 'nitro' || l.bareMetal,
        networkCards: cards,
        defaultNetworkCard: l.defaultNetworkCardIndex,
      };
    });
  }

  instanceEnis(instanceId: string): Promise<Ec2Eni[]> {
    return this.#call('DescribeNetworkInterfaces', () => this.#state.enisOf(instanceId).map((e) => this.#view(e)));
  }

  eni(eniId: string): Promise<Ec2Eni | undefined> {
    return this.#call('DescribeNetworkInterfaces', () => {
      const e = this.#state.enis.get(eniId);
      return e ? this.#view(e) : undefined;
    });
  }

  availableEnisTagged(key: string, value: string): Promise<Ec2Eni[]> {
    return this.#call('DescribeNetworkInterfaces', () =>
      [...this.#state.enis.values()].filter((e) => e.status === 'available' && this.#state.tagsOf(e.id).get(key) === value).map((e) => this.#view(e)),
    );
  }

  createEni(req: CreateEniRequest): Promise<Ec2Eni> {
    return this.#call('CreateNetworkInterface', () =>
      this.#view(
        createNetworkInterface(this.#state, {
          subnetId: req.subnetId,
          groupIds: req.groupIds,
          description: req.description,
          tags: { ...req.tags },
          clientToken: randomUUID(),
          ...(req.secondaryIpCount ? { secondaryCount: req.secondaryIpCount } : {}),
          ...(req.prefixCount ? { prefixCount: req.prefixCount } : {}),
        }),
      ),
    );
  }

  attachEni(eniId: string, instanceId: string, deviceIndex: number, networkCard: number): Promise<string> {
    return this.#call('AttachNetworkInterface', () => attachNetworkInterface(this.#state, { eniId, instanceId, deviceIndex, networkCardIndex: networkCard }).id);
  }

  setDeleteOnTermination(eniId: string, attachmentId: string): Promise<void> {
    return this.#call('ModifyNetworkInterfaceAttribute', () =>
      modifyNetworkInterfaceAttribute(this.#state, eniId, { attachment: { attachmentId, deleteOnTermination: true } }),
    );
  }

  detachEni(attachmentId: string): Promise<void> {
    return this.#call('DetachNetworkInterface', () => detachNetworkInterface(this.#state, attachmentId));
  }

  deleteEni(eniId: string): Promise<void> {
    return this.#call('DeleteNetworkInterface', () => deleteNetworkInterface(this.#state, eniId));
  }

  assignIps(eniId: string, count: number): Promise<string[]> {
    return this.#call('AssignPrivateIpAddresses', () => assignPrivateIpAddresses(this.#state, eniId, { secondaryCount: count }).ips.map(formatIpv4));
  }

  assignPrefixes(eniId: string, count: number): Promise<string[]> {
    return this.#call('AssignPrivateIpAddresses', () => assignPrivateIpAddresses(this.#state, eniId, { prefixCount: count }).prefixes.map(formatCidr));
  }

  unassignIps(eniId: string, ips: readonly string[]): Promise<void> {
    return this.#call('UnassignPrivateIpAddresses', () => unassignPrivateIpAddresses(this.#state, eniId, { addresses: ips }));
  }

  unassignPrefixes(eniId: string, prefixes: readonly string[]): Promise<void> {
    return this.#call('UnassignPrivateIpAddresses', () => unassignPrivateIpAddresses(this.#state, eniId, { prefixes }));
  }

  subnets(filters: readonly Ec2Filter[]): Promise<Ec2Subnet[]> {
    return this.#call('DescribeSubnets', () =>
      applyFilters(
        [...this.#state.subnets.values()],
        filters.map((f) => ({ name: f.name, values: [...f.values] })),
        subnetFilters(this.#state),
      ).map((s) => ({
        id: s.id,
        vpcId: s.vpcId,
        cidr: formatCidr(s.cidr),
        availabilityZone: s.availabilityZone,
        availableIps: s.pool.availableCount,
        tags: Object.fromEntries(this.#state.tagsOf(s.id)),
      })),
    );
  }

  #view(e: NetworkInterface): Ec2Eni {
    const a = e.attachment;
    return {
      id: e.id,
      mac: e.macAddress,
      status: e.status,
      subnetId: e.subnetId,
      primaryIp: formatIpv4(e.primaryIp),
      secondaryIps: e.secondaryIps.map(formatIpv4),
      prefixes: e.prefixes.map(formatCidr),
      groupIds: [...e.groupIds],
      tags: Object.fromEntries(this.#state.tagsOf(e.id)),
      description: e.description,
      ...(a
        ? { attachment: { id: a.id, instanceId: a.instanceId, deviceIndex: a.deviceIndex, networkCard: a.networkCardIndex, status: a.status, deleteOnTermination: a.deleteOnTermination } }
        : {}),
    };
  }
}

/** IMDS of one instance, read from the same state with no lag. */
export function memoryImds(state: VpcState, instanceId: string, region: string): ImdsPort {
  const inst = state.instance(instanceId);
  const view = (e: NetworkInterface): ImdsEni => {
    const subnet = state.subnet(e.subnetId);
    const vpc = state.vpcs.get(e.vpcId)!;
    return {
      mac: e.macAddress,
      eniId: e.id,
      deviceIndex: e.attachment!.deviceIndex,
      networkCard: e.attachment!.networkCardIndex,
      subnetId: e.subnetId,
      subnetCidr: formatCidr(subnet.cidr),
      vpcId: e.vpcId,
      vpcCidrs: vpc.cidrs.map(formatCidr),
      securityGroupIds: [...e.groupIds],
      ipv4s: [e.primaryIp, ...e.secondaryIps].map(formatIpv4),
      prefixes: e.prefixes.map(formatCidr),
    };
  };
  return {
    identity: async (): Promise<InstanceIdentity> => {
      const primary = state.eni(inst.primaryEniId);
      return {
        instanceId,
        instanceType: inst.limits.instanceType,
        availabilityZone: inst.availabilityZone,
        region,
        primaryMac: primary.macAddress,
        primaryIp: formatIpv4(primary.primaryIp),
      };
    },
    enis: async () => state.enisOf(instanceId).filter((e) => e.attachment?.status === 'attached').map(view),
  };
}
