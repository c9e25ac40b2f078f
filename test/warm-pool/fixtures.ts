/**
 * Hand-written pools for table-driven cases. An IP-mode ENI is a string of address states, one
 * letter per secondary IP: A assigned, C cooling, F free ('AAF' = two pods and one free address).
 * A prefix-mode ENI is a list of /28s, each [assigned, cooling] (the rest of its 16 free).
 */
import type { AddressState, EniView, InstanceLimits, PoolSnapshot, Targets } from '../../warm-pool/index.ts';

export const T3_SMALL: InstanceLimits = { maxEnis: 3, ipv4PerEni: 4 };
export const OLD = 3_600_000;

const STATES: Record<string, AddressState> = { A: 'assigned', C: 'cooling', F: 'free' };

export interface EniOptions {
  readonly ageMs?: number;
  readonly id?: string;
}

export function ipEni(deviceIndex: number, states: string, options: EniOptions = {}): EniView {
  return {
    id: options.id ?? (deviceIndex === 0 ? 'eni-p' : `eni-${deviceIndex}`),
    deviceIndex,
    isPrimary: deviceIndex === 0,
    addresses: [...states].map((ch, i) => ({ ip: `10.0.${deviceIndex}.${10 + i}`, state: STATES[ch]! })),
    prefixes: [],
    ageMs: options.ageMs ?? OLD,
  };
}

export function prefixEni(deviceIndex: number, prefixes: readonly (readonly [number, number])[], options: EniOptions = {}): EniView {
  return {
    id: options.id ?? (deviceIndex === 0 ? 'eni-p' : `eni-${deviceIndex}`),
    deviceIndex,
    isPrimary: deviceIndex === 0,
    addresses: [],
    prefixes: prefixes.map(([assigned, cooling], j) => ({
      prefix: `10.${deviceIndex + 1}.0.${j * 16}/28`,
      addresses: Array.from({ length: 16 }, (_, i) => ({
        ip: `10.${deviceIndex + 1}.0.${j * 16 + i}`,
        state: i < assigned ? 'assigned' : i < assigned + cooling ? 'cooling' : 'free',
      })),
    })),
    ageMs: options.ageMs ?? OLD,
  };
}

export function pool(enis: readonly EniView[], options: Partial<Omit<PoolSnapshot, 'enis'>> = {}): PoolSnapshot {
  return { enis, msSinceLastRelease: Infinity, growthBlocked: false, ...options };
}

export function targets(t: Partial<Targets> = {}): Targets {
  return { prefixMode: false, warmEniTarget: 1, releaseIntervalMs: 30_000, minEniAgeToFreeMs: 60_000, ...t };
}
