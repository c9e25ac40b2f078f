/**
 * What the allocation API needs from ipamd's core (DESIGN.md §4), in vpcwire's own types: the
 * server translates gRPC messages to these and back, so the core never sees generated proto
 * objects and the API never sees the core's internals.
 */
import type { AllocationKey, PodRef } from '../../contract/types.ts';

export type { AllocationKey, PodRef } from '../../contract/types.ts';

export interface AddRequest {
  readonly key: AllocationKey;
  /** CNI_NETNS, an absolute path. */
  readonly netns: string;
  readonly pod: PodRef;
}

/** Everything the CNI plugin needs to wire the pod without asking anything else. */
export interface AddResult {
  readonly ipv4Address: string;
  readonly deviceIndex: number;
  /** 0 = the main table (primary ENI); otherwise deviceIndex + 1: see routeTableFor. */
  readonly routeTable: number;
  readonly eniId: string;
  readonly eniMac: string;
  readonly subnetCidr: string;
  readonly subnetGateway: string;
  readonly vpcCidrs: readonly string[];
  readonly mtu: number;
  readonly vethPrefix: string;
  /** The /28 the address came from (prefix mode); undefined in secondary-IP mode. */
  readonly prefix?: string;
  /** The triple already held this address (a repeated ADD); absent means false. */
  readonly existing?: boolean;
  /** The pod's host veth name (see ipamd/veth.ts); absent from a core that does not name it. */
  readonly hostVethName?: string;
}

export interface DelRequest {
  readonly key: AllocationKey;
  /** Why, for the log (e.g. "cni-del", "cni-gc", "release-note"); may be empty. */
  readonly reason: string;
  /** From CNI_ARGS when given: names the pod's veth, to release an address recovered for it. */
  readonly pod?: Pick<PodRef, 'namespace' | 'name'>;
}

/** released = false: the triple held nothing (DEL is idempotent, DESIGN.md §3). */
export type DelResult =
  | { readonly released: false }
  | { readonly released: true; readonly ipv4Address: string; readonly deviceIndex: number; readonly routeTable: number };

export type AddressState = 'free' | 'assigned' | 'cooling';

export interface AddressStatus {
  readonly ip: string;
  readonly state: AddressState;
}

export interface PrefixStatus {
  readonly prefix: string;
  readonly addresses: readonly AddressStatus[];
}

export interface EniStatus {
  readonly id: string;
  readonly deviceIndex: number;
  readonly mac: string;
  readonly primaryIp: string;
  readonly isPrimary: boolean;
  readonly subnetCidr: string;
  readonly addresses: readonly AddressStatus[];
  readonly prefixes: readonly PrefixStatus[];
}

export interface AllocationStatus {
  readonly key: AllocationKey;
  readonly pod: PodRef;
  readonly ipv4Address: string;
  readonly eniId: string;
  /** Milliseconds since the Unix epoch. */
  readonly allocatedAt: number;
  /** The host route table the pod's traffic uses (routeTableFor its ENI's device index). */
  readonly routeTable: number;
  /** Rebuilt from the kernel after the checkpoint lost it: key and pod are empty. */
  readonly recovered?: boolean;
  /** The pod's host veth, when ipamd recorded it. */
  readonly hostVethName?: string;
}

export interface Status {
  readonly instanceId: string;
  readonly prefixMode: boolean;
  readonly enis: readonly EniStatus[];
  readonly allocations: readonly AllocationStatus[];
  /** Targets and limits as configured, e.g. { WARM_IP_TARGET: '5', max_pods: '11' }. */
  readonly poolTargets: Readonly<Record<string, string>>;
  /** Drift found between the ledger, EC2 and the kernel, by kind (ipamd/drift.ts). */
  readonly driftCounts?: Readonly<Record<string, number>>;
}

/** Whether an AddNetwork now would get an address (the CNI STATUS verb, CNI 1.1). */
export interface PoolStatus {
  readonly freeAddresses: number;
  readonly assignedAddresses: number;
  readonly canGrow: boolean;
  /** Why it cannot allocate, when nothing is free and it cannot grow; otherwise ''. */
  readonly reason: string;
  /** '' while host networking is as it should be; else what is wrong and could not be repaired. */
  readonly hostNetworkProblem?: string;
}

/**
 * Implemented by ipamd's core. Errors are mapped to gRPC statuses by their class (status-map.ts):
 * PoolEmptyError -> RESOURCE_EXHAUSTED, DatastoreArgumentError -> INVALID_ARGUMENT, anything
 * else -> INTERNAL.
 */
export interface IpamHandlers {
  add(req: AddRequest): Promise<AddResult>;
  del(req: DelRequest): Promise<DelResult>;
  status(): Promise<Status>;
  poolStatus(): Promise<PoolStatus>;
}

/** What the status reply adds on top of the core's Status. */
export interface StatusReport extends Status {
  readonly apiVersion: string;
  readonly serving: boolean;
}

/** The host route table for an ENI's pods: the main table for the primary ENI, else device + 1. */
export const routeTableFor = (deviceIndex: number): number => (deviceIndex === 0 ? 0 : deviceIndex + 1);

/** The minimal logger the API uses; a winston Logger satisfies it. */
export interface ApiLogger {
  debug(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}
