import type { Cidr } from '../ipv4.ts';
import type { SubnetPool } from './subnet-pool.ts';

/** Resource records of the emulated VPC. Mutated only by the operations in this folder. */

export type Tags = Map<string, string>;

export interface Vpc {
  readonly id: string;
  readonly cidrs: readonly Cidr[];
}

export interface Subnet {
  readonly id: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly availabilityZoneId: string;
  readonly cidr: Cidr;
  readonly pool: SubnetPool;
}

export interface SecurityGroup {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly vpcId: string;
}

export interface NetworkCardLimit {
  readonly networkCardIndex: number;
  readonly maximumNetworkInterfaces: number;
}

export interface InstanceTypeLimits {
  readonly instanceType: string;
  readonly maxEnis: number;
  /** IPv4 addresses per ENI, the ENI's primary address included. */
  readonly ipv4PerEni: number;
  readonly hypervisor: string;
  readonly bareMetal: boolean;
  readonly defaultNetworkCardIndex: number;
  readonly networkCards: readonly NetworkCardLimit[];
}

export type AttachmentStatus = 'attaching' | 'attached' | 'detaching' | 'detached';

export interface Attachment {
  readonly id: string;
  readonly instanceId: string;
  readonly deviceIndex: number;
  readonly networkCardIndex: number;
  readonly attachTime: Date;
  status: AttachmentStatus;
  deleteOnTermination: boolean;
}

export type EniStatus = 'available' | 'in-use';

export interface NetworkInterface {
  readonly id: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly macAddress: string;
  readonly primaryIp: number;
  readonly createdAt: number;
  description: string;
  groupIds: string[];
  /** Secondary addresses in the order they were assigned. */
  secondaryIps: number[];
  prefixes: Cidr[];
  status: EniStatus;
  attachment: Attachment | undefined;
  sourceDestCheck: boolean;
  /** Whether this ENI was created with the instance (its primary ENI). */
  readonly requesterManaged: boolean;
}

export type InstanceStateName = 'running' | 'terminated';

export interface Instance {
  readonly id: string;
  readonly limits: InstanceTypeLimits;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly imageId: string;
  readonly launchTime: Date;
  readonly primaryEniId: string;
  state: InstanceStateName;
}

/** What changed, for the views that follow EC2: IMDS (with its lag) and the kernel data plane. */
export type StateEvent =
  | { type: 'instance-launched'; instanceId: string }
  | { type: 'instance-terminated'; instanceId: string }
  | { type: 'eni-attached'; instanceId: string; eniId: string }
  | { type: 'eni-detached'; instanceId: string; eniId: string }
  | { type: 'eni-addresses'; eniId: string; instanceId: string | undefined }
  /** Security groups or other attributes IMDS shows changed. */
  | { type: 'eni-modified'; eniId: string; instanceId: string | undefined }
  | { type: 'eni-deleted'; eniId: string };
