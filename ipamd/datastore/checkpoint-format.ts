/**
 * The checkpoint's on-disk format, version 1 (DESIGN.md §3):
 *
 *   { "version": 1,
 *     "allocations": [ { "key": {network, containerId, ifName}, "pod": {namespace, name, uid},
 *                        "ip", "eniId", "deviceIndex", "prefix"?, "allocatedAt", "hostVeth"?,
 *                        "recovered"? }, ... ],
 *     "cooling": [ { "ip", "until" }, ... ] }
 *
 * `hostVeth` (the pod's host veth) and `recovered` (an allocation rebuilt from the kernel, with an
 * empty key) were added within version 1: both optional, so older files read as before.
 *
 * One entry per line so an operator can read and diff it. Times are epoch milliseconds. ENIs and
 * their addresses are not stored: ipamd rebuilds them from IMDS/EC2, then replays this.
 *
 * Decoding proves what it can: every field is validated, a bad entry is reported and left out,
 * the good ones are kept; only an unparsable file, a wrong top level or a wrong version yields
 * nothing. Duplicates keep the first allocation (its address stays blocked either way).
 */
import { DatastoreError } from './errors.ts';
import type { Allocation, CheckpointState, CoolingEntry } from './types.ts';
import { allocationKey, checkAllocation, checkCooling, checkObject, checkString, describeAllocation } from './validate.ts';

export const CHECKPOINT_VERSION = 1;

export interface Decoded {
  readonly state: CheckpointState;
  /** Why nothing at all could be read (bad JSON, top level, version); undefined otherwise. */
  readonly fatal?: string;
  /** Every entry left out or repaired, with its path and reason. */
  readonly problems: readonly string[];
}

/** An allocation as the file holds it (its key's network spelt `network`). */
export function allocationToDisk(a: Allocation): Record<string, unknown> {
  return {
    key: { network: a.key.networkName, containerId: a.key.containerId, ifName: a.key.ifName },
    pod: { namespace: a.pod.namespace, name: a.pod.name, uid: a.pod.uid },
    ip: a.ip,
    eniId: a.eniId,
    deviceIndex: a.deviceIndex,
    ...(a.prefix === undefined ? {} : { prefix: a.prefix }),
    allocatedAt: a.allocatedAt,
    ...(a.hostVeth === undefined ? {} : { hostVeth: a.hostVeth }),
    ...(a.recovered ? { recovered: true } : {}),
  };
}

export function encodeCheckpoint(state: CheckpointState): string {
  const allocations = state.allocations.map((a) => JSON.stringify(allocationToDisk(a)));
  const cooling = state.cooling.map((c) => JSON.stringify({ ip: c.ip, until: c.until }));
  const list = (items: string[]): string => (items.length === 0 ? '[]' : `[\n  ${items.join(',\n  ')}\n]`);
  return `{"version":${CHECKPOINT_VERSION},\n"allocations":${list(allocations)},\n"cooling":${list(cooling)}}\n`;
}

const EMPTY: CheckpointState = Object.freeze({ allocations: Object.freeze([]), cooling: Object.freeze([]) });

export function emptyCheckpointState(): CheckpointState {
  return EMPTY;
}

export function decodeCheckpoint(text: string): Decoded {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { state: EMPTY, fatal: `not valid JSON (${(e as Error).message}; ${text.length} bytes)`, problems: [] };
  }
  let top: Record<string, unknown>;
  try {
    top = checkObject(parsed, 'checkpoint');
  } catch (e) {
    return { state: EMPTY, fatal: (e as Error).message, problems: [] };
  }
  if (top.version !== CHECKPOINT_VERSION) {
    const v = top.version === undefined ? 'missing' : JSON.stringify(top.version);
    return { state: EMPTY, fatal: `version: ${v}, this ipamd reads version ${CHECKPOINT_VERSION} only`, problems: [] };
  }
  const problems: string[] = [];
  const allocations = decodeAllocations(top.allocations, problems);
  const cooling = decodeCooling(top.cooling, allocations, problems);
  return { state: { allocations, cooling }, problems };
}

function decodeAllocations(value: unknown, problems: string[]): Allocation[] {
  if (!Array.isArray(value)) {
    problems.push(`allocations: expected an array, got ${value === undefined ? 'nothing' : typeof value}; no allocation could be read`);
    return [];
  }
  const out: Allocation[] = [];
  const keys = new Map<string, number>();
  const ips = new Map<string, number>();
  value.forEach((raw, i) => {
    const a = attempt(() => checkAllocation(fromDisk(raw, `allocations[${i}]`), `allocations[${i}]`), problems);
    if (!a) return;
    const k = allocationKey(a);
    const sameKey = keys.get(k);
    const sameIp = ips.get(a.ip);
    if (sameKey !== undefined) {
      problems.push(`allocations[${i}]: duplicate key ${describeAllocation(a)} (first at allocations[${sameKey}]); kept the first`);
    } else if (sameIp !== undefined) {
      problems.push(`allocations[${i}]: address ${a.ip} of ${describeAllocation(a)} is also held by allocations[${sameIp}]; kept the first`);
    } else {
      keys.set(k, i);
      ips.set(a.ip, i);
      out.push(a);
    }
  });
  return out;
}

function decodeCooling(value: unknown, allocations: readonly Allocation[], problems: string[]): CoolingEntry[] {
  if (value === undefined) {
    problems.push('cooling: missing; no cooldown could be read');
    return [];
  }
  if (!Array.isArray(value)) {
    problems.push(`cooling: expected an array, got ${typeof value}; no cooldown could be read`);
    return [];
  }
  const assigned = new Set(allocations.map((a) => a.ip));
  const byIp = new Map<string, CoolingEntry>();
  value.forEach((raw, i) => {
    const c = attempt(() => checkCooling(raw, `cooling[${i}]`), problems);
    if (!c) return;
    if (assigned.has(c.ip)) {
      problems.push(`cooling[${i}]: ${c.ip} is also allocated; the allocation is kept`);
      return;
    }
    const prev = byIp.get(c.ip);
    if (!prev || prev.until < c.until) byIp.set(c.ip, c); // the later deadline is the safe one
  });
  return [...byIp.values()];
}

function attempt<T>(fn: () => T, problems: string[]): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof DatastoreError)) throw e;
    problems.push(e.message);
    return undefined;
  }
}

/**
 * The file spells the key's network `network` (format version 1); in memory it is the API's
 * `networkName` (contract/types.ts). Checked here, so a bad entry names the field as the file has it.
 */
function fromDisk(raw: unknown, field: string): unknown {
  const o = checkObject(raw, field);
  if (o.recovered === true || o.key === undefined) return o;
  const key = checkObject(o.key, `${field}.key`);
  const { network, ...rest } = key;
  return { ...o, key: { ...rest, networkName: checkString(network, `${field}.key.network`) } };
}
