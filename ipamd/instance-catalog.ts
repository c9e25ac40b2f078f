/**
 * EC2's per-type network limits as shipped in the image (data/ec2-instance-network-limits.json, the
 * public DescribeInstanceTypes data upstream compiles in). ipamd itself asks EC2; this is for
 * answers without an AWS call (`vpcwire max-pods`). The emulator reads the same file through its
 * own reader: it shares no code with what it is the oracle for (DESIGN.md §8).
 */
import { readFileSync } from 'node:fs';

export const INSTANCE_LIMITS_FILE = 'data/ec2-instance-network-limits.json';

export interface CatalogEntry {
  readonly instanceType: string;
  /** ENIs on the default network card: the only card the CNI uses for pods. */
  readonly maxEnis: number;
  readonly ipv4PerEni: number;
  /** 'nitro', 'xen', or 'unknown' (bare metal, where EC2 names no hypervisor). */
  readonly hypervisor: string;
  readonly bareMetal: boolean;
}

interface RawEntry {
  bareMetal: boolean;
  hypervisor: string;
  ipv4PerEni: number;
  maxEnis: number;
}

let cache: ReadonlyMap<string, CatalogEntry> | undefined;

export function instanceCatalog(): ReadonlyMap<string, CatalogEntry> {
  if (cache) return cache;
  const raw = JSON.parse(readFileSync(new URL(`../${INSTANCE_LIMITS_FILE}`, import.meta.url), 'utf8')) as {
    instanceTypes: Record<string, RawEntry>;
  };
  const map = new Map<string, CatalogEntry>();
  for (const [instanceType, e] of Object.entries(raw.instanceTypes)) {
    map.set(instanceType, Object.freeze({ instanceType, maxEnis: e.maxEnis, ipv4PerEni: e.ipv4PerEni, hypervisor: e.hypervisor, bareMetal: e.bareMetal }));
  }
  cache = map;
  return map;
}

/** Known types of the same family (the part before the dot), for an error about a mistyped one. */
export function familyOf(instanceType: string): string[] {
  const family = instanceType.split('.')[0]!;
  return [...instanceCatalog().keys()].filter((t) => t.split('.')[0] === family).sort();
}
