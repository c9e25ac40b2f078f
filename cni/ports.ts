/**
 * What the verbs need from ipamd, in the plugin's own types (DESIGN.md §1: the plugin shares only
 * contract/ with ipamd). main.ts binds it to the ipamd client in ipam/; the verbs never see
 * the wire.
 */
import type { AllocationKey } from '../contract/types.ts';
import type { PodArgs } from './env.ts';

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
 * Failure codes the verbs act on: UNAVAILABLE and DEADLINE_EXCEEDED mean ipamd could not be
 * reached in time; POOL_EMPTY that it has no address right now; anything else is its answer.
 */
export type IpamFailureCode = 'UNAVAILABLE' | 'DEADLINE_EXCEEDED' | 'POOL_EMPTY' | (string & {});

/** An answer from ipamd (or the lack of one), as the port's implementation reports it. */
export class IpamFailure extends Error {
  readonly code: IpamFailureCode;
  constructor(code: IpamFailureCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IpamFailure';
    this.code = code;
  }
}

export const isIpamFailure = (e: unknown): e is IpamFailure => e instanceof IpamFailure;

/** ipamd was not reached (down, starting, stopping, or too slow): DEL then leaves a release note. */
export const unreachable = (e: unknown): boolean =>
  isIpamFailure(e) && (e.code === 'UNAVAILABLE' || e.code === 'DEADLINE_EXCEEDED');
