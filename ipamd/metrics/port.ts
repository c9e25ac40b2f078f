/**
 * The events ipamd reports to its metrics (issue 13), as a narrow injected port: the code where an
 * event happens calls one of these and never imports prom-client (only ipamd/metrics/prometheus.ts
 * does, and only when metrics are on). `noMetrics` is the port with metrics off: every call a no-op.
 *
 * Pool state (addresses by state, ENIs, targets, the planner's last decision) is not reported here:
 * the registry reads it from the datastore and reconciler at scrape time (pool-reading.ts).
 */
import type { HostCheckReport } from '../ports.ts';

/** One EC2 call as the adapter saw it, after the SDK's retries. */
export interface Ec2CallOutcome {
  readonly action: string;
  readonly ms: number;
  /** The AWS error code when the call failed (RequestLimitExceeded, InsufficientFreeAddressesInSubnet...). */
  readonly awsCode?: string;
  /** The HTTP status of the last answer; undefined when none came (a lost connection). */
  readonly status?: number;
}

/** One HTTP request to EC2 (an attempt: the SDK's retries and each page are requests of their own). */
export interface Ec2Attempt {
  readonly action: string;
  /** 1 for the first attempt of a call, 2 and up for the SDK's retries. */
  readonly attempt: number;
  /** The AWS error code of the answer, when it was one. */
  readonly awsCode?: string;
}

export type IpamOp = 'add' | 'del';

export interface MetricsPort {
  /** An allocation API request served (or refused): its latency in seconds and outcome. */
  ipamRequest(op: IpamOp, seconds: number, outcome: { ok: boolean; delReason?: string; poolEmpty?: boolean }): void;
  /** A DEL the plugin could not deliver (ipamd was down), replayed at start from its release note. */
  releaseNoteReplayed(): void;
  ec2Call(outcome: Ec2CallOutcome): void;
  ec2Attempt(attempt: Ec2Attempt): void;
  /** An error ipamd handled in `fn` (reconcile, resync, host-network-check, leak-sweep...). */
  ipamdError(fn: string): void;
  /** An action starts; the returned function marks its end (awscni_ipamd_action_inprogress). */
  action(fn: string): () => void;
  /** A reconcile action performed (awscni_reconcile_count). */
  reconciled(fn: string): void;
  /** EC2 took away an ENI or an address while pods used it. */
  forceRemoved(what: 'eni' | 'ip'): void;
  hostCheck(report: HostCheckReport): void;
  /** Start to serving, in seconds since the process started. */
  started(seconds: number, withApiServer: boolean): void;
}

const nothing = (): void => undefined;

export const noMetrics: MetricsPort = {
  ipamRequest: nothing,
  releaseNoteReplayed: nothing,
  ec2Call: nothing,
  ec2Attempt: nothing,
  ipamdError: nothing,
  action: () => nothing,
  reconciled: nothing,
  forceRemoved: nothing,
  hostCheck: nothing,
  started: nothing,
};
