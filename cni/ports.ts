/**
 * What the verbs need from ipamd, in the plugin's own types (DESIGN.md §1: the plugin shares only
 * contract/ with ipamd). main.ts binds it to the ipamd client in ipam/; the verbs never see
 * the wire.
 */
import type { AllocationKey } from '../contract/types.ts';
import type { PodArgs } from './env.ts';
import { IpamError } from './ipam/client.ts';

/** The CNI triple (contract/types.ts): the key of an allocation. */
export type TripleKey = AllocationKey;

export interface AddReply {
  readonly ipv4Address: string;
  /** 0: the main table (primary ENI); else the ENI's table (deviceIndex + 1). */
  readonly routeTable: number;
  readonly eniId: string;
  readonly mtu: number;
  readonly vethPrefix: string;
  /** The triple already held this address before this call (a repeated ADD). */
  readonly existing: boolean;
  /** The pod's host veth name (ipamd names it; the same name it looks for after a restart). */
  readonly hostVethName: string;
}

export interface DelReply {
  readonly released: boolean;
  readonly ipv4Address?: string;
}

export interface HeldAddress {
  readonly networkName: string;
  readonly containerId: string;
  readonly ifName: string;
  readonly podNamespace: string;
  readonly podName: string;
  readonly ipv4Address: string;
  readonly routeTable: number;
}

export interface PoolState {
  readonly serving: boolean;
  readonly freeAddresses: number;
  readonly canGrow: boolean;
  readonly reason: string;
  /** Empty when ipamd's host networking (ENI routes, SNAT) is as it should be. */
  readonly hostNetworkProblem: string;
}

export interface IpamPort {
  add(key: TripleKey, netns: string, pod: PodArgs): Promise<AddReply>;
  /** `pod`: the K8S_POD_* arguments, so ipamd can also release an address it recovered for the pod's veth. */
  del(key: TripleKey, reason: string, pod?: PodArgs): Promise<DelReply>;
  list(): Promise<HeldAddress[]>;
  poolState(): Promise<PoolState>;
}

/**
 * The port fails with the client's IpamError (ipam/client.ts), whose codes the verbs act on:
 * CNI_IPAM_UNAVAILABLE and CNI_IPAM_DEADLINE_EXCEEDED mean ipamd could not be reached in time;
 * CNI_IPAM_POOL_EMPTY that it has no address right now; anything else is its answer.
 */
export const isIpamError = (e: unknown): e is IpamError => e instanceof IpamError;

/** ipamd was not reached (down, starting, stopping, or too slow): DEL then leaves a release note. */
export const unreachable = (e: unknown): boolean =>
  isIpamError(e) && (e.code === 'CNI_IPAM_UNAVAILABLE' || e.code === 'CNI_IPAM_DEADLINE_EXCEEDED');
