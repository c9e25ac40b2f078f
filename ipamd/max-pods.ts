/**
 * Max pods: the one home of the formula (DESIGN.md §3) for ipamd's default and for `vpcwire
 * max-pods`, which reproduces EKS's max-pods-calculator.sh (awslabs/amazon-eks-ami,
 * templates/al2/runtime/max-pods-calculator.sh, last version 8f395aa, Aug 2025). Pure arithmetic:
 * no I/O, so the CLI loads nothing else of ipamd.
 */

/** Addresses in one /28 prefix: in prefix mode each secondary slot of an ENI holds one. */
export const IPS_PER_PREFIX = 16;

/** Pods that need no VPC address (host network: the CNI's own pod and kube-proxy). */
export const HOST_NETWORK_PODS = 2;

/** What the formula needs of an instance type: the default network card's ENIs and IPv4 per ENI. */
export interface EniLimits {
  readonly maxEnis: number;
  /** IPv4 addresses per ENI, the ENI's own primary address included. */
  readonly ipv4PerEni: number;
}

export interface MaxPodsOptions {
  /** Each secondary slot holds a /28 (16 addresses) instead of one address. */
  readonly prefixDelegation?: boolean;
  /** Custom networking: pods live on ENIs in other subnets, so the primary ENI holds none. */
  readonly customNetworking?: boolean;
  /** MAX_ENI: at most this many ENIs in all, the primary included. */
  readonly maxEni?: number;
}

/** ENIs whose addresses go to pods: MAX_ENI caps the count first, then custom networking drops the primary. */
export function podEnis(limits: EniLimits, o: MaxPodsOptions = {}): number {
  const enis = Math.min(limits.maxEnis, o.maxEni ?? Number.POSITIVE_INFINITY);
  return Math.max(0, enis - (o.customNetworking ? 1 : 0));
}

/**
 * Addresses the instance can hold for pods: each pod ENI's secondary slots (its primary address is
 * the ENI's own), times 16 in prefix mode. Also the planner's ceiling on the pool's size.
 */
export function podAddressCapacity(limits: EniLimits, o: MaxPodsOptions = {}): number {
  return podEnis(limits, o) * (limits.ipv4PerEni - 1) * (o.prefixDelegation ? IPS_PER_PREFIX : 1);
}

/** ENIs x (IPv4 per ENI - 1) + 2, per-ENI slots x 16 in prefix mode (DESIGN.md §3). */
export function maxPods(limits: EniLimits, o: MaxPodsOptions = {}): number {
  return podAddressCapacity(limits, o) + HOST_NETWORK_PODS;
}

/**
 * The calculator's recommended ceiling: 110 pods for a type with at most 30 vCPUs, 250 above
 * (the script's test is `CPU_COUNT -gt 30`, so exactly 30 vCPUs gets 110).
 */
export function maxPodsCeiling(vcpus: number): number {
  return vcpus > 30 ? 250 : 110;
}

/** The VPC CNI version that introduced prefix delegation (the script: major > 1, or 1 and minor > 8). */
export const PREFIX_DELEGATION_SINCE = '1.9.0';

/** A CNI version as the calculator reads it: X.Y[.Z], an optional leading v and -suffix (v1.12.6-eksbuild.2). */
export function parseCniVersion(text: string): { major: number; minor: number } | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?$/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export function cniSupportsPrefixDelegation(v: { major: number; minor: number }): boolean {
  return v.major > 1 || (v.major === 1 && v.minor > 8);
}

export interface CalculatorInput extends EniLimits {
  /** The calculator's Nitro test is `Hypervisor == "nitro"`: bare metal (no hypervisor) is not. */
  readonly nitro: boolean;
}

export interface CalculatorOptions extends MaxPodsOptions {
  /** The type's default vCPUs; needed only when the ceiling decides the answer. */
  readonly vcpus?: number;
  /** The script's --show-max-allowed: the formula's value, no ceiling. */
  readonly showMaxAllowed?: boolean;
}

export type CalculatorResult =
  | { readonly ok: true; readonly maxPods: number; readonly formula: number; readonly prefixApplied: boolean }
  /** The ceiling decides the answer and the vCPUs are unknown. */
  | { readonly ok: false; readonly formula: number; readonly prefixApplied: boolean };

/**
 * max-pods-calculator.sh: the formula, in prefix mode only on Nitro (elsewhere the script silently
 * falls back to secondary IPs, and so does this), then the vCPU ceiling unless showMaxAllowed.
 * The caller checks the CNI version (cniSupportsPrefixDelegation) before asking for prefixes.
 */
export function calculateMaxPods(t: CalculatorInput, o: CalculatorOptions = {}): CalculatorResult {
  const prefixApplied = (o.prefixDelegation ?? false) && t.nitro;
  const formula = maxPods(t, { ...o, prefixDelegation: prefixApplied });
  if (o.showMaxAllowed) return { ok: true, maxPods: formula, formula, prefixApplied };
  // The smaller ceiling already covers it: the vCPUs cannot change the answer.
  if (formula <= maxPodsCeiling(0)) return { ok: true, maxPods: formula, formula, prefixApplied };
  if (o.vcpus === undefined) return { ok: false, formula, prefixApplied };
  return { ok: true, maxPods: Math.min(formula, maxPodsCeiling(o.vcpus)), formula, prefixApplied };
}
