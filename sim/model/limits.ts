import { readFileSync } from 'node:fs';
import type { InstanceTypeLimits } from './types.ts';

interface RawLimits {
  bareMetal: boolean;
  defaultNetworkCardIndex: number;
  hypervisor: string;
  ipv4PerEni: number;
  maxEnis: number;
  networkCards: { maximumNetworkInterfaces: number; networkCardIndex: number }[];
}

let catalog: ReadonlyMap<string, InstanceTypeLimits> | undefined;

/** EC2's per-type network limits, from the same public data upstream compiles in. */
export function instanceTypeCatalog(): ReadonlyMap<string, InstanceTypeLimits> {
  if (catalog) return catalog;
  const file = new URL('../../data/ec2-instance-network-limits.json', import.meta.url);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { instanceTypes: Record<string, RawLimits> };
  const map = new Map<string, InstanceTypeLimits>();
  for (const [instanceType, l] of Object.entries(raw.instanceTypes)) {
    map.set(
      instanceType,
      Object.freeze({
        instanceType,
        maxEnis: l.maxEnis,
        ipv4PerEni: l.ipv4PerEni,
        hypervisor: l.hypervisor,
        bareMetal: l.bareMetal,
        defaultNetworkCardIndex: l.defaultNetworkCardIndex,
        networkCards: Object.freeze(l.networkCards.map((c) => Object.freeze({ ...c }))),
      }),
    );
  }
  catalog = map;
  return map;
}

export function instanceTypeLimits(instanceType: string): InstanceTypeLimits | undefined {
  return instanceTypeCatalog().get(instanceType);
}

/**
 * ENIs the whole instance can hold. The data's `maxEnis` is upstream's ENI limit for the default
 * network card only; a multi-card type holds each card's maximum (p4d.24xlarge: 4 x 15 = 60).
 */
export function totalEniLimit(l: InstanceTypeLimits): number {
  return l.networkCards.length > 1 ? l.networkCards.reduce((n, c) => n + c.maximumNetworkInterfaces, 0) : l.maxEnis;
}

/** Largest IPv4-per-ENI of any type: the most addresses EC2 lets one ENI hold. */
export function maxIpv4PerEniAnyType(): number {
  let max = 0;
  for (const l of instanceTypeCatalog().values()) max = Math.max(max, l.ipv4PerEni);
  return max;
}
