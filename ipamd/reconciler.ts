import type { GrowthBlock } from '../contract/metrics.ts';
import { alsoCreate, planNext, type InstanceLimits, type PoolSnapshot, type Step, type Targets } from '../warm-pool/index.ts';

/** At most this many ENIs are created in one step (EC2's CreateNetworkInterface budget). */
const MAX_PARALLEL_ENIS = 3;
import type { Config } from './config.ts';
import type { Datastore } from './datastore/datastore.ts';
import type { EniManager } from './eni-manager.ts';
import { isIpamdError } from './errors.ts';
import { maxPods } from './max-pods.ts';
import type { DriftLog } from './drift.ts';
import { EniHostSetup } from './eni-host.ts';
import type { Logger } from './logger.ts';
import { noNotices, type Notices } from './notices.ts';
import { resyncWithEc2 } from './resync.ts';
import { systemTimers, type TimerHandle, type Timers } from './timers.ts';
import type { Ec2Port, HostNetworkPort, InstanceTypeInfo } from './ports.ts';
import { type MetricsPort, noMetrics } from './metrics/port.ts';

export interface ReconcilerOptions {
  store: Datastore;
  enis: EniManager;
  ec2: Ec2Port;
  /** Host networking of secondary ENIs: done before an ENI's addresses enter the pool (DESIGN.md §2). */
  hostNetwork: HostNetworkPort;
  config: Config;
  instanceType: InstanceTypeInfo;
  instanceId: string;
  logger: Logger;
  now?: () => number;
  /** How long growth pauses after the subnet ran out of addresses or /28 blocks. */
  growthBackoffMs?: number;
  /** Drift between the ledger, EC2 and the kernel, counted and logged once (drift.ts). */
  drift?: DriftLog;
  /** Compares the ledger with the kernel after each periodic resync (kernel-audit.ts). */
  audit?: () => Promise<unknown>;
  /** Where the loop and waits are scheduled; Node's timers by default. */
  timers?: Timers;
  /** What the operator must hear about (IAM denials, subnet exhaustion, a missing ENIConfig). */
  notices?: Notices;
  /** Pods bound to this node that have no address yet (kube/pods.ts); the planner grows for them. */
  expectedPods?: () => number;
  /** Reconcile counts, actions in progress and errors (issue 13); none by default. */
  metrics?: MetricsPort;
}

/**
 * The planner's last decision as this reconciler acted on it, for metrics and introspection:
 * `blocked` says why the pool did not grow when the targets asked for more (the planner's reason,
 * or the reconciler's own: host setup pending, no usable ENIConfig, subnet just ran out).
 */
export interface Decision {
  readonly step: Step;
  readonly at: number;
  readonly blocked?: GrowthBlock;
  /** Pods bound here without an address yet, as the planner saw them (prewarm). */
  readonly expectedPods: number;
}

/**
 * Plan, act, record: one step at a time. The planner (warm-pool) decides from a datastore
 * snapshot; this class performs the step through EC2 and records the outcome in the datastore,
 * undoing its own half when EC2 refuses, so the datastore and EC2 agree after any failure.
 */
export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #now: () => number;
  readonly #targets: Targets;
  readonly #limits: InstanceLimits;
  #blockedUntil = 0;
  /** Host networking of secondary ENIs, and the ones whose setup failed (eni-host.ts). */
  readonly #host: EniHostSetup;
  #running: Promise<unknown> = Promise.resolve();
  readonly #timers: Timers;
  #timer: TimerHandle | undefined;
  #kicked = false;
  #loop: (() => Promise<void>) | undefined;
  #nextResync = 0;
  #stopped = false;
  /** Each ENI's subnet and security groups, as EC2 last showed them (for placement.current). */
  readonly #places = new Map<string, { subnetId: string; groupIds: readonly string[] }>();
  #placementProblem: string | undefined;
  readonly #notices: Notices;
  readonly #metrics: MetricsPort;
  #decision: Decision | undefined;
  steps = 0;

  constructor(o: ReconcilerOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#timers = o.timers ?? systemTimers;
    this.#host = new EniHostSetup(o.hostNetwork, o.logger);
    this.#notices = o.notices ?? noNotices;
    this.#metrics = o.metrics ?? noMetrics;
    // Retired ENIs (warm-pool types.ts) take no new pod: the primary with custom networking, and
    // any ENI placed where the current placement (a relabelled Node's ENIConfig) no longer puts ENIs.
    o.store.setRetired((eni) => {
      const placement = o.enis.placement;
      if (eni.isPrimary) return !placement.podsOnPrimaryEni;
      const place = this.#places.get(eni.id);
      return place !== undefined && !placement.current(place);
    });
    const c = o.config;
    this.#limits = { maxEnis: o.instanceType.maxEnis, ipv4PerEni: o.instanceType.ipv4PerEni };
    this.#targets = {
      prefixMode: c.prefixDelegation,
      warmEniTarget: c.warmEniTarget,
      ...(c.warmIpTarget !== undefined ? { warmIpTarget: c.warmIpTarget } : {}),
      ...(c.minimumIpTarget !== undefined ? { minimumIpTarget: c.minimumIpTarget } : {}),
      ...(c.warmPrefixTarget !== undefined ? { warmPrefixTarget: c.warmPrefixTarget } : {}),
      ...(c.maxEni !== undefined ? { maxEni: c.maxEni } : {}),
      // With custom networking the primary ENI holds no pods (upstream's max pods in that mode).
      maxPods: c.maxPods ?? maxPods(o.instanceType, { prefixDelegation: c.prefixDelegation, maxEni: c.maxEni, customNetworking: c.kube.customNetwork }),
      releaseIntervalMs: c.releaseIntervalMs,
      minEniAgeToFreeMs: c.minEniAgeMs,
    };
  }

  get targets(): Targets {
    return this.#targets;
  }

  get limits(): InstanceLimits {
    return this.#limits;
  }

  /** The planner's last decision (undefined before the first plan). */
  get lastDecision(): Decision | undefined {
    return this.#decision;
  }

  /** When growth is paused after the subnet ran out (ms since the epoch), or 0. */
  get growthPausedUntil(): number {
    return this.#blockedUntil > this.#now() ? this.#blockedUntil : 0;
  }

  /** Plans and performs one step; returns it (`none` when the pool is where it should be). */
  step(): Promise<Step> {
    return this.#exclusive(() => this.#stepNow());
  }

  /** One plan or resync at a time. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#running.then(fn);
    this.#running = run.catch(() => undefined);
    return run;
  }

  /** Steps until the plan is `none` (or `max` steps): the pool reaches its targets. */
  async settle(max = 50): Promise<Step> {
    let last: Step = { kind: 'none', reason: 'not run' };
    for (let i = 0; i < max; i++) {
      last = await this.step();
      if (last.kind === 'none') return last;
    }
    return last;
  }

  /** Periodic reconciliation, plus `kick()` after allocations change. */
  start(intervalMs: number): void {
    this.#loop = async () => {
      this.#timer = undefined;
      if (this.#stopped) return;
      this.#kicked = false;
      try {
        if (this.#now() >= this.#nextResync) {
          this.#nextResync = this.#now() + this.#o.config.resyncIntervalMs;
          await this.#exclusive(() => this.resync());
          if (this.#o.audit) await this.#o.audit();
        }
        await this.settle(10);
        await this.#exclusive(() => this.releaseOtherMode());
      } catch (e) {
        this.#countError('reconcile', e);
        this.#o.logger.warn('reconcile step failed; will retry', { error: String(e) });
        this.noticeFailure(e);
        this.#nextResync = 0;
      }
      if (!this.#stopped) this.#timer = this.#timers.setTimeout(() => void this.#loop?.(), this.#kicked ? 0 : intervalMs);
    };
    this.#timer = this.#timers.setTimeout(() => void this.#loop?.(), 0);
  }

  /** Runs the loop now if it is waiting, or right after the pass in progress. */
  kick(): void {
    this.#kicked = true;
    if (this.#timer !== undefined && this.#loop && !this.#stopped) {
      this.#timers.clearTimeout(this.#timer);
      this.#timer = this.#timers.setTimeout(() => void this.#loop?.(), 0);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    await this.#running;
  }

  async #stepNow(): Promise<Step> {
    const { store, logger } = this.#o;
    const now = this.#now();
    store.setGrowthBlocked(now < this.#blockedUntil);
    const expected = this.#o.expectedPods?.() ?? 0;
    const snapshot: PoolSnapshot = { ...store.snapshot(now), expectedPods: expected };
    const decide = (s: Step, blocked?: GrowthBlock): Step => {
      this.#decision = { step: s, at: now, expectedPods: expected, ...(blocked ? { blocked } : {}) };
      return s;
    };
    const step = planNext(snapshot, this.#targets, this.#limits);
    if (step.kind === 'none') return decide(step, step.blocked);
    if (step.kind === 'create-eni' && this.#host.pending.size > 0) {
      const [eniId, why] = [...this.#host.pending][0]!;
      return decide({ kind: 'none', reason: `not creating an ENI while ${eniId} waits for host network setup (${why}); ${step.reason}` }, 'host-setup-pending');
    }
    decide(step);
    this.steps++;
    logger.debug('pool step', { step });
    const uncertainBefore = this.#o.ec2.uncertainMutations?.() ?? 0;
    const done = this.#metrics.action(step.kind);
    try {
      await this.#act(step, snapshot);
      this.#metrics.reconciled(step.kind);
      if (step.kind === 'create-eni') this.#placementProblem = undefined;
      // A retried mutation may have taken effect twice: ask EC2 now, not at the next interval.
      if ((this.#o.ec2.uncertainMutations?.() ?? 0) > uncertainBefore) await this.resync();
    } catch (e) {
      // EC2 may have done what it answered an error for (a 5xx after the change, a lost
      // answer): whatever it now assigns to this node's ENIs is adopted before the next plan.
      if (step.kind === 'assign' || step.kind === 'create-eni') {
        await this.resync().catch((err) => logger.warn('resync after a failed step failed', { error: String(err) }));
      }
      if (isIpamdError(e, 'IPAMD_EC2_SUBNET_FULL') || isIpamdError(e, 'IPAMD_EC2_NO_CIDR_BLOCKS')) {
        // Stop growing for a while instead of hammering EC2 (DESIGN.md §3).
        this.#blockedUntil = this.#now() + (this.#o.growthBackoffMs ?? this.#o.config.subnetFullBackoffMs);
        logger.warn('subnet exhausted; growth paused', { code: e.code, until: new Date(this.#blockedUntil).toISOString() });
        this.#notices.warn('SubnetExhausted', `${e.message}; growth paused until ${new Date(this.#blockedUntil).toISOString()}`, e.action ?? step.kind);
        return decide({ kind: 'none', reason: `growth paused: ${e.code}` }, 'subnet-full');
      }
      if (isIpamdError(e, 'IPAMD_PLACEMENT_UNAVAILABLE')) {
        // Growth waits for a usable ENIConfig; the addresses held are still served. Said once per problem.
        if (this.#placementProblem !== e.message) {
          this.#placementProblem = e.message;
          logger.error(e.message, { code: e.code });
          this.#notices.warn('ENIConfigUnavailable', e.message, 'CreateNetworkInterface');
        }
        return decide({ kind: 'none', reason: `no new ENI: ${e.message}` }, 'placement-unavailable');
      }
      this.noticeFailure(e);
      throw e;
    } finally {
      done();
    }
    return step;
  }

  /** An EC2 permission denial becomes a MissingIAMPermissions notice naming the action. */
  noticeFailure(e: unknown): void {
    if (!isIpamdError(e, 'IPAMD_EC2_AUTH')) return;
    const action = e.action ?? 'an EC2 action';
    this.#notices.warn('MissingIAMPermissions', `EC2 denied ${action} (${e.awsCode ?? e.code}): grant ec2:${action} to the node's IAM role; ${e.message}`, action);
  }

  async #act(step: Exclude<Step, { kind: 'none' }>, snapshot?: PoolSnapshot): Promise<void> {
    const { store, ec2, enis, config } = this.#o;
    const prefix = config.prefixDelegation;
    switch (step.kind) {
      case 'assign': {
        if (prefix) await store.addPrefixes(step.eniId, await ec2.assignPrefixes(step.eniId, step.count));
        else await store.addAddresses(step.eniId, await ec2.assignIps(step.eniId, step.count));
        return;
      }
      case 'create-eni': {
        const more = snapshot ? alsoCreate(snapshot, this.#targets, this.#limits, { first: step.count, prefixMode: prefix, max: MAX_PARALLEL_ENIS }) : [];
        const counts = [step.count, ...more];
        if (counts.length > 1) this.#o.logger.info('creating ENIs at once', { counts, reason: step.reason });
        const results = await Promise.allSettled(counts.map((c) => enis.create(c)));
        let failure: unknown;
        for (const r of results) {
          if (r.status === 'rejected') {
            failure ??= r.reason;
            continue;
          }
          const made = r.value;
          this.#places.set(made.eni.id, { subnetId: made.eni.subnetId, groupIds: made.eni.groupIds });
          // Host side first (DESIGN.md §2): no pod may get an address routed through a bare link.
          await this.#host.setup(
            { eniId: made.eni.id, mac: made.eni.mac, deviceIndex: made.deviceIndex, primaryIp: made.eni.primaryIp, subnetCidr: made.subnetCidr },
            true,
          );
          await store.addEni({
            id: made.eni.id,
            deviceIndex: made.deviceIndex,
            mac: made.eni.mac,
            isPrimary: false,
            subnetCidr: made.subnetCidr,
            primaryIp: made.eni.primaryIp,
            createdAt: this.#now(),
            secondaryIps: made.eni.secondaryIps,
            prefixes: made.eni.prefixes,
          });
        }
        if (failure !== undefined) throw failure;
        return;
      }
      case 'release': {
        // Out of the datastore first, so no pod can get them while EC2 takes them back.
        const taken = prefix
          ? await store.removePrefixes(step.eniId, step.items)
          : await store.removeAddresses(step.eniId, step.items);
        if (taken.length === 0) return;
        try {
          if (prefix) await ec2.unassignPrefixes(step.eniId, taken);
          else await ec2.unassignIps(step.eniId, taken);
        } catch (e) {
          // EC2 may or may not have taken them (a 5xx can follow the change): ask it, and give
          // back to the pool exactly what it still assigns, so both agree.
          await this.resync().catch(() => undefined);
          throw e;
        }
        return;
      }
      case 'free-eni': {
        if (!(await store.removeEni(step.eniId))) return;
        await this.#host.teardown(step.eniId);
        await enis.free(step.eniId);
        return;
      }
    }
  }

  /**
   * After a switch between secondary-IP and prefix mode, pods keep the addresses they have; what
   * is left of the other kind is given back once free (the planner only manages the current kind).
   */
  async releaseOtherMode(): Promise<void> {
    const { store, ec2, config, logger } = this.#o;
    const addrs = store.addresses(this.#now());
    for (const eni of store.enis()) {
      if (config.prefixDelegation) {
        const free = eni.secondaryIps.filter((ip) => addrs.find((a) => a.ip === ip && !a.prefix)?.state === 'free');
        if (!free.length) continue;
        const taken = await store.removeAddresses(eni.id, free);
        if (!taken.length) continue;
        await ec2.unassignIps(eni.id, taken);
        logger.info('released secondary IPs left from secondary-IP mode', { eniId: eni.id, ips: taken });
      } else {
        const whole = eni.prefixes.filter((p) => addrs.filter((a) => a.prefix === p).every((a) => a.state === 'free'));
        if (!whole.length) continue;
        const taken = await store.removePrefixes(eni.id, whole);
        if (!taken.length) continue;
        await ec2.unassignPrefixes(eni.id, taken);
        logger.info('released prefixes left from prefix mode', { eniId: eni.id, prefixes: taken });
      }
    }
  }

  /** Errors already in awscni_ipamd_error_count: a resync's failure rethrown to the loop is one error, not two. */
  readonly #counted = new WeakSet<object>();

  #countError(fn: string, e: unknown): void {
    if (typeof e === 'object' && e !== null) {
      if (this.#counted.has(e)) return;
      this.#counted.add(e);
    }
    this.#metrics.ipamdError(fn);
  }

  /** Makes the datastore agree with EC2, the truth (resync.ts). */
  async resync(opts: { waitForAttaching?: boolean; failOnHostSetup?: boolean } = {}): Promise<void> {
    const done = this.#metrics.action('resync');
    try {
      await this.#resync(opts);
      this.#metrics.reconciled('resync');
    } catch (e) {
      this.#countError('resync', e);
      throw e;
    } finally {
      done();
    }
  }

  #resync(opts: { waitForAttaching?: boolean; failOnHostSetup?: boolean }): Promise<void> {
    const o = this.#o;
    return resyncWithEc2(
      {
        store: o.store,
        ec2: o.ec2,
        logger: o.logger,
        host: this.#host,
        instanceId: o.instanceId,
        defaultCard: o.instanceType.defaultNetworkCard,
        subnetCidrOf: (subnetId) => o.enis.subnetCidrOf(subnetId),
        ...(o.drift ? { drift: o.drift } : {}),
        forceRemoved: (what) => this.#metrics.forceRemoved(what),
        seen: (enis) => {
          this.#places.clear();
          for (const e of enis) this.#places.set(e.id, { subnetId: e.subnetId, groupIds: e.groupIds });
        },
      },
      opts,
    );
  }

  /** Where new ENIs go (placement/), and where the last one went. */
  get placement(): { readonly current: EniManager['placement']; readonly lastPlaced: EniManager['lastPlaced'] } {
    return { current: this.#o.enis.placement, lastPlaced: this.#o.enis.lastPlaced };
  }

  /** Each ENI's subnet and security groups as EC2 last showed them. */
  get placements(): ReadonlyMap<string, { subnetId: string; groupIds: readonly string[] }> {
    return this.#places;
  }

  /** ENIs attached in EC2 but kept out of the pool because their host setup failed. */
  get hostPending(): ReadonlyMap<string, string> {
    return this.#host.pending;
  }
}
