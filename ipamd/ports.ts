/**
 * The narrow ports ipamd's core talks through, in vpcwire's own types: no AWS SDK type crosses
 * them (only `aws/` imports the SDK). Tests drive the real adapters against the emulator.
 */

export interface InstanceIdentity {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly region: string;
  readonly primaryMac: string;
  readonly primaryIp: string;
}

/** One ENI as IMDS shows it (it lags EC2). */
export interface ImdsEni {
  readonly mac: string;
  readonly eniId: string;
  readonly deviceIndex: number;
  readonly networkCard: number;
  readonly subnetId: string;
  readonly subnetCidr: string;
  readonly vpcId: string;
  readonly vpcCidrs: readonly string[];
  readonly securityGroupIds: readonly string[];
  /** Primary first. */
  readonly ipv4s: readonly string[];
  readonly prefixes: readonly string[];
}

export interface ImdsPort {
  /** `singleTry`: one request per path, no retries inside (the caller retries and reports). */
  identity(opts?: { singleTry?: boolean }): Promise<InstanceIdentity>;
  enis(): Promise<ImdsEni[]>;
}

export interface InstanceTypeInfo {
  readonly maxEnis: number;
  readonly ipv4PerEni: number;
  readonly nitro: boolean;
  readonly networkCards: readonly { index: number; maxEnis: number }[];
  readonly defaultNetworkCard: number;
}

export type EniStatus = 'available' | 'in-use' | 'attaching' | 'detaching' | string;

/** One ENI as EC2 shows it: the truth when IMDS disagrees. */
export interface Ec2Eni {
  readonly id: string;
  readonly mac: string;
  readonly status: EniStatus;
  readonly subnetId: string;
  readonly primaryIp: string;
  readonly secondaryIps: readonly string[];
  readonly prefixes: readonly string[];
  readonly groupIds: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly description: string;
  readonly attachment?: {
    readonly id: string;
    readonly instanceId: string;
    readonly deviceIndex: number;
    readonly networkCard: number;
    readonly status: string;
    readonly deleteOnTermination: boolean;
  };
}

export interface CreateEniRequest {
  readonly subnetId: string;
  readonly groupIds: readonly string[];
  readonly description: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Secondary IPs (IP mode) or /28 prefixes (prefix mode) the ENI is created with. */
  readonly secondaryIpCount?: number;
  readonly prefixCount?: number;
}

/** One subnet as DescribeSubnets shows it (subnet discovery, and an ENI's own subnet CIDR). */
export interface Ec2Subnet {
  readonly id: string;
  readonly vpcId: string;
  readonly cidr: string;
  readonly availabilityZone: string;
  /** AvailableIpAddressCount: free addresses now (EC2's five reserved ones excluded). */
  readonly availableIps: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** An EC2 filter: values OR together, filters AND (`vpc-id`, `availability-zone`, `tag:<key>`...). */
export interface Ec2Filter {
  readonly name: string;
  readonly values: readonly string[];
}

export interface Ec2Port {
  instanceType(instanceType: string): Promise<InstanceTypeInfo>;
  /** ENIs attached to an instance (any attachment state). */
  instanceEnis(instanceId: string): Promise<Ec2Eni[]>;
  eni(eniId: string): Promise<Ec2Eni | undefined>;
  /** Available ENIs carrying a tag key with the given value (the leaked-ENI sweep). */
  availableEnisTagged(key: string, value: string): Promise<Ec2Eni[]>;
  createEni(req: CreateEniRequest): Promise<Ec2Eni>;
  attachEni(eniId: string, instanceId: string, deviceIndex: number, networkCard: number): Promise<string>;
  setDeleteOnTermination(eniId: string, attachmentId: string): Promise<void>;
  detachEni(attachmentId: string): Promise<void>;
  deleteEni(eniId: string): Promise<void>;
  assignIps(eniId: string, count: number): Promise<string[]>;
  assignPrefixes(eniId: string, count: number): Promise<string[]>;
  unassignIps(eniId: string, ips: readonly string[]): Promise<void>;
  unassignPrefixes(eniId: string, prefixes: readonly string[]): Promise<void>;
  /** Subnets matching every filter (all pages). */
  subnets(filters: readonly Ec2Filter[]): Promise<Ec2Subnet[]>;
  /**
   * How many mutating calls so far succeeded only after a retry (an earlier attempt may have
   * taken effect unseen); the reconciler resyncs when it grows. Optional for test ports.
   */
  uncertainMutations?(): number;
}

/** Per-action call counts and latencies recorded by the EC2 adapter. */
export interface CallStats {
  calls: number;
  errors: number;
  throttled: number;
  totalMs: number;
  maxMs: number;
}

/** A secondary ENI as host networking needs it (DESIGN.md §2 "Per secondary ENI"). */
export interface HostEni {
  readonly eniId: string;
  readonly mac: string;
  /** On the default network card; its route table is deviceIndex + 1. */
  readonly deviceIndex: number;
  readonly primaryIp: string;
  readonly subnetCidr: string;
}

/** What one comparison of the kernel with what it should be found and did. */
export interface HostCheckReport {
  /** What should have been there and was added, e.g. `rule from 10.0.1.5/32 lookup 2 priority 32765`. */
  readonly missing: readonly string[];
  /** What should not have been there and was removed (stale rules, duplicate jumps, old chains). */
  readonly removed: readonly string[];
  /** What could not be repaired this time (e.g. an ENI's link is not there), retried next check. */
  readonly unrepaired: readonly string[];
  readonly durationMs: number;
}

/**
 * The node's kernel networking as ipamd owns it: per secondary ENI link, address, route table and
 * rule; node egress SNAT, connmark and the fwmark rule. A narrow port so the reconciler is tested
 * without root; the kernel implementation lives in host-network/.
 */
export interface HostNetworkPort {
  /** Configures an ENI (waiting, bounded, for its link to appear); idempotent. Rejects if it cannot. */
  setupEni(eni: HostEni): Promise<void>;
  /** Removes an ENI's rule and table routes; what is already gone is fine. */
  teardownEni(eniId: string): Promise<void>;
  /** Compares the kernel with what it should be and repairs the difference. */
  check(): Promise<HostCheckReport>;
}
