/**
 * Subnet discovery (ENABLE_SUBNET_DISCOVERY, issue 11 item 3): a new ENI goes to the subnet of the
 * node's VPC and availability zone with the most free addresses, among the primary ENI's subnet
 * and the subnets tagged `kubernetes.io/role/cni`. The rules are upstream's (v1.23,
 * pkg/awsutils: createENI, GetVpcSubnets, isSubnetValidForENICreation, IsSubnetExcluded):
 * - DescribeSubnets filtered by vpc-id and availability-zone; tags are judged here, not filtered
 *   by EC2, because the primary subnet counts untagged and a tag value of "0" means "never".
 * - `kubernetes.io/role/cni=0` excludes a subnet, the primary one included; any other non-empty
 *   value includes it; untagged (or an empty value) includes only the primary subnet.
 * - A tagged subnet carrying `cni.networking.k8s.aws/cluster/<name>` keys, none of them for
 *   CLUSTER_NAME, belongs to other clusters (checked only when CLUSTER_NAME is set).
 * - Most AvailableIpAddressCount first (ties in EC2's order); security groups stay the primary
 *   ENI's; DescribeSubnets failing falls back to the primary subnet, as upstream documents.
 * Unlike upstream, a subnet with no free address is not tried at all, and only a subnet that
 * refused the ENI for want of addresses or /28 blocks is passed over for the next (eni-manager.ts
 * passes it in `exclude`): another error (throttling, permissions) would fail in every subnet.
 */
import { IpamdError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Ec2Port, Ec2Subnet } from '../ports.ts';
import type { EniPlacement, EniTarget, PlacementView } from './types.ts';

export const CNI_ROLE_TAG = 'kubernetes.io/role/cni';
export const CLUSTER_TAG_PREFIX = 'cni.networking.k8s.aws/cluster/';

/** How a subnet of the node's VPC and zone is judged: only `candidate` may get new ENIs. */
export type SubnetVerdict = 'candidate' | 'untagged' | 'excluded' | 'other-cluster';

export interface DiscoveryScope {
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly primarySubnetId: string;
  /** CLUSTER_NAME; unset = cluster tags are not looked at. */
  readonly clusterName: string | undefined;
}

export function judgeSubnet(s: Pick<Ec2Subnet, 'id' | 'tags'>, scope: Pick<DiscoveryScope, 'primarySubnetId' | 'clusterName'>): SubnetVerdict {
  const role = s.tags[CNI_ROLE_TAG] ?? '';
  if (role === '0') return 'excluded';
  if (role === '') return s.id === scope.primarySubnetId ? 'candidate' : 'untagged';
  if (!scope.clusterName) return 'candidate';
  const clusters = Object.keys(s.tags).filter((k) => k.startsWith(CLUSTER_TAG_PREFIX));
  return clusters.length === 0 || clusters.includes(CLUSTER_TAG_PREFIX + scope.clusterName) ? 'candidate' : 'other-cluster';
}

/** Whether ENIs already in this subnet are kept out of use (upstream's IsSubnetExcluded). */
export function subnetExcluded(s: Pick<Ec2Subnet, 'id' | 'tags'>, scope: Pick<DiscoveryScope, 'primarySubnetId' | 'clusterName'>): boolean {
  const v = judgeSubnet(s, scope);
  return v === 'excluded' || v === 'other-cluster';
}

export interface Ranking {
  /** Where new ENIs may go, most free addresses first. */
  readonly candidates: readonly Ec2Subnet[];
  /** Every other subnet EC2 listed, and why it was passed over. */
  readonly passedOver: ReadonlyMap<string, string>;
}

/** The pure part: which described subnets may take a new ENI, best first. */
export function rankSubnets(subnets: readonly Ec2Subnet[], scope: DiscoveryScope): Ranking {
  const candidates: Ec2Subnet[] = [];
  const passedOver = new Map<string, string>();
  for (const s of subnets) {
    // EC2 filtered already; a port that did not must not place ENIs in another VPC or zone.
    if (s.vpcId !== scope.vpcId) passedOver.set(s.id, `in ${s.vpcId}, not the node's ${scope.vpcId}`);
    else if (s.availabilityZone !== scope.availabilityZone) passedOver.set(s.id, `in ${s.availabilityZone}, not the node's ${scope.availabilityZone}`);
    else {
      const verdict = judgeSubnet(s, scope);
      if (verdict === 'untagged') passedOver.set(s.id, `not tagged ${CNI_ROLE_TAG}`);
      else if (verdict === 'excluded') passedOver.set(s.id, `tagged ${CNI_ROLE_TAG}=0`);
      else if (verdict === 'other-cluster') passedOver.set(s.id, `tagged for other clusters (${CLUSTER_TAG_PREFIX}*), not ${scope.clusterName}`);
      else if (s.availableIps <= 0) passedOver.set(s.id, 'no free address');
      else candidates.push(s);
    }
  }
  // Array.prototype.sort is stable: equal counts keep EC2's order, as upstream's SliceStable.
  candidates.sort((a, b) => b.availableIps - a.availableIps);
  return { candidates, passedOver };
}

export interface SubnetDiscoveryDeps {
  readonly ec2: Pick<Ec2Port, 'subnets'>;
  readonly primary: {
    readonly subnetId: string;
    readonly subnetCidr: string;
    readonly vpcId: string;
    readonly securityGroupIds: readonly string[];
  };
  readonly availabilityZone: string;
  readonly clusterName: string | undefined;
  readonly logger: Logger;
}

export class SubnetDiscoveryPlacement implements EniPlacement {
  readonly #d: SubnetDiscoveryDeps;
  readonly #scope: DiscoveryScope;
  /** Subnets whose ENIs are kept out of use, from the last description (none before the first). */
  #excluded: ReadonlySet<string> = new Set();

  constructor(d: SubnetDiscoveryDeps) {
    this.#d = d;
    this.#scope = {
      vpcId: d.primary.vpcId,
      availabilityZone: d.availabilityZone,
      primarySubnetId: d.primary.subnetId,
      clusterName: d.clusterName,
    };
  }

  describe(): PlacementView {
    // Which subnet wins is decided per ENI from DescribeSubnets; the view names the scope.
    return { source: 'subnet-discovery', subnetId: this.#d.primary.subnetId, securityGroups: this.#d.primary.securityGroupIds };
  }

  /** False once the primary subnet is tagged `kubernetes.io/role/cni=0` (as upstream excludes the primary ENI). */
  get podsOnPrimaryEni(): boolean {
    return !this.#excluded.has(this.#d.primary.subnetId);
  }

  current(eni: { readonly subnetId: string }): boolean {
    return !this.#excluded.has(eni.subnetId);
  }

  /** Describes the node's VPC and zone and ranks its subnets; remembers which are excluded. */
  async refresh(): Promise<Ranking> {
    const { ec2 } = this.#d;
    const subnets = await ec2.subnets([
      { name: 'vpc-id', values: [this.#scope.vpcId] },
      { name: 'availability-zone', values: [this.#scope.availabilityZone] },
    ]);
    const ranking = rankSubnets(subnets, this.#scope);
    this.#excluded = new Set(subnets.filter((s) => subnetExcluded(s, this.#scope)).map((s) => s.id));
    // The primary subnet not listed (upstream: shared from another account) is still the node's
    // own: the last resort rather than no ENI at all.
    if (!subnets.some((s) => s.id === this.#scope.primarySubnetId)) {
      const p = this.#d.primary;
      const primary: Ec2Subnet = { id: p.subnetId, vpcId: p.vpcId, cidr: p.subnetCidr, availabilityZone: this.#scope.availabilityZone, availableIps: 0, tags: {} };
      return { candidates: [...ranking.candidates, primary], passedOver: ranking.passedOver };
    }
    return ranking;
  }

  async next(exclude: ReadonlySet<string> = new Set()): Promise<EniTarget> {
    const { primary, logger } = this.#d;
    let ranking: Ranking;
    try {
      ranking = await this.refresh();
    } catch (e) {
      if (!this.podsOnPrimaryEni) {
        throw new IpamdError('IPAMD_PLACEMENT_UNAVAILABLE', `DescribeSubnets failed and the primary subnet ${primary.subnetId} is tagged ${CNI_ROLE_TAG}=0: ${String(e)}`, { cause: e });
      }
      logger.warn("DescribeSubnets failed; the new ENI goes to the primary ENI's subnet", { subnetId: primary.subnetId, error: String(e) });
      return this.#target(primary.subnetId, primary.subnetCidr);
    }
    const { candidates, passedOver } = ranking;
    logger.debug('subnet discovery', {
      candidates: candidates.map((s) => `${s.id} (${s.availableIps} free)`),
      passedOver: Object.fromEntries(passedOver),
      ...(exclude.size ? { exhausted: [...exclude] } : {}),
    });
    // Every candidate refused already: the first one again tells the caller to stop.
    const pick = candidates.find((s) => !exclude.has(s.id)) ?? candidates[0];
    if (pick) return this.#target(pick.id, pick.cidr);
    const why = [...passedOver].map(([id, reason]) => `${id}: ${reason}`).join('; ');
    const where = `${this.#scope.vpcId} ${this.#scope.availabilityZone}`;
    if ([...passedOver.values()].includes('no free address')) {
      // Growth pauses (reconciler.ts) as when EC2 says so, without a CreateNetworkInterface doomed to fail.
      throw new IpamdError('IPAMD_EC2_SUBNET_FULL', `no subnet for a new ENI in ${where} has a free address (${why})`);
    }
    throw new IpamdError('IPAMD_PLACEMENT_UNAVAILABLE', `no subnet in ${where} may take a new ENI (${why})`);
  }

  #target(subnetId: string, subnetCidr: string): EniTarget {
    return { subnetId, subnetCidr, groupIds: this.#d.primary.securityGroupIds, source: 'subnet-discovery' };
  }
}

/**
 * The placement, with the node's subnets described once at start: the log then says where new
 * ENIs will go, and which subnets' ENIs are excluded is known before the first pod. A failure
 * here is only logged: each new ENI describes again.
 */
export async function startSubnetDiscovery(d: SubnetDiscoveryDeps): Promise<SubnetDiscoveryPlacement> {
  const placement = new SubnetDiscoveryPlacement(d);
  await placement.refresh().then(
    (r) =>
      d.logger.info('subnet discovery on: new ENIs go to the first of these subnets with free addresses', {
        candidates: r.candidates.map((s) => `${s.id} ${s.cidr} (${s.availableIps} free)`),
        passedOver: Object.fromEntries(r.passedOver),
      }),
    (e: unknown) => d.logger.warn('subnet discovery on, but DescribeSubnets failed at start; retried for each new ENI', { error: String(e) }),
  );
  return placement;
}
