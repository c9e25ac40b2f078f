/**
 * Replaying the checkpoint on start (DESIGN.md §3, issue 3 item 6), after ipamd has re-added the
 * ENIs and addresses EC2 reports. An allocation is kept only if its address is still on one of
 * this node's ENIs and its pod's host veth still exists; everything else is dropped with its
 * reason, for the caller to remove the pod's host rules. A dropped address is put into cooldown:
 * its pod may have run until moments ago, and conntrack may still hold its flows (#3634).
 * A failed veth check keeps the allocation: leaking an address until GC is recoverable, handing
 * a live pod's address to another pod is not.
 */
import { isDatastoreError } from './errors.ts';
import type { Ledger } from './ledger.ts';
import type { AddressPool } from './pool.ts';
import type { Allocation, CheckpointState, DatastoreLogger, VethExists } from './types.ts';
import { allocationKey, checkAllocation, checkCooling, describeAllocation, podLabel } from './validate.ts';

export type DropReason = 'invalid' | 'duplicate-key' | 'address-taken' | 'address-gone' | 'veth-gone' | 'kernel-mismatch';

export interface DroppedAllocation {
  readonly allocation: Allocation;
  readonly reason: DropReason;
  readonly detail: string;
}

export interface RestoreReport {
  /** Allocations now in the ledger (as corrected to the ENI that holds the address today). */
  readonly kept: readonly Allocation[];
  readonly dropped: readonly DroppedAllocation[];
  /** Kept allocations whose address is now on another ENI or prefix: re-point the pod's from-rule. */
  readonly moved: readonly { readonly allocation: Allocation; readonly was: Allocation }[];
  /** Kept because `vethExists` failed for them: check again later (GC). */
  readonly vethCheckFailed: readonly { readonly allocation: Allocation; readonly error: string }[];
  readonly cooling: { readonly restored: number; readonly expired: number; readonly invalid: number };
}

export interface ReplayInput {
  readonly state: CheckpointState;
  readonly pool: AddressPool;
  /** The draft ledger the replay fills in. */
  readonly draft: Ledger;
  readonly now: number;
  readonly cooldownMs: number;
  readonly vethExists: VethExists;
  /**
   * What the kernel routes to live host veths (address -> veth), when it could be read, and each
   * allocation's veth name: an allocation whose address the kernel routes to another pod's veth
   * is proven wrong (a corrupt or foreign checkpoint entry) and dropped; the kernel's pod is
   * recovered afterwards (Datastore.recover).
   */
  readonly kernel?: { readonly routed: ReadonlyMap<string, string>; readonly vethOf: (a: Allocation) => string };
  readonly logger: DatastoreLogger;
}

export async function replayCheckpoint(input: ReplayInput): Promise<RestoreReport> {
  const { pool, draft, now, cooldownMs, logger } = input;
  const cooling = { restored: 0, expired: 0, invalid: 0 };
  input.state.cooling.forEach((raw, i) => {
    const c = tryCheck(() => checkCooling(raw, `cooling[${i}]`));
    if (!c) cooling.invalid++;
    else if (c.until <= now) cooling.expired++;
    else if (!draft.holderOf(c.ip)) {
      draft.cool(c.ip, c.until);
      cooling.restored++;
    }
  });

  const dropped: DroppedAllocation[] = [];
  const drop = (allocation: Allocation, reason: DropReason, detail: string): void => {
    dropped.push({ allocation, reason, detail });
    logger.warn(`dropped allocation ${describeAllocation(allocation)} (${allocation.ip}): ${detail}`, {
      reason,
      ip: allocation.ip,
      pod: `${allocation.pod.namespace}/${allocation.pod.name}`,
    });
  };

  // Static checks first, in checkpoint order, so the first holder of a key or address wins.
  const candidates: { allocation: Allocation; current: Allocation }[] = [];
  const claimed = new Set<string>();
  const claimedKeys = new Set<string>();
  input.state.allocations.forEach((raw, i) => {
    let allocation: Allocation;
    try {
      allocation = checkAllocation(raw, `allocations[${i}]`);
    } catch (e) {
      if (!isDatastoreError(e)) throw e;
      dropped.push({ allocation: raw, reason: 'invalid', detail: e.message });
      logger.warn(`dropped an invalid allocation: ${e.message}`, { reason: 'invalid' });
      return;
    }
    const held = allocation.recovered ? draft.holderOf(allocation.ip) : draft.get(allocation.key);
    if (held || claimedKeys.has(allocationKey(allocation))) {
      if (held?.ip === allocation.ip) return; // restored already (restore called twice)
      return drop(allocation, allocation.recovered ? 'address-taken' : 'duplicate-key', `${describeAllocation(allocation)} is already allocated`);
    }
    const holder = draft.holderOf(allocation.ip);
    if (holder || claimed.has(allocation.ip)) {
      return drop(allocation, 'address-taken', `address ${allocation.ip} is already allocated${holder ? ` to ${describeAllocation(holder)}` : ''}`);
    }
    const routedTo = input.kernel?.routed.get(allocation.ip);
    if (routedTo !== undefined && routedTo !== input.kernel!.vethOf(allocation)) {
      return drop(allocation, 'kernel-mismatch', `the kernel routes ${allocation.ip} to ${routedTo}, not to this allocation's veth ${input.kernel!.vethOf(allocation)}`);
    }
    const slot = pool.locate(allocation.ip);
    if (!slot) {
      draft.cool(allocation.ip, now + cooldownMs);
      return drop(allocation, 'address-gone', `address ${allocation.ip} is no longer on any ENI of this node (was on ${allocation.eniId})`);
    }
    claimed.add(allocation.ip);
    claimedKeys.add(allocationKey(allocation));
    const current: Allocation = Object.freeze({
      key: allocation.key,
      pod: allocation.pod,
      ip: allocation.ip,
      eniId: slot.eniId,
      deviceIndex: slot.deviceIndex,
      ...(slot.prefix === undefined ? {} : { prefix: slot.prefix }),
      allocatedAt: allocation.allocatedAt,
      ...(allocation.hostVeth === undefined ? {} : { hostVeth: allocation.hostVeth }),
      ...(allocation.recovered ? { recovered: true as const } : {}),
    });
    candidates.push({ allocation, current });
  });

  const checks = await Promise.allSettled(candidates.map((c) => input.vethExists(c.allocation)));
  const kept: Allocation[] = [];
  const moved: { allocation: Allocation; was: Allocation }[] = [];
  const vethCheckFailed: { allocation: Allocation; error: string }[] = [];
  candidates.forEach(({ allocation, current }, i) => {
    const check = checks[i]!;
    if (check.status === 'fulfilled' && !check.value) {
      draft.cool(allocation.ip, now + cooldownMs);
      return drop(allocation, 'veth-gone', `the host veth of ${podLabel(allocation.pod, allocation.key)} no longer exists`);
    }
    if (check.status === 'rejected') {
      const error = (check.reason as Error)?.message ?? String(check.reason);
      vethCheckFailed.push({ allocation: current, error });
      logger.warn(`kept allocation ${describeAllocation(allocation)} (${allocation.ip}) although its veth check failed: ${error}`);
    }
    if (current.eniId !== allocation.eniId || current.deviceIndex !== allocation.deviceIndex || current.prefix !== allocation.prefix) {
      moved.push({ allocation: current, was: allocation });
      logger.warn(`allocation ${describeAllocation(allocation)} (${allocation.ip}) moved from ENI ${allocation.eniId} to ${current.eniId}`);
    }
    draft.add(current);
    kept.push(current);
  });

  logger.info('checkpoint replayed', {
    kept: kept.length,
    dropped: dropped.length,
    moved: moved.length,
    vethCheckFailed: vethCheckFailed.length,
    cooling,
  });
  return { kept, dropped, moved, vethCheckFailed, cooling };
}

function tryCheck<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (isDatastoreError(e)) return undefined;
    throw e;
  }
}
