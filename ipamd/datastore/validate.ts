/**
 * Field validation shared by the API (arguments) and the checkpoint decoder (file contents), so
 * both reject the same things with the same messages: `<field path>: expected <what>, got <value>`.
 * Each checker returns a fresh frozen copy holding only the known fields.
 */
import { invalid } from './errors.ts';
import { cidrContains, parseCidr, parseIpv4, PREFIX_LENGTH } from './ipv4.ts';
import type { Allocation, AllocationKey, CoolingEntry, RecordedPod } from './types.ts';

type Obj = Record<string, unknown>;

export function checkObject(value: unknown, field: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'an object', value);
  return value as Obj;
}

export function checkString(value: unknown, field: string, opts: { allowEmpty?: boolean } = {}): string {
  if (typeof value !== 'string' || (!opts.allowEmpty && value === '')) {
    throw invalid(field, opts.allowEmpty ? 'a string' : 'a non-empty string', value);
  }
  return value;
}

export function checkIpv4(value: unknown, field: string): string {
  if (parseIpv4(value) === undefined) throw invalid(field, 'a canonical IPv4 address', value);
  return value as string;
}

export function checkPrefix(value: unknown, field: string): string {
  const cidr = parseCidr(value);
  if (cidr === undefined || cidr.prefixLength !== PREFIX_LENGTH) throw invalid(field, 'an aligned /28 prefix', value);
  return cidr.text;
}

export function checkIndex(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(field, 'a non-negative integer', value);
  }
  return value;
}

export function checkTime(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(field, 'a finite non-negative epoch-ms number', value);
  }
  return value;
}

export function checkKey(value: unknown, field = 'key'): AllocationKey {
  const o = checkObject(value, field);
  return Object.freeze({
    networkName: checkString(o.networkName, `${field}.networkName`),
    containerId: checkString(o.containerId, `${field}.containerId`),
    ifName: checkString(o.ifName, `${field}.ifName`),
  });
}

/** Each part may be empty: runtimes other than kubelet's pass some or none of them (issue 9 item 3). */
export function checkPod(value: unknown, field = 'pod'): RecordedPod {
  const o = checkObject(value, field);
  return Object.freeze({
    namespace: checkString(o.namespace ?? '', `${field}.namespace`, { allowEmpty: true }),
    name: checkString(o.name ?? '', `${field}.name`, { allowEmpty: true }),
    uid: checkString(o.uid ?? '', `${field}.uid`, { allowEmpty: true }),
  });
}

/** A host veth name as ipamd makes them: 1-15 bytes, no '/', ':' or whitespace (IFNAMSIZ). */
export function checkVeth(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > 15 || /[/:\s]/.test(value)) {
    throw invalid(field, 'an interface name of 1-15 bytes', value);
  }
  return value;
}

/** The key of a recovered allocation: no CNI triple is known (types.ts). */
export const RECOVERED_KEY: AllocationKey = Object.freeze({ networkName: '', containerId: '', ifName: '' });

/**
 * How logs name an allocation: "pod namespace/name" when the runtime named the whole pod, else the
 * container (with the name podman passes), as the host veth is named (ipamd/veth.ts).
 */
export function podLabel(pod: RecordedPod, key: AllocationKey): string {
  if (pod.namespace && pod.name) return `pod ${pod.namespace}/${pod.name}`;
  return `container ${key.containerId}${pod.name ? ` (${pod.name})` : ''}`;
}

export function checkAllocation(value: unknown, field: string): Allocation {
  const o = checkObject(value, field);
  const ip = checkIpv4(o.ip, `${field}.ip`);
  if (o.recovered !== undefined && o.recovered !== true) throw invalid(`${field}.recovered`, 'true or absent', o.recovered);
  const recovered = o.recovered === true;
  const hostVeth = o.hostVeth === undefined && !recovered ? undefined : checkVeth(o.hostVeth, `${field}.hostVeth`);
  const base = {
    key: recovered ? RECOVERED_KEY : checkKey(o.key, `${field}.key`),
    pod: checkPod(o.pod, `${field}.pod`),
    ip,
    eniId: checkString(o.eniId, `${field}.eniId`),
    deviceIndex: checkIndex(o.deviceIndex, `${field}.deviceIndex`),
    allocatedAt: checkTime(o.allocatedAt, `${field}.allocatedAt`),
    ...(hostVeth === undefined ? {} : { hostVeth }),
    ...(recovered ? { recovered: true as const } : {}),
  };
  if (o.prefix === undefined) return Object.freeze(base);
  const prefix = checkPrefix(o.prefix, `${field}.prefix`);
  if (!cidrContains(parseCidr(prefix)!, parseIpv4(ip)!)) throw invalid(`${field}.prefix`, `a /28 containing ${ip}`, prefix);
  return Object.freeze({ ...base, prefix });
}

export function checkCooling(value: unknown, field: string): CoolingEntry {
  const o = checkObject(value, field);
  return Object.freeze({ ip: checkIpv4(o.ip, `${field}.ip`), until: checkTime(o.until, `${field}.until`) });
}

/** The ledger's map key for a CNI triple; JSON keeps it unambiguous whatever the strings hold. */
export function keyString(key: AllocationKey): string {
  return JSON.stringify([key.networkName, key.containerId, key.ifName]);
}

/** The ledger's key of an allocation: its triple's, or (recovered, no triple) its address's. */
export function allocationKey(a: Allocation): string {
  return a.recovered ? `recovered ${a.ip}` : keyString(a.key);
}

/** How logs name an allocation. */
export function describeAllocation(a: Allocation): string {
  return a.recovered ? `recovered ${a.ip} (veth ${a.hostVeth})` : formatKey(a.key);
}

export function formatKey(key: AllocationKey): string {
  return `${key.networkName}/${key.containerId}/${key.ifName}`;
}
