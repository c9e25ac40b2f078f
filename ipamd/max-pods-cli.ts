/**
 * `vpcwire max-pods` (issue 11 item 6): kubelet's maxPods for an instance type, as EKS's
 * max-pods-calculator.sh computes it, from the limits the image ships instead of an EC2 call. The
 * answer alone goes to stdout so that `--max-pods=$(vpcwire max-pods ...)` works; notes go to stderr.
 */
import { parseArgs } from 'node:util';
import { familyOf, INSTANCE_LIMITS_FILE, instanceCatalog } from './instance-catalog.ts';
import {
  calculateMaxPods,
  cniSupportsPrefixDelegation,
  maxPodsCeiling,
  parseCniVersion,
  podEnis,
  PREFIX_DELEGATION_SINCE,
} from './max-pods.ts';

export const MAX_PODS_USAGE = `vpcwire max-pods options:
  --instance-type T     the EC2 instance type (required), e.g. m5.large
  --prefix-delegation   ENABLE_PREFIX_DELEGATION: each secondary slot holds a /28 (Nitro types only)
  --custom-networking   custom networking: the primary ENI holds no pods
  --max-eni N           MAX_ENI: use at most N ENIs, the primary included
  --cni-version X.Y.Z   the VPC CNI version the node runs (default: one with prefix delegation)
  --vcpus N             the type's default vCPUs: chooses the ceiling of 110 (<= 30 vCPUs) or 250
  --show-max-allowed    the formula's value, without that ceiling (the published eni-max-pods.txt)

Prints ENIs x (IPv4 per ENI - 1) + 2 (x 16 per slot with prefixes), capped at 110 or 250 by vCPUs.`;

class UsageError extends Error {}

/** A positive integer option, or undefined when absent; anything else is a UsageError naming the option. */
function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`--${name} must be a positive integer, got '${text}'`);
  return Number(text);
}

function unknownType(instanceType: string): UsageError {
  const family = familyOf(instanceType);
  const shown = family.slice(0, 12).join(', ') + (family.length > 12 ? `, ... (${family.length})` : '');
  const hint = family.length > 0 ? `; ${instanceType.split('.')[0]} types: ${shown}` : '';
  return new UsageError(`unknown instance type '${instanceType}': not in ${INSTANCE_LIMITS_FILE} (${instanceCatalog().size} types)${hint}`);
}

/** Parses, computes and prints; returns the exit code (2 for bad input, as the rest of the CLI). */
export function runMaxPodsCommand(args: string[]): number {
  try {
    const out = maxPodsCommand(args);
    process.stdout.write(out.stdout);
    for (const note of out.notes) process.stderr.write(`vpcwire max-pods: note: ${note}\n`);
    return 0;
  } catch (e) {
    // parseArgs reports an unknown option, a missing value or a stray argument as ERR_PARSE_ARGS_*.
    const parseError = /^ERR_PARSE_ARGS_/.test((e as NodeJS.ErrnoException).code ?? '');
    if (!(e instanceof UsageError) && !parseError) throw e;
    process.stderr.write(`vpcwire max-pods: ${(e as Error).message}${parseError ? `\n\n${MAX_PODS_USAGE}` : ''}\n`);
    return 2;
  }
}

function maxPodsCommand(args: string[]): { stdout: string; notes: string[] } {
  const { values } = parseArgs({
    args,
    options: {
      'instance-type': { type: 'string' },
      'prefix-delegation': { type: 'boolean' },
      'custom-networking': { type: 'boolean' },
      'max-eni': { type: 'string' },
      'cni-version': { type: 'string' },
      vcpus: { type: 'string' },
      'show-max-allowed': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { stdout: `${MAX_PODS_USAGE}\n`, notes: [] };
  const instanceType = values['instance-type'];
  if (instanceType === undefined || instanceType === '') throw new UsageError('--instance-type is required (e.g. --instance-type m5.large)');
  const maxEni = positiveInt('max-eni', values['max-eni']);
  const vcpus = positiveInt('vcpus', values.vcpus);
  const prefixDelegation = values['prefix-delegation'] ?? false;
  const customNetworking = values['custom-networking'] ?? false;
  const cniVersion = values['cni-version'];
  if (cniVersion !== undefined) {
    const v = parseCniVersion(cniVersion);
    if (!v) throw new UsageError(`--cni-version must be a version such as 1.9.0 (X.Y.Z, optionally v1.12.6-eksbuild.2), got '${cniVersion}'`);
    // The script quietly counts secondary IPs here; a node configured so would run with a maxPods
    // far below what its pool holds, so say it instead.
    if (prefixDelegation && !cniSupportsPrefixDelegation(v)) {
      throw new UsageError(`--prefix-delegation needs VPC CNI ${PREFIX_DELEGATION_SINCE} or later (prefix delegation came in 1.9), but --cni-version is ${cniVersion}`);
    }
  }
  const t = instanceCatalog().get(instanceType);
  if (!t) throw unknownType(instanceType);

  const r = calculateMaxPods(
    { maxEnis: t.maxEnis, ipv4PerEni: t.ipv4PerEni, nitro: t.hypervisor === 'nitro' },
    { prefixDelegation, customNetworking, maxEni, vcpus, showMaxAllowed: values['show-max-allowed'] ?? false },
  );
  if (!r.ok) {
    const [low, high] = [Math.min(r.formula, maxPodsCeiling(30)), Math.min(r.formula, maxPodsCeiling(31))];
    throw new UsageError(
      `${instanceType}: the answer depends on its vCPUs, which ${INSTANCE_LIMITS_FILE} does not hold: ${low} with at most 30 vCPUs, ` +
        `${high} with more (the formula gives ${r.formula}); pass --vcpus N (the type's default vCPUs), or --show-max-allowed for ${r.formula}`,
    );
  }
  const notes: string[] = [];
  if (prefixDelegation && !r.prefixApplied) {
    notes.push(
      t.bareMetal
        ? `${instanceType} is bare metal, which EC2 gives no hypervisor, so the calculator does not count it as Nitro and counts secondary IPs, not /28 prefixes (the VPC CNI itself does use prefixes on bare metal)`
        : `${instanceType} is not a Nitro type (hypervisor ${t.hypervisor}): no prefix delegation there, so the count is of secondary IPs`,
    );
  }
  if (podEnis(t, { maxEni, customNetworking }) === 0) notes.push(`no ENI is left for pods (${t.maxEnis} ENI${t.maxEnis === 1 ? '' : 's'}${maxEni !== undefined ? `, --max-eni ${maxEni}` : ''}): only the 2 host-network pods fit`);
  return { stdout: `${r.maxPods}\n`, notes };
}
