/**
 * Where ipamd places the secondary ENIs it creates (issue 11): the primary ENI's subnet and
 * security groups by default, a tagged subnet with subnet discovery, or the node's ENIConfig with
 * custom networking. One port, so the ENI lifecycle (eni-manager.ts) does not know which.
 */
export interface EniTarget {
  readonly subnetId: string;
  /** The subnet's IPv4 CIDR: per-ENI host routing needs its gateway. */
  readonly subnetCidr: string;
  readonly groupIds: readonly string[];
  /** What chose it, for logs and status: 'primary', 'subnet-discovery', 'eniconfig/<name>'. */
  readonly source: string;
}

export interface EniPlacement {
  /**
   * Where the next ENI goes. Rejects with an IpamdError (IPAMD_PLACEMENT_UNAVAILABLE) when no
   * target can be named now (a missing or invalid ENIConfig): the pool then does not grow, and the
   * addresses it already holds are still served. `exclude` names subnets that just refused this
   * ENI for want of addresses (eni-manager.ts): a placement with another subnet to offer offers
   * it; one without answers a subnet in `exclude`, and the caller gives up.
   */
  next(exclude?: ReadonlySet<string>): Promise<EniTarget>;
  /**
   * Whether an attached ENI still matches the current placement. False for ENIs of an ENIConfig
   * the node no longer uses: they get no new pods and are freed once empty.
   */
  current(eni: { readonly subnetId: string; readonly groupIds: readonly string[] }): boolean;
  /** Whether the primary ENI's secondary addresses hold pods (false with custom networking). */
  readonly podsOnPrimaryEni: boolean;
  /** What is in force now, for introspection (issue 13); no EC2 call. */
  describe?(): PlacementView;
}

/** The placement in force as introspection shows it. */
export interface PlacementView {
  readonly source: string;
  /** The ENIConfig the Node names (custom networking). */
  readonly eniConfig?: string;
  readonly subnetId?: string;
  readonly securityGroups?: readonly string[];
  /** Why no new ENI can be placed now, when that is so. */
  readonly problem?: string;
}

/** Today's behaviour: every ENI in the primary ENI's subnet with its security groups. */
export function primaryPlacement(primary: {
  readonly subnetId: string;
  readonly subnetCidr: string;
  readonly securityGroupIds: readonly string[];
}): EniPlacement {
  const target: EniTarget = {
    subnetId: primary.subnetId,
    subnetCidr: primary.subnetCidr,
    groupIds: primary.securityGroupIds,
    source: 'primary',
  };
  return {
    next: () => Promise.resolve(target),
    current: () => true,
    podsOnPrimaryEni: true,
    describe: () => ({ source: 'primary', subnetId: target.subnetId, securityGroups: target.groupIds }),
  };
}
