import { AwsError } from '../errors.ts';
import { type Clock, systemClock } from './clock.ts';
import { eniMac, resourceId } from './ids.ts';
import { type Cidr, cidrsOverlap, cidrWithin, parseCidr } from '../ipv4.ts';
import { instanceTypeLimits } from './limits.ts';
import { SubnetPool } from './subnet-pool.ts';
import type {
  Attachment,
  Instance,
  NetworkInterface,
  SecurityGroup,
  StateEvent,
  Subnet,
  Tags,
  Vpc,
} from './types.ts';

export interface Timings {
  /** attaching -> attached. */
  attachDelayMs: number;
  /** detaching -> detached (ENI available). */
  detachDelayMs: number;
}

export interface VpcStateOptions {
  accountId?: string;
  region?: string;
  timings?: Partial<Timings>;
  clock?: Clock;
}

const ID_SHAPES: Record<string, RegExp> = {
  eni: /^eni-[0-9a-f]{8,17}$/,
  i: /^i-[0-9a-f]{8,17}$/,
  subnet: /^subnet-[0-9a-f]{8,17}$/,
  sg: /^sg-[0-9a-f]{8,17}$/,
  vpc: /^vpc-[0-9a-f]{8,17}$/,
  'eni-attach': /^eni-attach-[0-9a-f]{8,17}$/,
};

/**
 * The emulated account's VPC resources and the events other views follow. Operations live in
 * small modules beside this one (eni-ops, attachment-ops, address-ops, tag-ops); this class
 * only holds records, resolves IDs into EC2's NotFound/Malformed errors and runs the timers of
 * state transitions.
 */
export class VpcState {
  readonly accountId: string;
  readonly region: string;
  readonly clock: Clock;
  readonly timings: Timings;
  readonly vpcs = new Map<string, Vpc>();
  readonly subnets = new Map<string, Subnet>();
  readonly securityGroups = new Map<string, SecurityGroup>();
  readonly instances = new Map<string, Instance>();
  readonly enis = new Map<string, NetworkInterface>();
  readonly tags = new Map<string, Tags>();
  /** CreateNetworkInterface ClientToken -> ENI id: the SDK retries with the same token. */
  readonly clientTokens = new Map<string, { eniId: string; fingerprint: string }>();
  readonly #listeners = new Set<(ev: StateEvent) => void>();
  readonly #timers = new Set<() => void>();
  #closed = false;

  constructor(opts: VpcStateOptions = {}) {
    this.accountId = opts.accountId ?? '111122223333';
    this.region = opts.region ?? 'us-west-2';
    this.clock = opts.clock ?? systemClock;
    this.timings = { attachDelayMs: 0, detachDelayMs: 0, ...opts.timings };
  }

  on(listener: (ev: StateEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(ev: StateEvent): void {
    for (const l of this.#listeners) l(ev);
  }

  /** Runs fn after ms, or at once when ms is 0 so that fast test profiles stay synchronous. */
  after(ms: number, fn: () => void): void {
    if (this.#closed) return;
    if (ms <= 0) {
      fn();
      return;
    }
    const cancel = this.clock.setTimeout(() => {
      this.#timers.delete(cancel);
      fn();
    }, ms);
    this.#timers.add(cancel);
  }

  /** True once the emulator stopped: no request may change anything any more. */
  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
    this.#listeners.clear();
  }

  tagsOf(resourceId: string): Tags {
    let t = this.tags.get(resourceId);
    if (!t) {
      t = new Map();
      this.tags.set(resourceId, t);
    }
    return t;
  }

  // --- ID resolution with EC2's error codes -------------------------------------------------

  eni(id: string): NetworkInterface {
    checkShape('eni', id, 'InvalidNetworkInterfaceID.Malformed', `Invalid id: "${id}" (expecting "eni-...")`);
    const eni = this.enis.get(id);
    if (!eni) {
      throw new AwsError(
        'InvalidNetworkInterfaceID.NotFound',
        `The networkInterface ID '${id}' does not exist`,
      );
    }
    return eni;
  }

  instance(id: string): Instance {
    checkShape('i', id, 'InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    const inst = this.instances.get(id);
    if (!inst) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return inst;
  }

  subnet(id: string): Subnet {
    checkShape('subnet', id, 'InvalidSubnetID.Malformed', `Invalid id: "${id}"`);
    const s = this.subnets.get(id);
    if (!s) throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
    return s;
  }

  securityGroup(id: string): SecurityGroup {
    checkShape('sg', id, 'InvalidGroupId.Malformed', `Invalid id: "${id}"`);
    const g = this.securityGroups.get(id);
    if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    return g;
  }

  attachment(id: string): { eni: NetworkInterface; attachment: Attachment } {
    checkShape('eni-attach', id, 'InvalidAttachmentID.Malformed', `Invalid id: "${id}"`);
    for (const eni of this.enis.values()) {
      if (eni.attachment?.id === id) return { eni, attachment: eni.attachment };
    }
    throw new AwsError('InvalidAttachmentID.NotFound', `The attachment ID '${id}' does not exist`);
  }

  /** ENIs attached (in any attachment state) to an instance, by device index. */
  enisOf(instanceId: string): NetworkInterface[] {
    return [...this.enis.values()]
      .filter((e) => e.attachment?.instanceId === instanceId)
      .sort((a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0));
  }

  // --- Topology (what the console or CloudFormation would have made) -----------------------

  addVpc(cidrTexts: readonly string[], tags: Record<string, string> = {}): Vpc {
    const cidrs = cidrTexts.map((t) => mustCidr(t, 'VPC CIDR'));
    const vpc: Vpc = { id: resourceId('vpc'), cidrs };
    this.vpcs.set(vpc.id, vpc);
    this.#setTags(vpc.id, tags);
    return vpc;
  }

  addSubnet(
    vpcId: string,
    cidrText: string,
    availabilityZone: string,
    tags: Record<string, string> = {},
  ): Subnet {
    const vpc = this.vpcs.get(vpcId);
    if (!vpc) throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
    const cidr = mustCidr(cidrText, 'subnet CIDR');
    if (!vpc.cidrs.some((c) => cidrWithin(cidr, c))) {
      throw new AwsError('InvalidSubnet.Range', `The CIDR '${cidr.text}' is invalid for this VPC.`);
    }
    for (const s of this.subnets.values()) {
      if (s.vpcId === vpcId && cidrsOverlap(s.cidr, cidr)) {
        throw new AwsError('InvalidSubnet.Conflict', `The CIDR '${cidr.text}' conflicts with another subnet`);
      }
    }
    const zoneLetter = availabilityZone.slice(-1);
    const subnet: Subnet = {
      id: resourceId('subnet'),
      vpcId,
      availabilityZone,
      availabilityZoneId: `usw2-az${(zoneLetter.charCodeAt(0) - 96) | 0}`,
      cidr,
      pool: new SubnetPool(cidr),
    };
    this.subnets.set(subnet.id, subnet);
    this.#setTags(subnet.id, tags);
    return subnet;
  }

  addSecurityGroup(vpcId: string, name: string, description = name): SecurityGroup {
    if (!this.vpcs.has(vpcId))
      throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
    const sg: SecurityGroup = { id: resourceId('sg'), name, description, vpcId };
    this.securityGroups.set(sg.id, sg);
    return sg;
  }

  /** A running instance with its primary ENI at device 0, as RunInstances leaves it. */
  launchInstance(spec: {
    instanceType: string;
    subnetId: string;
    securityGroupIds?: readonly string[];
    tags?: Record<string, string>;
  }): Instance {
    const limits = instanceTypeLimits(spec.instanceType);
    if (!limits) {
      throw new AwsError('InvalidParameterValue', `Invalid value '${spec.instanceType}' for InstanceType.`);
    }
    const subnet = this.subnet(spec.subnetId);
    const groupIds = [...(spec.securityGroupIds ?? [])];
    for (const g of groupIds) this.securityGroup(g);
    const [ip] = subnet.pool.allocateAddresses(1);
    const instanceId = resourceId('i');
    const now = this.clock.now();
    const eni = this.addEni(subnet, { primaryIp: ip!, description: '', groupIds, secondaryIps: [], prefixes: [] });
    eni.status = 'in-use';
    eni.attachment = {
      id: resourceId('eni-attach'),
      instanceId,
      deviceIndex: 0,
      networkCardIndex: limits.defaultNetworkCardIndex,
      attachTime: new Date(now),
      status: 'attached',
      deleteOnTermination: true,
    };
    const instance: Instance = {
      id: instanceId,
      limits,
      subnetId: subnet.id,
      vpcId: subnet.vpcId,
      availabilityZone: subnet.availabilityZone,
      imageId: 'ami-0vpcwire0emulated',
      launchTime: new Date(now),
      primaryEniId: eni.id,
      state: 'running',
    };
    this.instances.set(instanceId, instance);
    this.#setTags(instanceId, spec.tags ?? {});
    this.emit({ type: 'instance-launched', instanceId });
    this.emit({ type: 'eni-attached', instanceId, eniId: eni.id });
    return instance;
  }

  /** Detaches every ENI at once; DeleteOnTermination decides which ENIs go with the instance. */
  terminateInstance(instanceId: string): void {
    const inst = this.instance(instanceId);
    if (inst.state === 'terminated') return;
    for (const eni of this.enisOf(instanceId)) {
      const deleteIt = eni.attachment?.deleteOnTermination ?? false;
      eni.attachment = undefined;
      eni.status = 'available';
      this.emit({ type: 'eni-detached', instanceId, eniId: eni.id });
      if (deleteIt) this.removeEni(eni);
    }
    inst.state = 'terminated';
    this.emit({ type: 'instance-terminated', instanceId });
  }

  /** Records a new, unattached ENI whose addresses the caller has already taken from the subnet. */
  addEni(
    subnet: Subnet,
    f: Pick<NetworkInterface, 'primaryIp' | 'description' | 'groupIds' | 'secondaryIps' | 'prefixes'>,
  ): NetworkInterface {
    const eni: NetworkInterface = {
      ...f,
      id: resourceId('eni'),
      subnetId: subnet.id,
      vpcId: subnet.vpcId,
      availabilityZone: subnet.availabilityZone,
      macAddress: eniMac(),
      createdAt: this.clock.now(),
      status: 'available',
      attachment: undefined,
      sourceDestCheck: true,
      requesterManaged: false,
    };
    this.enis.set(eni.id, eni);
    return eni;
  }

  /** Drops an ENI and gives its addresses back to the subnet. */
  removeEni(eni: NetworkInterface): void {
    const pool = this.subnets.get(eni.subnetId)!.pool;
    pool.releaseAddress(eni.primaryIp);
    for (const ip of eni.secondaryIps) pool.releaseAddress(ip);
    for (const p of eni.prefixes) pool.releasePrefix(p);
    this.enis.delete(eni.id);
    this.tags.delete(eni.id);
    this.emit({ type: 'eni-deleted', eniId: eni.id });
  }

  #setTags(id: string, tags: Record<string, string>): void {
    const t = this.tagsOf(id);
    for (const [k, v] of Object.entries(tags)) t.set(k, v);
  }
}

function checkShape(kind: string, id: string, code: string, message: string): void {
  if (!ID_SHAPES[kind]!.test(id)) throw new AwsError(code, message);
}

function mustCidr(text: string, what: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw new AwsError('InvalidParameterValue', `Value (${text}) for ${what} is invalid.`);
  return c;
}
