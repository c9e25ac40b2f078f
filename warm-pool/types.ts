/**
 * The warm-pool planner's contract (DESIGN.md §3). Pure data: the caller (ipamd's reconciler) takes
 * a snapshot of its datastore, the planner returns the next step and why. No I/O, no clock reads:
 * times arrive as numbers in the snapshot.
 */

/** One pod address slot: a secondary IPv4 (IP mode) or an address inside a /28 (prefix mode). */
export type AddressState = 'free' | 'assigned' | 'cooling';

export interface AddressView {
  readonly ip: string;
  readonly state: AddressState;
}

/**
 * A /28 delegated to an ENI (prefix mode) and the state of its 16 addresses. An address of the /28
 * that is not listed counts as free, so a caller may list only the addresses it tracks.
 */
export interface PrefixView {
  readonly prefix: string;
  readonly addresses: readonly AddressView[];
}

export interface EniView {
  readonly id: string;
  readonly deviceIndex: number;
  /** The instance's primary ENI (device 0): never freed. */
  readonly isPrimary: boolean;
  /** Secondary IPv4 addresses held (IP mode); empty in prefix mode. */
  readonly addresses: readonly AddressView[];
  /** /28 prefixes held (prefix mode); empty in IP mode. */
  readonly prefixes: readonly PrefixView[];
  /** Milliseconds since ipamd created or adopted the ENI. */
  readonly ageMs: number;
  /**
   * Attached, but no longer where new pods go (issue 11): an ENI of an ENIConfig the node no longer
   * uses, or the primary ENI with custom networking. It gets no new pod, its free addresses do not
   * count as warm, its free addresses are given back, and (unless primary) it is freed once empty.
   */
  readonly retired?: boolean;
}

export interface PoolSnapshot {
  readonly enis: readonly EniView[];
  /** Milliseconds since the last release of addresses (for the 30 s release pacing); Infinity if never. */
  readonly msSinceLastRelease: number;
  /** True while growth is paused after InsufficientFreeAddressesInSubnet / InsufficientCidrBlocks. */
  readonly growthBlocked: boolean;
  /**
   * Pods Kubernetes has bound to this node that have no address yet (issue 11 item 8, prewarm):
   * the targets are applied as if they already held one, so the pool grows before their ADDs
   * arrive and no warm address is released under them. 0 or unset: upstream's behaviour.
   */
  readonly expectedPods?: number;
}

export interface InstanceLimits {
  /** ENIs the instance type allows (DescribeInstanceTypes MaximumNetworkInterfaces). */
  readonly maxEnis: number;
  /** IPv4 addresses per ENI, the ENI's primary included. */
  readonly ipv4PerEni: number;
}

export interface Targets {
  readonly prefixMode: boolean;
  /** WARM_ENI_TARGET (default 1). Ignored when warmIpTarget or minimumIpTarget is set (upstream). */
  readonly warmEniTarget: number;
  /** WARM_IP_TARGET, unset = undefined. */
  readonly warmIpTarget?: number;
  /** MINIMUM_IP_TARGET, unset = undefined. */
  readonly minimumIpTarget?: number;
  /** WARM_PREFIX_TARGET (prefix mode). */
  readonly warmPrefixTarget?: number;
  /** MAX_ENI: a lower cap than the instance type's, unset = undefined. */
  readonly maxEni?: number;
  /**
   * Max pods (kubelet's maxPods, or the formula of DESIGN.md §3), unset = undefined. Growth stops once
   * the pool holds this many addresses (upstream: TotalIPs >= maxPods means "not too low"); matters
   * mostly in prefix mode, where the ENIs could hold far more addresses than the node runs pods.
   */
  readonly maxPods?: number;
  /** Addresses that may be released per step, and ENIs freed only when older than this. */
  readonly releaseIntervalMs: number;
  readonly minEniAgeToFreeMs: number;
}

/**
 * Why growth the targets asked for did not happen (a closed set, so metrics can label by it):
 * max pods reached, the ENI limit reached with every slot used, no slots per ENI at all, or growth
 * paused after subnet exhaustion.
 */
export type GrowthBlock = 'max-pods' | 'instance-limit' | 'no-slots' | 'subnet-full';

export type Step =
  /** `blocked` is set when the targets asked for more and the pool could not grow. */
  | { readonly kind: 'none'; readonly reason: string; readonly blocked?: GrowthBlock }
  /** Add secondary IPs (IP mode) or /28 prefixes (prefix mode) to an existing ENI. */
  | { readonly kind: 'assign'; readonly eniId: string; readonly count: number; readonly reason: string }
  /** Create and attach a new ENI already holding `count` secondary IPs or prefixes. */
  | { readonly kind: 'create-eni'; readonly count: number; readonly reason: string }
  /** Give back free secondary IPs (IP mode) or whole free prefixes (prefix mode) of one ENI. */
  | { readonly kind: 'release'; readonly eniId: string; readonly items: readonly string[]; readonly reason: string }
  /** Detach and delete an ENI with no pods and nothing cooling. */
  | { readonly kind: 'free-eni'; readonly eniId: string; readonly reason: string };
