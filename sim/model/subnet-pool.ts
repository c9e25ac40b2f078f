import { AwsError } from '../errors.ts';
import { type Cidr, cidrContains, formatIpv4, parseCidr } from '../ipv4.ts';

/** Size of an EC2 IPv4 prefix (a /28) in addresses. */
export const PREFIX_SIZE = 16;

/**
 * The addresses of one subnet, as EC2 hands them out.
 *
 * AWS reserves five addresses in every subnet (network, router, DNS, future use, broadcast);
 * they are never handed out and never part of a delegated prefix. /28 prefixes are carved
 * aligned, so a subnet with many free addresses can still have no free /28
 * (`InsufficientCidrBlocks`), which is the fragmentation ipamd must survive.
 */
export class SubnetPool {
  readonly cidr: Cidr;
  /** 1 = in use or reserved, per address offset. */
  readonly #used: Uint8Array;
  /** Count of used-or-reserved offsets per aligned /28 block. */
  readonly #blockUse: Uint8Array;
  #free: number;

  constructor(cidr: Cidr) {
    if (cidr.prefixLength < 16 || cidr.prefixLength > 28) {
      throw new AwsError(
        'InvalidSubnet.Range',
        `The CIDR '${cidr.text}' is invalid: a subnet must be /16 to /28.`,
      );
    }
    this.cidr = cidr;
    this.#used = new Uint8Array(cidr.size);
    this.#blockUse = new Uint8Array(Math.ceil(cidr.size / PREFIX_SIZE));
    this.#free = cidr.size;
    for (const off of [0, 1, 2, 3, cidr.size - 1]) this.#mark(off, 1);
  }

  get availableCount(): number {
    return this.#free;
  }

  isFree(ip: number): boolean {
    return cidrContains(this.cidr, ip) && this.#used[ip - this.cidr.base] === 0;
  }

  isReserved(ip: number): boolean {
    const off = ip - this.cidr.base;
    return off === 0 || off === 1 || off === 2 || off === 3 || off === this.cidr.size - 1;
  }

  /** Takes `count` free addresses, lowest first; all or nothing. */
  allocateAddresses(count: number): number[] {
    if (count > this.#free) {
      throw new AwsError(
        'InsufficientFreeAddressesInSubnet',
        `The specified subnet ${this.cidr.text} does not have enough free addresses to satisfy the request.`,
      );
    }
    const out: number[] = [];
    for (let off = 0; off < this.cidr.size && out.length < count; off++) {
      if (this.#used[off] === 0) out.push(off);
    }
    for (const off of out) this.#mark(off, 1);
    return out.map((off) => this.cidr.base + off);
  }

  /** Takes one specific address; the caller has checked it is inside the subnet and free. */
  claimAddress(ip: number): void {
    this.#mark(ip - this.cidr.base, 1);
  }

  releaseAddress(ip: number): void {
    const off = ip - this.cidr.base;
    if (this.isReserved(ip) || this.#used[off] === 0) return;
    this.#mark(off, 0);
  }

  /** Takes `count` wholly free aligned /28 blocks, lowest first; all or nothing. */
  allocatePrefixes(count: number): Cidr[] {
    const blocks: number[] = [];
    for (let b = 0; b < this.#blockUse.length && blocks.length < count; b++) {
      if (this.#blockUse[b] === 0) blocks.push(b);
    }
    if (blocks.length < count) {
      throw new AwsError(
        'InsufficientCidrBlocks',
        `The specified subnet ${this.cidr.text} does not have enough free cidr blocks to satisfy the request.`,
      );
    }
    return blocks.map((b) => this.#claimBlock(b));
  }

  /** Whether an explicitly requested /28 can be delegated: aligned, inside, wholly free. */
  prefixFree(prefix: Cidr): boolean {
    if (prefix.prefixLength !== 28 || !cidrContains(this.cidr, prefix.base)) return false;
    return this.#blockUse[(prefix.base - this.cidr.base) / PREFIX_SIZE] === 0;
  }

  claimPrefix(prefix: Cidr): void {
    this.#claimBlock((prefix.base - this.cidr.base) / PREFIX_SIZE);
  }

  releasePrefix(prefix: Cidr): void {
    const start = prefix.base - this.cidr.base;
    for (let off = start; off < start + PREFIX_SIZE; off++) {
      if (this.#used[off] === 1) this.#mark(off, 0);
    }
  }

  #claimBlock(b: number): Cidr {
    const start = b * PREFIX_SIZE;
    for (let off = start; off < start + PREFIX_SIZE; off++) this.#mark(off, 1);
    return parseCidr(`${formatIpv4(this.cidr.base + start)}/28`)!;
  }

  #mark(off: number, value: 0 | 1): void {
    if (this.#used[off] === value) return;
    this.#used[off] = value;
    const b = Math.floor(off / PREFIX_SIZE);
    this.#blockUse[b] = (this.#blockUse[b] ?? 0) + (value ? 1 : -1);
    this.#free += value ? -1 : 1;
  }
}
