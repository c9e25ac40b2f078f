/**
 * The datastore made to agree with EC2, the truth (DESIGN.md §3), at start and at every resync
 * interval, and at once after a step whose effect in EC2 is uncertain (reconciler.ts).
 */
import pRetry from 'p-retry';
import type { Datastore } from './datastore/datastore.ts';
import type { DriftLog } from './drift.ts';
import type { EniHostSetup } from './eni-host.ts';
import type { Logger } from './logger.ts';
import type { Ec2Eni, Ec2Port } from './ports.ts';

export interface ResyncDeps {
  readonly store: Datastore;
  readonly ec2: Ec2Port;
  readonly logger: Logger;
  readonly host: EniHostSetup;
  readonly instanceId: string;
  /** ipamd manages ENIs on the instance type's default network card only, as upstream. */
  readonly defaultCard: number;
  /** An ENI's own subnet CIDR, by subnet id: ENIs of one node can sit in several subnets (issue 11). */
  readonly subnetCidrOf: (subnetId: string) => Promise<string>;
  readonly drift?: DriftLog;
  /** The node's ENIs as EC2 showed them this pass (their subnets and security groups). */
  readonly seen?: (enis: readonly Ec2Eni[]) => void;
  /** EC2 took away an ENI or address pods still use (awscni_force_removed_*), once per thing. */
  readonly forceRemoved?: (what: 'eni' | 'ip') => void;
}

export interface ResyncOptions {
  /** At start: wait for ENIs still attaching, so they are adopted rather than doubled. */
  readonly waitForAttaching?: boolean;
  /** At start: a failed host setup stops ipamd instead of leaving the ENI out. */
  readonly failOnHostSetup?: boolean;
}

/**
 * Makes the datastore agree with EC2, the truth (DESIGN.md §3): addresses EC2 assigns to this
 * node's ENIs that the datastore lacks are added, whenever they were last released (issue 9
 * item 2: a quarantine here hid addresses EC2 had assigned again after a lost answer, and the
 * pool starved for a minute); free addresses EC2 no longer assigns are dropped, ENIs come and go
 * likewise. Assigned addresses EC2 lost are reported loudly and kept (the pod still uses them).
 */
export async function resyncWithEc2(d: ResyncDeps, opts: ResyncOptions = {}): Promise<void> {
const { store, ec2, logger, defaultCard } = d;
  let all = await ec2.instanceEnis(d.instanceId);
  // At start, an ENI still attaching (a previous ipamd died just after attaching it) is waited
  // for, so it is adopted rather than a second ENI created beside it.
  const attaching = (enis: readonly Ec2Eni[]) => enis.some((e) => e.attachment?.status === 'attaching');
  if (opts.waitForAttaching && attaching(all)) {
    // Up to 10 s, every 250 ms; then what EC2 shows is taken as it is.
    all = await pRetry(
      async () => {
        const now = await ec2.instanceEnis(d.instanceId);
        if (attaching(now)) throw new Error('an ENI is still attaching');
        return now;
      },
      { retries: 40, minTimeout: 250, maxTimeout: 250, factor: 1, randomize: false },
    ).catch(() => ec2.instanceEnis(d.instanceId));
  }
  const inEc2 = all.filter((e) => e.attachment?.status === 'attached' && e.attachment.networkCard === defaultCard);
  d.seen?.(inEc2);
  const known = new Map(store.enis().map((e) => [e.id, e]));
  for (const e of inEc2) {
    if (e.attachment!.deviceIndex !== 0 && !e.attachment!.deleteOnTermination) {
      // An ipamd killed between Attach and ModifyNetworkInterfaceAttribute left it so: without
      // this the ENI and its addresses would outlive the instance.
      await ec2.setDeleteOnTermination(e.id, e.attachment!.id);
      logger.warn('set DeleteOnTermination on an attached ENI that lacked it', { eniId: e.id });
    }
    const mine = known.get(e.id);
    const ips = e.secondaryIps;
    const prefixes = e.prefixes;
    if (!mine) {
      const subnetCidr = await d.subnetCidrOf(e.subnetId).catch((err: unknown) => {
        // At start this stops ipamd (the checkpoint replay would drop its pods' allocations);
        // later the ENI waits for the next resync.
        if (opts.failOnHostSetup) throw err;
        logger.warn("an attached ENI's subnet CIDR is unknown yet; adopted at a later resync", { eniId: e.id, subnetId: e.subnetId, error: String(err) });
        return undefined;
      });
      if (subnetCidr === undefined) continue;
      if (e.attachment!.deviceIndex !== 0) {
        const host = { eniId: e.id, mac: e.mac, deviceIndex: e.attachment!.deviceIndex, primaryIp: e.primaryIp, subnetCidr };
        // At start a failure stops ipamd (as upstream): without this ENI in the pool, the
        // checkpoint replay would drop the allocations of pods running on its addresses.
        if (!(await d.host.setup(host, opts.failOnHostSetup ?? false))) continue;
      }
      await store.addEni({
        id: e.id,
        deviceIndex: e.attachment!.deviceIndex,
        mac: e.mac,
        isPrimary: e.attachment!.deviceIndex === 0,
        subnetCidr,
        primaryIp: e.primaryIp,
        secondaryIps: ips,
        prefixes,
      });
      logger.info('adopted an ENI attached in EC2', { eniId: e.id, deviceIndex: e.attachment!.deviceIndex });
      continue;
    }
    const added = [...(await store.addAddresses(e.id, ips)), ...(await store.addPrefixes(e.id, prefixes))];
    for (const item of added) {
      d.drift?.note('ec2-untracked', item, `EC2 assigns ${item} to ${e.id}, which ipamd did not know; added to the pool`, { repaired: true });
    }
    if (added.length && !d.drift) logger.warn('added addresses EC2 assigns that ipamd did not know', { eniId: e.id, added });
    const goneIps = mine.secondaryIps.filter((ip) => !e.secondaryIps.includes(ip));
    const gonePrefixes = mine.prefixes.filter((p) => !e.prefixes.includes(p));
    await dropGone(d, e.id, goneIps, gonePrefixes);
  }
  for (const mine of known.values()) {
    if (mine.isPrimary || inEc2.some((e) => e.id === mine.id)) continue;
    await dropGone(d, mine.id, mine.secondaryIps, mine.prefixes);
    const removed = await store.removeEni(mine.id).then(
      () => true,
      (err) => {
        logger.error('EC2 no longer attaches an ENI whose addresses pods still use', { eniId: mine.id, error: String(err) });
        if (d.drift?.note('ec2-lost', mine.id, `EC2 no longer attaches ${mine.id}, but pods use its addresses`, { repaired: false })) d.forceRemoved?.('eni');
        return false;
      },
    );
    if (removed) await d.host.teardown(mine.id);
  }
  for (const eniId of [...d.host.pending.keys()]) {
    if (inEc2.some((e) => e.id === eniId)) continue;
    await d.host.teardown(eniId);
  }
}

async function dropGone(d: ResyncDeps, eniId: string, ips: readonly string[], prefixes: readonly string[]): Promise<void> {
  const { store, logger } = d;
  for (const ip of ips) {
    await store.removeAddresses(eniId, [ip]).then(
      () => d.drift?.note('ec2-lost', ip, `EC2 no longer assigns ${ip} to ${eniId}; dropped from the pool`, { repaired: true }),
      (err) => {
        logger.error('EC2 no longer assigns an address a pod uses', { eniId, ip, error: String(err) });
        if (d.drift?.note('ec2-lost', ip, `EC2 no longer assigns ${ip} to ${eniId}, but a pod uses it`, { repaired: false })) d.forceRemoved?.('ip');
      },
    );
  }
  for (const p of prefixes) {
    await store.removePrefixes(eniId, [p]).catch((err) =>
      logger.error('EC2 no longer assigns a prefix pods use', { eniId, prefix: p, error: String(err) }),
    );
  }
}
