/**
 * The node's address pool: ENIs and the pod address slots they hold (secondary IPs or the 16
 * addresses of each /28). In-memory, synchronous, no ledger knowledge: the Datastore checks
 * "assigned or cooling" before it asks for a removal. Every mutation validates all of its input
 * before changing anything, so a refused call leaves the pool as it was.
 */
import type { AddressState, EniView } from '../../warm-pool/types.ts';
import { DatastoreArgumentError, DatastoreError, invalid } from './errors.ts';
import { cidrContains, compareIpv4, type Ipv4Cidr, parseCidr, parseIpv4, prefixAddresses } from './ipv4.ts';
import type { Eni, EniSpec } from './types.ts';
import { checkIndex, checkIpv4, checkObject, checkPrefix, checkString, checkTime } from './validate.ts';

/** Where a pod address lives. */
export interface Slot {
  readonly eniId: string;
  readonly deviceIndex: number;
  readonly prefix?: string;
}

interface EniEntry {
  readonly eni: Omit<Eni, 'secondaryIps' | 'prefixes'>;
  readonly subnet: Ipv4Cidr;
  readonly secondary: Set<string>;
  readonly prefixes: Map<string, readonly string[]>;
  /** The sorted, frozen view; dropped on every change (snapshots are taken per assign). */
  view?: Eni | undefined;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export class AddressPool {
  readonly #enis = new Map<string, EniEntry>();
  readonly #slots = new Map<string, Slot>();

  addEni(spec: EniSpec, now: number): Eni {
    const o = checkObject(spec, 'eni');
    const id = checkString(o.id, 'eni.id');
    const mac = checkString(o.mac, 'eni.mac').toLowerCase();
    if (!MAC.test(mac)) throw invalid('eni.mac', 'a MAC address like 0a:1b:2c:3d:4e:5f', o.mac);
    if (typeof o.isPrimary !== 'boolean') throw invalid('eni.isPrimary', 'a boolean', o.isPrimary);
    const subnet = parseCidr(o.subnetCidr);
    if (!subnet || subnet.prefixLength > 28) throw invalid('eni.subnetCidr', 'an aligned IPv4 CIDR of /28 or larger', o.subnetCidr);
    const primaryIp = checkIpv4(o.primaryIp, 'eni.primaryIp');
    if (!cidrContains(subnet, parseIpv4(primaryIp)!)) throw invalid('eni.primaryIp', `an address inside ${subnet.text}`, primaryIp);
    const eni = Object.freeze({
      id,
      deviceIndex: checkIndex(o.deviceIndex, 'eni.deviceIndex'),
      mac,
      isPrimary: o.isPrimary,
      subnetCidr: subnet.text,
      primaryIp,
      createdAt: o.createdAt === undefined ? now : checkTime(o.createdAt, 'eni.createdAt'),
    });
    const existing = this.#enis.get(id);
    if (existing) {
      const a = existing.eni;
      if (a.deviceIndex !== eni.deviceIndex || a.mac !== mac || a.subnetCidr !== eni.subnetCidr || a.primaryIp !== primaryIp || a.isPrimary !== eni.isPrimary) {
        throw new DatastoreError('IPAMD_DATASTORE_CONFLICT', `ENI ${id} is already held with device index ${a.deviceIndex}, MAC ${a.mac}, subnet ${a.subnetCidr}, primary IP ${a.primaryIp}`);
      }
    } else {
      for (const other of this.#enis.values()) {
        const b = other.eni;
        if (b.deviceIndex === eni.deviceIndex) throw new DatastoreError('IPAMD_DATASTORE_CONFLICT', `device index ${eni.deviceIndex} of ENI ${id} is already used by ENI ${b.id}`);
        if (b.mac === mac) throw new DatastoreError('IPAMD_DATASTORE_CONFLICT', `MAC ${mac} of ENI ${id} is already used by ENI ${b.id}`);
        if (b.isPrimary && eni.isPrimary) throw new DatastoreError('IPAMD_DATASTORE_CONFLICT', `ENI ${id} cannot be primary: ENI ${b.id} already is`);
      }
      if (this.#slots.has(primaryIp)) throw new DatastoreError('IPAMD_DATASTORE_CONFLICT', `primary IP ${primaryIp} of ENI ${id} is a pod address of ENI ${this.#slots.get(primaryIp)!.eniId}`);
    }
    const entry: EniEntry = existing ?? { eni, subnet, secondary: new Set(), prefixes: new Map() };
    const ips = this.#planAddresses(entry, o.secondaryIps ?? [], 'eni.secondaryIps');
    const prefixes = this.#planPrefixes(entry, o.prefixes ?? [], 'eni.prefixes', ips);
    if (!existing) this.#enis.set(id, entry);
    this.#insert(entry, ips, prefixes);
    return this.#view(entry);
  }

  /** Drops the ENI and its slots. The caller has checked that none is assigned or cooling. */
  removeEni(id: string): boolean {
    const entry = this.#enis.get(id);
    if (!entry) return false;
    for (const ip of this.#slotsOf(entry)) this.#slots.delete(ip);
    this.#enis.delete(id);
    return true;
  }

  /** Adds secondary IPs; ones this ENI already holds are ignored. Returns the new ones. */
  addAddresses(eniId: string, ips: readonly string[]): string[] {
    const entry = this.#entry(eniId);
    const fresh = this.#planAddresses(entry, ips, 'ips');
    this.#insert(entry, fresh, []);
    return fresh;
  }

  /** Adds /28 prefixes (16 slots each); ones this ENI already holds are ignored. Returns the new ones. */
  addPrefixes(eniId: string, prefixes: readonly string[]): string[] {
    const entry = this.#entry(eniId);
    const fresh = this.#planPrefixes(entry, prefixes, 'prefixes', []);
    this.#insert(entry, [], fresh);
    return fresh;
  }

  /** The secondary IPs of `ips` this ENI holds (absent ones are already gone: not an error). */
  heldAddresses(eniId: string, ips: readonly string[]): string[] {
    const entry = this.#entry(eniId);
    const list = checkList(ips, 'ips').map((ip, i) => checkIpv4(ip, `ips[${i}]`));
    for (const ip of list) {
      const slot = this.#slots.get(ip);
      if (slot && slot.eniId !== eniId) throw new DatastoreError('IPAMD_DATASTORE_CONFLICT', `address ${ip} belongs to ENI ${slot.eniId}, not ${eniId}`);
      if (slot?.prefix !== undefined) throw new DatastoreArgumentError(`address ${ip} is part of prefix ${slot.prefix} of ENI ${eniId}; remove the prefix instead`);
    }
    return [...new Set(list)].filter((ip) => entry.secondary.has(ip));
  }

  /** The prefixes of `prefixes` this ENI holds, with their addresses. */
  heldPrefixes(eniId: string, prefixes: readonly string[]): Map<string, readonly string[]> {
    const entry = this.#entry(eniId);
    const out = new Map<string, readonly string[]>();
    checkList(prefixes, 'prefixes').forEach((p, i) => {
      const text = checkPrefix(p, `prefixes[${i}]`);
      const addrs = entry.prefixes.get(text);
      if (addrs) out.set(text, addrs);
    });
    return out;
  }

  removeSlots(eniId: string, ips: readonly string[], prefixes: readonly string[]): void {
    const entry = this.#entry(eniId);
    entry.view = undefined;
    for (const ip of ips) if (entry.secondary.delete(ip)) this.#slots.delete(ip);
    for (const p of prefixes) {
      for (const ip of entry.prefixes.get(p) ?? []) this.#slots.delete(ip);
      entry.prefixes.delete(p);
    }
  }

  locate(ip: string): Slot | undefined {
    return this.#slots.get(ip);
  }

  has(eniId: string): boolean {
    return this.#enis.has(eniId);
  }

  /** Every pod address slot of an ENI. */
  addressesOf(eniId: string): string[] {
    return this.#slotsOf(this.#entry(eniId));
  }

  get slotCount(): number {
    return this.#slots.size;
  }

  enis(): Eni[] {
    return [...this.#enis.values()].sort((a, b) => a.eni.deviceIndex - b.eni.deviceIndex).map((e) => this.#view(e));
  }

  /** The planner's view of the ENIs (warm-pool/types.ts EniView), ordered by device index. */
  views(stateOf: (ip: string) => AddressState, now: number, retired?: (eni: Eni) => boolean): EniView[] {
    return this.enis().map((eni) => ({
      id: eni.id,
      deviceIndex: eni.deviceIndex,
      isPrimary: eni.isPrimary,
      addresses: eni.secondaryIps.map((ip) => ({ ip, state: stateOf(ip) })),
      prefixes: eni.prefixes.map((prefix) => ({
        prefix,
        addresses: this.#enis.get(eni.id)!.prefixes.get(prefix)!.map((ip) => ({ ip, state: stateOf(ip) })),
      })),
      ageMs: Math.max(0, now - eni.createdAt),
      ...(retired?.(eni) ? { retired: true } : {}),
    }));
  }

  #entry(eniId: string): EniEntry {
    const entry = this.#enis.get(eniId);
    if (!entry) throw new DatastoreError('IPAMD_DATASTORE_UNKNOWN_ENI', `ENI ${JSON.stringify(eniId)} is not held by this node's datastore`, { details: { eniId } });
    return entry;
  }

  #slotsOf(entry: EniEntry): string[] {
    return [...entry.secondary, ...[...entry.prefixes.values()].flat()];
  }

  #planAddresses(entry: EniEntry, ips: unknown, field: string): string[] {
    const fresh = new Set<string>();
    checkList(ips, field).forEach((value, i) => {
      const ip = checkIpv4(value, `${field}[${i}]`);
      this.#checkSlotFree(entry, ip, `${field}[${i}]`);
      if (!entry.secondary.has(ip)) fresh.add(ip);
    });
    return [...fresh];
  }

  #planPrefixes(entry: EniEntry, prefixes: unknown, field: string, alsoAdding: readonly string[]): string[] {
    const fresh = new Set<string>();
    checkList(prefixes, field).forEach((value, i) => {
      const prefix = checkPrefix(value, `${field}[${i}]`);
      if (entry.prefixes.has(prefix) || fresh.has(prefix)) return;
      for (const ip of prefixAddresses(parseCidr(prefix)!)) {
        this.#checkSlotFree(entry, ip, `${field}[${i}]`);
        if (entry.secondary.has(ip) || alsoAdding.includes(ip)) {
          throw new DatastoreError('IPAMD_DATASTORE_CONFLICT', `${field}[${i}]: prefix ${prefix} overlaps secondary IP ${ip} of ENI ${entry.eni.id}`);
        }
      }
      fresh.add(prefix);
    });
    return [...fresh];
  }

  /** An address may become a slot of `entry` unless it lies outside its subnet, is its primary IP or is another ENI's slot. */
  #checkSlotFree(entry: EniEntry, ip: string, field: string): void {
    const { id, primaryIp } = entry.eni;
    if (!cidrContains(entry.subnet, parseIpv4(ip)!)) throw invalid(field, `an address inside ENI ${id}'s subnet ${entry.subnet.text}`, ip);
    if (ip === primaryIp) throw invalid(field, `a pod address (${ip} is ENI ${id}'s primary IP)`, ip);
    const slot = this.#slots.get(ip);
    if (slot && (slot.eniId !== id || slot.prefix !== undefined)) {
      const where = slot.prefix === undefined ? '' : ` in prefix ${slot.prefix}`;
      throw new DatastoreError('IPAMD_DATASTORE_CONFLICT', `${field}: address ${ip} is already held by ENI ${slot.eniId}${where}`);
    }
    for (const other of this.#enis.values()) {
      if (other.eni.primaryIp === ip && other.eni.id !== id) throw new DatastoreError('IPAMD_DATASTORE_CONFLICT', `${field}: address ${ip} is the primary IP of ENI ${other.eni.id}`);
    }
  }

  #insert(entry: EniEntry, ips: readonly string[], prefixes: readonly string[]): void {
    const { id: eniId, deviceIndex } = entry.eni;
    entry.view = undefined;
    for (const ip of ips) {
      entry.secondary.add(ip);
      this.#slots.set(ip, Object.freeze({ eniId, deviceIndex }));
    }
    for (const prefix of prefixes) {
      const addrs = Object.freeze(prefixAddresses(parseCidr(prefix)!));
      entry.prefixes.set(prefix, addrs);
      for (const ip of addrs) this.#slots.set(ip, Object.freeze({ eniId, deviceIndex, prefix }));
    }
  }

  #view(entry: EniEntry): Eni {
    return (entry.view ??= Object.freeze({
      ...entry.eni,
      secondaryIps: Object.freeze([...entry.secondary].sort(compareIpv4)),
      prefixes: Object.freeze([...entry.prefixes.keys()].sort(compareIpv4)),
    }));
  }
}

function checkList(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw invalid(field, 'an array', value);
  return value;
}
