import pRetry, { AbortError } from 'p-retry';
import type { Config } from './config.ts';
import { IpamdError, isIpamdError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { EniPlacement, EniTarget } from './placement/types.ts';
import { primaryPlacement } from './placement/types.ts';
import type { Ec2Eni, Ec2Port, ImdsEni, ImdsPort, InstanceIdentity, InstanceTypeInfo } from './ports.ts';
import { SubnetCidrs } from './subnet-cidrs.ts';

/** Tag keys upstream puts on the ENIs it creates; the leaked-ENI sweep looks for them. */
export const TAG_INSTANCE_ID = 'node.k8s.amazonaws.com/instance_id';
export const TAG_CREATED_AT = 'node.k8s.amazonaws.com/createdAt';
export const TAG_CLUSTER_NAME = 'cluster.k8s.amazonaws.com/name';

export interface Waits {
  /** Bounded exponential backoff while IMDS catches up with EC2 (DESIGN.md §3). */
  imdsRetries: number;
  /** The longest pause between two IMDS polls. */
  imdsMaxTimeoutMs: number;
  /** Retries of detach -> available -> delete. */
  detachRetries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
}

/**
 * IMDS is the node's own endpoint (no EC2 budget): polled at most every 500 ms, about 22 s in all,
 * so a new ENI is used within half a second of IMDS showing it (issue 11's prewarm benchmark: a
 * 4 s cap left ENIs unused for up to 3 s after IMDS had them). EC2 waits back off to 4 s.
 */
export const DEFAULT_WAITS: Waits = { imdsRetries: 45, imdsMaxTimeoutMs: 500, detachRetries: 8, minTimeoutMs: 100, maxTimeoutMs: 4000 };

export interface NewEni {
  eni: Ec2Eni;
  deviceIndex: number;
  subnetCidr: string;
}

/**
 * The ENI lifecycle of DESIGN.md §3: free device index -> create (with the addresses it needs) ->
 * attach -> DeleteOnTermination -> wait for IMDS; and detach -> wait available -> delete, retried.
 * Whatever fails half way is undone so EC2 is not left with an orphan this node forgot.
 */
export class EniManager {
  readonly #ec2: Ec2Port;
  readonly #imds: ImdsPort;
  readonly #cfg: Config;
  readonly #log: Logger;
  readonly #identity: InstanceIdentity;
  readonly #type: InstanceTypeInfo;
  readonly #waits: Waits;
  readonly #now: () => number;
  readonly placement: EniPlacement;
  /** Where the last ENI this ipamd created went (introspection's /v1/eni-configs). */
  lastPlaced: { eniId: string; subnetId: string; securityGroups: readonly string[]; source: string; at: number } | undefined;
  readonly #subnetCidrs: SubnetCidrs;

  constructor(deps: {
    ec2: Ec2Port;
    imds: ImdsPort;
    config: Config;
    logger: Logger;
    identity: InstanceIdentity;
    instanceType: InstanceTypeInfo;
    primaryEni: ImdsEni;
    waits?: Partial<Waits>;
    now?: () => number;
    /** Where new ENIs go; the primary ENI's subnet and security groups by default. */
    placement?: EniPlacement;
  }) {
    this.#ec2 = deps.ec2;
    this.#imds = deps.imds;
    this.#cfg = deps.config;
    this.#log = deps.logger;
    this.#identity = deps.identity;
    this.#type = deps.instanceType;
    this.#waits = { ...DEFAULT_WAITS, ...deps.waits };
    this.#now = deps.now ?? Date.now;
    this.placement = deps.placement ?? primaryPlacement(deps.primaryEni);
    this.#subnetCidrs = new SubnetCidrs({ imds: deps.imds, ec2: deps.ec2, known: [[deps.primaryEni.subnetId, deps.primaryEni.subnetCidr]] });
  }

  /** An attached ENI's own subnet CIDR (it may not be the primary ENI's subnet): subnet-cidrs.ts. */
  subnetCidrOf(subnetId: string): Promise<string> {
    return this.#subnetCidrs.of(subnetId);
  }

  tags(): Record<string, string> {
    return {
      ...this.#cfg.additionalEniTags,
      [TAG_INSTANCE_ID]: this.#identity.instanceId,
      [TAG_CREATED_AT]: new Date(this.#now()).toISOString(),
      ...(this.#cfg.clusterName ? { [TAG_CLUSTER_NAME]: this.#cfg.clusterName } : {}),
    };
  }

  /**
   * Creates an ENI already holding `count` IPs or prefixes, attaches it and waits for IMDS. Several
   * may run at once (the reconciler grows by more than one ENI in one step): each reserves its
   * device index until it is attached.
   */
  async create(count: number): Promise<NewEni> {
    const attached = await this.#ec2.instanceEnis(this.#identity.instanceId);
    const used = new Set(
      attached.filter((e) => e.attachment?.networkCard === this.#type.defaultNetworkCard).map((e) => e.attachment!.deviceIndex),
    );
    let deviceIndex = 1;
    while (used.has(deviceIndex) || this.#reserved.has(deviceIndex)) deviceIndex++;
    this.#reserved.add(deviceIndex);
    try {
      return await this.#createAt(count, deviceIndex);
    } finally {
      this.#reserved.delete(deviceIndex);
    }
  }

  /** Device indexes of ENIs being created now. */
  readonly #reserved = new Set<number>();

  async #createAt(count: number, deviceIndex: number): Promise<NewEni> {
    const prefix = this.#cfg.prefixDelegation;
    const { eni, target } = await this.#createInSubnet(count);
    try {
      const attachmentId = await this.#ec2.attachEni(eni.id, this.#identity.instanceId, deviceIndex, this.#type.defaultNetworkCard);
      await this.#ec2.setDeleteOnTermination(eni.id, attachmentId);
    } catch (e) {
      this.#log.warn('attaching a new ENI failed; deleting it', { eniId: eni.id, error: String(e) });
      await this.#ec2.deleteEni(eni.id).catch((err) =>
        this.#log.error('could not delete the ENI that failed to attach; the leaked-ENI sweep will', {
          eniId: eni.id,
          error: String(err),
        }),
      );
      throw e;
    }
    await this.waitForImds(eni.id, (m) => m.ipv4s.length > 0);
    this.#log.info('ENI created and attached', { eniId: eni.id, deviceIndex, count, prefixMode: prefix, subnetId: target.subnetId, placement: target.source });
    this.lastPlaced = { eniId: eni.id, subnetId: target.subnetId, securityGroups: target.groupIds, source: target.source, at: this.#now() };
    return { eni, deviceIndex, subnetCidr: target.subnetCidr };
  }

  /**
   * CreateNetworkInterface where the placement says; a subnet that refuses for want of addresses
   * or /28 blocks is passed over for the placement's next best (subnet discovery), until it has
   * none left to offer and the last refusal is the answer (the reconciler then pauses growth).
   */
  async #createInSubnet(count: number): Promise<{ eni: Ec2Eni; target: EniTarget }> {
    const exhausted = new Set<string>();
    let target = await this.placement.next(exhausted);
    for (;;) {
      try {
        const eni = await this.#ec2.createEni({
          subnetId: target.subnetId,
          groupIds: target.groupIds,
          description: `aws-K8S-${this.#identity.instanceId}`,
          tags: this.tags(),
          ...(this.#cfg.prefixDelegation ? { prefixCount: count } : { secondaryIpCount: count }),
        });
        return { eni, target };
      } catch (e) {
        if (!isIpamdError(e, 'IPAMD_EC2_SUBNET_FULL') && !isIpamdError(e, 'IPAMD_EC2_NO_CIDR_BLOCKS')) throw e;
        exhausted.add(target.subnetId);
        const again = await this.placement.next(exhausted);
        if (exhausted.has(again.subnetId)) throw e;
        this.#log.warn('subnet cannot take the new ENI; trying the next', { subnetId: target.subnetId, code: e.code, next: again.subnetId });
        target = again;
      }
    }
  }

  /** Waits (bounded exponential backoff) until IMDS shows the ENI and `ready` holds for it. */
  async waitForImds(eniId: string, ready: (m: ImdsEni) => boolean): Promise<ImdsEni> {
    return pRetry(
      async () => {
        const m = (await this.#imds.enis()).find((x) => x.eniId === eniId);
        if (!m || !ready(m)) throw new IpamdError('IPAMD_IMDS_INCONSISTENT', `IMDS does not show ${eniId} as EC2 does yet`);
        return m;
      },
      { retries: this.#waits.imdsRetries, minTimeout: this.#waits.minTimeoutMs, maxTimeout: this.#waits.imdsMaxTimeoutMs, factor: 2 },
    );
  }

  /** Detach, wait until EC2 says available, delete; an ENI already gone is success. */
  async free(eniId: string): Promise<void> {
    const eni = await this.#ec2.eni(eniId);
    if (!eni) return;
    if (eni.attachment && eni.attachment.status !== 'detaching') {
      await this.#ec2.detachEni(eni.attachment.id).catch((e) => {
        if (!isIpamdError(e, 'IPAMD_EC2_NOT_FOUND') && !isIpamdError(e, 'IPAMD_EC2_INCORRECT_STATE')) throw e;
      });
    }
    await pRetry(
      async () => {
        const now = await this.#ec2.eni(eniId);
        if (!now) return;
        if (now.status !== 'available') throw new IpamdError('IPAMD_EC2_INCORRECT_STATE', `${eniId} is still ${now.status}`);
        try {
          await this.#ec2.deleteEni(eniId);
        } catch (e) {
          if (isIpamdError(e, 'IPAMD_EC2_NOT_FOUND')) return;
          if (isIpamdError(e, 'IPAMD_EC2_AUTH')) throw new AbortError(e);
          throw e;
        }
      },
      { retries: this.#waits.detachRetries, minTimeout: this.#waits.minTimeoutMs, maxTimeout: this.#waits.maxTimeoutMs, factor: 2 },
    );
    this.#log.info('ENI freed', { eniId });
  }
}
