/**
 * The one owner of pod addresses on a node (DESIGN.md §3, issue 3 item 4).
 *
 * Pool side (ipamd's reconciler): ENIs and their secondary IPs or /28 prefixes, as EC2 reports
 * them; removals are refused while an address is assigned or cooling. Allocation side (the gRPC
 * handlers, concurrently): assign / release keyed by the CNI triple.
 *
 * Every mutation goes through one CommitQueue, so calls never interleave halfway, and every
 * ledger change is on disk (Checkpoint.write) before its call resolves; readers (snapshot, status
 * getters) see only committed, durable state. The ledger refuses allocation calls until restore()
 * has replayed the checkpoint: answering earlier would overwrite the file with an empty ledger.
 */
import type { PoolSnapshot } from '../../warm-pool/types.ts';
import { CommitQueue } from './commit-queue.ts';
import { DatastoreArgumentError, DatastoreError, PoolEmptyError } from './errors.ts';
import { Ledger } from './ledger.ts';
import { AddressPool } from './pool.ts';
import { type RecoverReport, recoverInto } from './recover.ts';
import { replayCheckpoint, type ReplayInput, type RestoreReport } from './restore.ts';
import type {
  AddressChooser, AddressRecord, Allocation, AllocationKey, CheckpointState, DatastoreLogger, EndReason, Eni, EniSpec, LedgerChange, LedgerJournal,
  RecordedPod, VethExists,
} from './types.ts';
import { checkKey, checkPod, checkString, checkVeth, formatKey } from './validate.ts';


/** Upstream's IP_COOLDOWN_PERIOD default (DESIGN.md §3). */
export const DEFAULT_COOLDOWN_MS = 30_000;

export interface DatastoreOptions {
  /** Where the ledger is persisted; a Checkpoint in production. */
  readonly checkpoint: { write(state: CheckpointState): Promise<void> };
  /** Picks a free, non-cooling address from a snapshot (warm-pool: the fullest ENI first). */
  readonly chooseAddress: AddressChooser;
  readonly logger: DatastoreLogger;
  /** Epoch-ms clock; Date.now by default. */
  readonly now?: () => number;
  /** IP_COOLDOWN_PERIOD in ms: a released address is not handed out again before it passes. */
  readonly cooldownMs?: number;
  /** The address history (ipamd/history/): told each batch's changes, written beside the checkpoint. */
  readonly journal?: LedgerJournal;
}

export class Datastore {
  readonly #pool = new AddressPool();
  readonly #queue: CommitQueue<Ledger>;
  readonly #checkpoint: DatastoreOptions['checkpoint'];
  readonly #choose: AddressChooser;
  readonly #logger: DatastoreLogger;
  readonly #now: () => number;
  readonly #cooldownMs: number;
  #ledger = new Ledger();
  #ready = false;
  #growthBlocked = false;
  #retired: ((eni: Eni) => boolean) | undefined;
  #lastPoolRelease = -Infinity;
  readonly #journal: LedgerJournal | undefined;
  /** Why each allocation a draft dropped left it (the history says how an allocation ended). */
  readonly #why = new WeakMap<Ledger, Map<Allocation, EndReason>>();

  constructor(opts: DatastoreOptions) {
    if (typeof opts.chooseAddress !== 'function') throw new DatastoreArgumentError('chooseAddress: expected a function');
    const cooldownMs = opts.cooldownMs ?? DEFAULT_COOLDOWN_MS;
    if (!Number.isSafeInteger(cooldownMs) || cooldownMs < 0) {
      throw new DatastoreArgumentError(`cooldownMs (IP_COOLDOWN_PERIOD): expected a non-negative integer of milliseconds, got ${cooldownMs}`);
    }
    this.#checkpoint = opts.checkpoint;
    this.#choose = opts.chooseAddress;
    this.#logger = opts.logger;
    this.#now = opts.now ?? Date.now;
    this.#cooldownMs = cooldownMs;
    this.#journal = opts.journal;
    this.#queue = new CommitQueue<Ledger>({
      begin: () => new Ledger(this.#ledger),
      isDirty: (draft) => draft.dirty,
      persist: (draft) => this.#persist(draft),
      commit: (draft) => {
        draft.pruneCooling(this.#now());
        this.#ledger = draft;
      },
    });
  }

  // ---- pool side (the reconciler) ----

  addEni(spec: EniSpec): Promise<Eni> {
    return this.#queue.exclusive(() => this.#pool.addEni(spec, this.#now()));
  }

  /** Forgets an ENI (after it was detached). False if unknown; IPAMD_DATASTORE_ADDRESS_IN_USE while any address is assigned or cooling. */
  removeEni(eniId: string): Promise<boolean> {
    return this.#queue.exclusive(() => {
      const eni = this.#pool.has(eniId) ? this.#pool.enis().find((e) => e.id === eniId) : undefined;
      if (!eni) return false;
      if (eni.isPrimary) throw new DatastoreError('IPAMD_DATASTORE_CONFLICT', `ENI ${eniId} is the instance's primary ENI and is never removed`);
      this.#refuseBusy(this.#pool.addressesOf(eniId), `ENI ${eniId}`);
      this.#pool.removeEni(eniId);
      this.#lastPoolRelease = this.#now();
      return true;
    });
  }

  addAddresses(eniId: string, ips: readonly string[]): Promise<string[]> {
    return this.#queue.exclusive(() => this.#pool.addAddresses(eniId, ips));
  }

  addPrefixes(eniId: string, prefixes: readonly string[]): Promise<string[]> {
    return this.#queue.exclusive(() => this.#pool.addPrefixes(eniId, prefixes));
  }

  /** Gives back secondary IPs (before UnassignPrivateIpAddresses). Returns the ones removed. */
  removeAddresses(eniId: string, ips: readonly string[]): Promise<string[]> {
    return this.#queue.exclusive(() => {
      const held = this.#pool.heldAddresses(eniId, ips);
      this.#refuseBusy(held, `ENI ${eniId}`);
      this.#pool.removeSlots(eniId, held, []);
      if (held.length > 0) this.#lastPoolRelease = this.#now();
      return held;
    });
  }

  /** Gives back whole /28 prefixes; refused if any of their 16 addresses is assigned or cooling. */
  removePrefixes(eniId: string, prefixes: readonly string[]): Promise<string[]> {
    return this.#queue.exclusive(() => {
      const held = this.#pool.heldPrefixes(eniId, prefixes);
      this.#refuseBusy([...held.values()].flat(), `prefixes ${[...held.keys()].join(', ')} of ENI ${eniId}`);
      this.#pool.removeSlots(eniId, [], [...held.keys()]);
      if (held.size > 0) this.#lastPoolRelease = this.#now();
      return [...held.keys()];
    });
  }

  /**
   * Which ENIs are retired (warm-pool types.ts: no new pod, drained): the primary with custom
   * networking, an ENI of an ENIConfig the node left. Asked at every snapshot.
   */
  setRetired(retired: (eni: Eni) => boolean): void {
    this.#retired = retired;
  }

  /** Set while growth is paused after InsufficientFreeAddressesInSubnet / InsufficientCidrBlocks. */
  setGrowthBlocked(blocked: boolean): void {
    this.#growthBlocked = blocked;
  }

  /** The planner's input (warm-pool/types.ts), from committed state. */
  snapshot(now: number = this.#now(), opts: { growthBlocked?: boolean } = {}): PoolSnapshot {
    return this.#snapshotOf(this.#ledger, now, opts.growthBlocked ?? this.#growthBlocked);
  }

  // ---- status view ----

  get ready(): boolean {
    return this.#ready;
  }

  enis(): Eni[] {
    return this.#pool.enis();
  }

  addresses(now: number = this.#now()): AddressRecord[] {
    const out: AddressRecord[] = [];
    for (const eni of this.#pool.enis()) {
      for (const ip of this.#pool.addressesOf(eni.id)) {
        const slot = this.#pool.locate(ip)!;
        const holder = this.#ledger.holderOf(ip);
        const until = this.#ledger.coolingUntil(ip, now);
        out.push({
          ip,
          eniId: eni.id,
          ...(slot.prefix === undefined ? {} : { prefix: slot.prefix }),
          state: this.#ledger.stateOf(ip, now),
          ...(until === undefined ? {} : { coolingUntil: until }),
          ...(holder ? { allocatedTo: holder.key } : {}),
        });
      }
    }
    return out;
  }

  allocations(): Allocation[] {
    return this.#ledger.allocations();
  }

  allocation(key: AllocationKey): Allocation | undefined {
    return this.#ledger.get(checkKey(key));
  }

  // ---- allocation side (the gRPC handlers) ----

  /**
   * Replays a loaded checkpoint after the ENIs and addresses are back (see restore.ts), persists
   * the result, and opens the ledger for assign/release.
   */
  restore(state: CheckpointState, ports: { vethExists: VethExists; kernel?: ReplayInput['kernel'] }): Promise<RestoreReport> {
    return this.#queue.exclusive(async () => {
      const draft = new Ledger(this.#ledger);
      const now = this.#now();
      const report = await replayCheckpoint({
        state, pool: this.#pool, draft, now, cooldownMs: this.#cooldownMs, vethExists: ports.vethExists, logger: this.#logger,
        ...(ports.kernel ? { kernel: ports.kernel } : {}),
      });
      // Always written: after a corrupt load, the file on disk must become the proven state.
      await this.#checkpoint.write(draft.toState(this.#now()));
      draft.pruneCooling(this.#now());
      this.#ledger = draft;
      this.#ready = true;
      return report;
    });
  }

  /**
   * The address of an attachment: the same one for a repeated ADD, else a free one; PoolEmptyError if
   * none. With `hostVeth`, an address recovered from the kernel for that veth (the same pod, its
   * triple lost with the checkpoint) is taken over by this triple: the running pod keeps it.
   */
  async assign(key: AllocationKey, pod: RecordedPod, opts: { hostVeth?: string } = {}): Promise<Allocation> {
    const k = checkKey(key);
    const p = checkPod(pod);
    const hostVeth = opts.hostVeth === undefined ? undefined : checkVeth(opts.hostVeth, 'hostVeth');
    return this.#queue.transact((draft) => {
      this.#requireReady('assign');
      const existing = draft.get(k);
      if (existing) {
        if (existing.pod.uid !== '' && p.uid !== '' && existing.pod.uid !== p.uid) {
          throw new DatastoreError('IPAMD_DATASTORE_CONFLICT', `${formatKey(k)} is allocated to pod ${existing.pod.namespace}/${existing.pod.name} (uid ${existing.pod.uid}), not uid ${p.uid}`);
        }
        return existing;
      }
      const now = this.#now();
      const recovered = hostVeth === undefined ? undefined : draft.recoveredWithVeth(hostVeth);
      if (recovered) {
        this.#noteWhy(draft, draft.removeHolderOf(recovered.ip), 'adopted');
        const adopted: Allocation = Object.freeze({
          key: k, pod: p, ip: recovered.ip, eniId: recovered.eniId, deviceIndex: recovered.deviceIndex,
          ...(recovered.prefix === undefined ? {} : { prefix: recovered.prefix }),
          allocatedAt: recovered.allocatedAt,
          hostVeth: recovered.hostVeth!,
        });
        draft.add(adopted);
        this.#logger.info(`recovered allocation ${recovered.ip} (veth ${hostVeth}) taken over by ${formatKey(k)}`);
        return adopted;
      }
      const snapshot = this.#snapshotOf(draft, now, this.#growthBlocked);
      const choice = this.#choose(snapshot);
      if (choice === undefined) throw this.#poolEmpty(k, snapshot, draft, now);
      const slot = this.#pool.locate(choice.ip);
      const state = draft.stateOf(choice.ip, now);
      if (!slot || slot.eniId !== choice.eniId || state !== 'free') {
        throw new DatastoreError('IPAMD_DATASTORE_INTERNAL', `the address chooser picked ${choice.ip} on ${choice.eniId}, which is ${slot ? `${state} on ${slot.eniId}` : 'not in the pool'}`);
      }
      const allocation: Allocation = Object.freeze({
        key: k, pod: p, ip: choice.ip, eniId: slot.eniId, deviceIndex: slot.deviceIndex,
        ...(slot.prefix === undefined ? {} : { prefix: slot.prefix }),
        allocatedAt: now,
        ...(hostVeth === undefined ? {} : { hostVeth }),
      });
      draft.add(allocation);
      return allocation;
    });
  }

  /**
   * Frees an attachment's address into cooldown; undefined for an unknown key (a repeated DEL is
   * success). With `hostVeth`, an unknown key releases the address recovered for that veth (the
   * pod's DEL, its triple lost with the checkpoint).
   */
  async release(key: AllocationKey, opts: { hostVeth?: string; why?: EndReason } = {}): Promise<Allocation | undefined> {
    const k = checkKey(key);
    const hostVeth = opts.hostVeth === undefined ? undefined : checkVeth(opts.hostVeth, 'hostVeth');
    return this.#queue.transact((draft) => {
      this.#requireReady('release');
      let released = this.#releaseIn(draft, k);
      if (!released && hostVeth !== undefined) {
        const recovered = draft.recoveredWithVeth(hostVeth);
        released = recovered ? this.#releaseHolder(draft, recovered.ip) : undefined;
      }
      // The history's end: the plugin's GC (a runtime's CNI GC) or a DEL (the default).
      if (opts.why) this.#noteWhy(draft, released, opts.why);
      return released;
    });
  }

  /**
   * Records what the kernel shows running pods use (issue 9 item 1): each address routed to a
   * live host veth that no allocation holds becomes a recovered allocation if it is in the pool,
   * whatever its cooldown. Nothing is ever handed out while the kernel routes it to a live veth.
   */
  async recover(routed: ReadonlyMap<string, string>, vethOf: (a: Allocation) => string, opts: { readAt?: number } = {}): Promise<RecoverReport> {
    return this.#queue.transact((draft) => {
      this.#requireReady('recover');
      const since = opts.readAt === undefined ? undefined : { at: opts.readAt, cooldownMs: this.#cooldownMs };
      return recoverInto(draft, this.#pool, routed, vethOf, this.#now(), since);
    });
  }

  /** Releases recovered allocations (their veth is gone) into cooldown; returns the ones released. */
  async releaseRecovered(ips: readonly string[]): Promise<Allocation[]> {
    return this.#queue.transact((draft) => {
      this.#requireReady('releaseRecovered');
      const released = ips.flatMap((ip) => (draft.holderOf(ip)?.recovered ? [this.#releaseHolder(draft, ip)!] : []));
      for (const a of released) this.#noteWhy(draft, a, 'veth-gone');
      return released;
    });
  }

  /** Frees every attachment of a container in a network (any interface name), for DEL without ifName and GC. */
  async releaseByContainer(network: string, containerId: string): Promise<Allocation[]> {
    checkString(network, 'network');
    checkString(containerId, 'containerId');
    return this.#queue.transact((draft) => {
      this.#requireReady('releaseByContainer');
      const keys = draft.allocations().filter((a) => a.key.networkName === network && a.key.containerId === containerId).map((a) => a.key);
      const released = keys.map((k) => this.#releaseIn(draft, k)!);
      for (const a of released) this.#noteWhy(draft, a, 'gc');
      return released;
    });
  }

  /** Settles when every call made so far has settled (shutdown). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /**
   * The checkpoint write and the history's append run side by side: one durable step's latency,
   * not two. If the checkpoint fails the batch fails, and the history is told its changes never
   * happened (an empty interval, never an answer).
   */
  async #persist(draft: Ledger): Promise<void> {
    const change = this.#journal ? this.#changes(draft) : undefined;
    const journaled = change && (change.started.length > 0 || change.ended.length > 0) ? this.#journal!.record(change) : undefined;
    try {
      await this.#checkpoint.write(draft.toState(this.#now()));
    } catch (e) {
      if (journaled) await journaled.then(() => this.#journal!.aborted(change!));
      throw e;
    }
    await journaled;
  }

  #changes(draft: Ledger): LedgerChange {
    const why = this.#why.get(draft);
    const { started, ended } = draft.changesSince(this.#ledger);
    return { at: this.#now(), started, ended: ended.map((allocation) => ({ allocation, why: why?.get(allocation) ?? 'del' })) };
  }

  #noteWhy(draft: Ledger, allocation: Allocation | undefined, why: EndReason): void {
    if (!allocation) return;
    let m = this.#why.get(draft);
    if (!m) this.#why.set(draft, (m = new Map()));
    m.set(allocation, why);
  }

  #releaseIn(draft: Ledger, key: AllocationKey): Allocation | undefined {
    const released = draft.remove(key);
    if (released && this.#cooldownMs > 0) draft.cool(released.ip, this.#now() + this.#cooldownMs);
    return released;
  }

  #releaseHolder(draft: Ledger, ip: string): Allocation | undefined {
    const released = draft.removeHolderOf(ip);
    if (released && this.#cooldownMs > 0) draft.cool(released.ip, this.#now() + this.#cooldownMs);
    return released;
  }

  #requireReady(call: string): void {
    if (!this.#ready) {
      throw new DatastoreError('IPAMD_DATASTORE_NOT_READY', `${call} before restore(): the checkpoint has not been replayed, and writing now would replace it`);
    }
  }

  #refuseBusy(ips: readonly string[], what: string): void {
    const now = this.#now();
    const busy = ips.filter((ip) => this.#ledger.stateOf(ip, now) !== 'free');
    if (busy.length === 0) return;
    const shown = busy.slice(0, 5).map((ip) => {
      const holder = this.#ledger.holderOf(ip);
      return holder ? `${ip} (assigned to ${formatKey(holder.key)})` : `${ip} (cooling for ${this.#ledger.coolingUntil(ip, now)! - now} ms)`;
    });
    throw new DatastoreError('IPAMD_DATASTORE_ADDRESS_IN_USE', `${what} still has ${busy.length} assigned or cooling address(es): ${shown.join(', ')}${busy.length > 5 ? ', ...' : ''}`, {
      details: { addresses: busy },
    });
  }

  #snapshotOf(ledger: Ledger, now: number, growthBlocked: boolean): PoolSnapshot {
    return {
      enis: this.#pool.views((ip) => ledger.stateOf(ip, now), now, this.#retired),
      msSinceLastRelease: Math.max(0, now - this.#lastPoolRelease),
      growthBlocked,
    };
  }

  #poolEmpty(key: AllocationKey, snapshot: PoolSnapshot, ledger: Ledger, now: number): PoolEmptyError {
    const all = snapshot.enis.flatMap((e) => [...e.addresses, ...e.prefixes.flatMap((p) => p.addresses)]);
    const cooling = all.filter((a) => a.state === 'cooling');
    const soonest = Math.min(...cooling.map((a) => ledger.coolingUntil(a.ip, now)!));
    const details = {
      enis: snapshot.enis.length,
      addresses: all.length,
      assigned: all.filter((a) => a.state === 'assigned').length,
      cooling: cooling.length,
      ...(cooling.length > 0 ? { nextFreeInMs: soonest - now } : {}),
    };
    const wait = cooling.length > 0 ? `; the first cooling address is free again in ${soonest - now} ms` : '';
    return new PoolEmptyError(
      `no free address for ${formatKey(key)}: ${details.assigned} assigned and ${details.cooling} cooling of ${details.addresses} on ${details.enis} ENI(s)${wait}; try again`,
      details,
    );
  }
}
