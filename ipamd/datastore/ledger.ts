/**
 * The allocation ledger: who holds which address, and which released addresses are cooling down.
 * This is exactly what the checkpoint persists. The Datastore mutates a clone (a draft), persists
 * the draft, and only then makes it the committed ledger, so readers never see a change that is
 * not on disk yet and a failed write leaves nothing behind.
 */
import type { AddressState } from '../../warm-pool/types.ts';
import { DatastoreError } from './errors.ts';
import type { Allocation, AllocationKey, CheckpointState, CoolingEntry } from './types.ts';
import { allocationKey, describeAllocation, keyString } from './validate.ts';

export class Ledger {
  readonly #byKey: Map<string, Allocation>;
  readonly #byIp: Map<string, Allocation>;
  readonly #cooling: Map<string, number>;
  #dirty = false;

  constructor(from?: Ledger) {
    this.#byKey = new Map(from ? from.#byKey : undefined);
    this.#byIp = new Map(from ? from.#byIp : undefined);
    this.#cooling = new Map(from ? from.#cooling : undefined);
  }

  /** True once anything changed since this draft was cloned: it must be persisted. */
  get dirty(): boolean {
    return this.#dirty;
  }

  get size(): number {
    return this.#byKey.size;
  }

  get(key: AllocationKey): Allocation | undefined {
    return this.#byKey.get(keyString(key));
  }

  holderOf(ip: string): Allocation | undefined {
    return this.#byIp.get(ip);
  }

  add(allocation: Allocation): void {
    const clash = this.#byKey.get(allocationKey(allocation)) ?? this.#byIp.get(allocation.ip);
    if (clash) {
      // The callers check both first; reaching this is a bug, and continuing could double-assign.
      throw new DatastoreError('IPAMD_DATASTORE_INTERNAL', `cannot record ${allocation.ip} for ${describeAllocation(allocation)}: ${clash.ip} is held by ${describeAllocation(clash)}`);
    }
    this.#byKey.set(allocationKey(allocation), allocation);
    this.#byIp.set(allocation.ip, allocation);
    this.#cooling.delete(allocation.ip);
    this.#dirty = true;
  }

  remove(key: AllocationKey): Allocation | undefined {
    return this.#removeAt(keyString(key));
  }

  /** Removes whatever holds `ip` (a recovered allocation has no triple to remove it by). */
  removeHolderOf(ip: string): Allocation | undefined {
    const holder = this.#byIp.get(ip);
    return holder ? this.#removeAt(allocationKey(holder)) : undefined;
  }

  /** The recovered allocation whose pod's host veth is `hostVeth`. */
  recoveredWithVeth(hostVeth: string): Allocation | undefined {
    for (const a of this.#byIp.values()) if (a.recovered && a.hostVeth === hostVeth) return a;
    return undefined;
  }

  #removeAt(k: string): Allocation | undefined {
    const allocation = this.#byKey.get(k);
    if (!allocation) return undefined;
    this.#byKey.delete(k);
    this.#byIp.delete(allocation.ip);
    this.#dirty = true;
    return allocation;
  }

  /** Keeps `ip` out of use until `until` (the later deadline wins if it is already cooling). */
  cool(ip: string, until: number): void {
    if ((this.#cooling.get(ip) ?? -Infinity) >= until) return;
    this.#cooling.set(ip, until);
    this.#dirty = true;
  }

  coolingUntil(ip: string, now: number): number | undefined {
    const until = this.#cooling.get(ip);
    return until !== undefined && until > now ? until : undefined;
  }

  stateOf(ip: string, now: number): AddressState {
    if (this.#byIp.has(ip)) return 'assigned';
    return this.coolingUntil(ip, now) === undefined ? 'free' : 'cooling';
  }

  allocations(): Allocation[] {
    return [...this.#byKey.values()];
  }

  /** Forgets expired cooldowns (not a change worth a write: they mean nothing any more). */
  pruneCooling(now: number): void {
    for (const [ip, until] of this.#cooling) if (until <= now) this.#cooling.delete(ip);
  }

  /** What this draft changed against `committed`: O(allocations), microseconds at max pods (the address history). */
  changesSince(committed: Ledger): { started: Allocation[]; ended: Allocation[] } {
    return {
      started: this.allocations().filter((a) => committed.holderOf(a.ip) !== a),
      ended: committed.allocations().filter((a) => this.holderOf(a.ip) !== a),
    };
  }

  /** The durable part, as the checkpoint stores it. */
  toState(now: number): CheckpointState {
    const cooling: CoolingEntry[] = [];
    for (const [ip, until] of this.#cooling) if (until > now) cooling.push({ ip, until });
    return { allocations: this.allocations(), cooling };
  }
}
