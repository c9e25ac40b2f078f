/**
 * The datastore's records (DESIGN.md §3): allocations keyed by the CNI triple, and the pool of
 * ENIs with their secondary IPs or /28 prefixes. Plain readonly data; the Datastore owns them.
 */
import type { AllocationKey } from '../../contract/types.ts';
import type { AddressState, PoolSnapshot } from '../../warm-pool/types.ts';

/** The CNI triple: one attachment of one container; the API's own type (contract/types.ts). */
export type { AllocationKey };

/**
 * The pod behind an attachment as the ledger records it: contract/types.ts's PodRef normalised,
 * each of `K8S_POD_NAMESPACE`, `K8S_POD_NAME`, `K8S_POD_UID` empty when the runtime did not pass
 * it (podman passes only the name; nerdctl, cnitool none).
 */
export interface RecordedPod {
  readonly namespace: string;
  readonly name: string;
  /** Empty when the runtime did not pass K8S_POD_UID. */
  readonly uid: string;
}

export interface Allocation {
  readonly key: AllocationKey;
  readonly pod: RecordedPod;
  readonly ip: string;
  readonly eniId: string;
  /** The ENI's device index: the pod's from-rule uses route table deviceIndex + 1 (DESIGN.md §2). */
  readonly deviceIndex: number;
  /** The /28 holding `ip`, in prefix mode. */
  readonly prefix?: string;
  /** Epoch milliseconds from the injected clock. */
  readonly allocatedAt: number;
  /** The pod's host veth (ipamd/veth.ts names it); absent in checkpoints older than this field. */
  readonly hostVeth?: string;
  /**
   * Rebuilt from the kernel (a live host veth routes the address) after the checkpoint lost it
   * (issue 9 item 1): no CNI triple is known, so `key` is empty. Released by a DEL or ADD whose
   * pod names the same veth, or when the veth disappears.
   */
  readonly recovered?: true;
}

/** An ENI as the reconciler reports it (from IMDS / DescribeNetworkInterfaces). */
export interface EniSpec {
  readonly id: string;
  readonly deviceIndex: number;
  readonly mac: string;
  readonly isPrimary: boolean;
  readonly subnetCidr: string;
  /** The ENI's own primary address: never a pod address. */
  readonly primaryIp: string;
  /** When ipamd created or adopted it (epoch ms); defaults to the clock's now. */
  readonly createdAt?: number;
  readonly secondaryIps?: readonly string[];
  readonly prefixes?: readonly string[];
}

/** An ENI held by the datastore, with its pod address slots. */
export interface Eni {
  readonly id: string;
  readonly deviceIndex: number;
  readonly mac: string;
  readonly isPrimary: boolean;
  readonly subnetCidr: string;
  readonly primaryIp: string;
  readonly createdAt: number;
  /** Secondary IPv4 addresses (IP mode), numeric order. */
  readonly secondaryIps: readonly string[];
  /** /28 prefixes (prefix mode), numeric order. Both lists may be non-empty while a node switches mode. */
  readonly prefixes: readonly string[];
}

/** One pod address slot as the datastore holds it: its ENI, prefix, state and holder (the API shows a slimmer AddressStatus). */
export interface AddressRecord {
  readonly ip: string;
  readonly eniId: string;
  readonly prefix?: string;
  readonly state: AddressState;
  /** Epoch ms when a cooling address becomes usable again. */
  readonly coolingUntil?: number;
  /** The attachment holding an assigned address. */
  readonly allocatedTo?: AllocationKey;
}

/** A released address that must not be handed out before `until` (epoch ms; IP_COOLDOWN_PERIOD). */
export interface CoolingEntry {
  readonly ip: string;
  readonly until: number;
}

/** What the checkpoint holds: the ledger, not the pool (ENIs are rebuilt from IMDS/EC2 on start). */
export interface CheckpointState {
  readonly allocations: readonly Allocation[];
  readonly cooling: readonly CoolingEntry[];
}

/** Picks a free, non-cooling address (warm-pool's chooser: the fullest ENI first). */
export type AddressChooser = (snapshot: PoolSnapshot) => { eniId: string; ip: string } | undefined;

/** Whether the pod's host veth still exists (a port, so restore is testable without root). */
export type VethExists = (allocation: Allocation) => Promise<boolean>;

/** The subset of winston's logger the datastore uses. */
export interface DatastoreLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Why an allocation left the ledger, as the call that removed it knows (the address history). */
export type EndReason = 'del' | 'gc' | 'veth-gone' | 'adopted';

/** One committed batch's changes to who holds which address, at the batch's time. */
export interface LedgerChange {
  readonly at: number;
  readonly started: readonly Allocation[];
  readonly ended: readonly { readonly allocation: Allocation; readonly why: EndReason }[];
}

/**
 * Told every batch's changes in parallel with the checkpoint write, so a caller is answered only
 * once both are done, at the cost of one write (ipamd/history/journal.ts). It must not reject: a
 * history that cannot be written must not fail pods (it logs and counts). `aborted` follows a
 * batch whose checkpoint write failed after `record` was called: those changes never happened.
 */
export interface LedgerJournal {
  record(change: LedgerChange): Promise<void>;
  aborted(change: LedgerChange): Promise<void>;
}
