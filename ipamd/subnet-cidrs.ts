/**
 * Each ENI's own subnet CIDR (issue 11 item 3): with subnet discovery or ENIConfig an ENI can sit
 * in another subnet than the primary ENI, and its host routing (gateway, mask) and the datastore's
 * checks need that subnet's CIDR, not the primary's. EC2's DescribeNetworkInterfaces names only
 * the subnet id, so the CIDR comes from IMDS (`subnet-ipv4-cidr-block` of every attached ENI),
 * then DescribeSubnets by id. A subnet's CIDR never changes, so each is looked up once.
 */
import { IpamdError } from './errors.ts';
import type { Ec2Port, ImdsPort } from './ports.ts';

export class SubnetCidrs {
  readonly #imds: Pick<ImdsPort, 'enis'>;
  readonly #ec2: Pick<Ec2Port, 'subnets'>;
  readonly #known = new Map<string, string>();

  constructor(deps: { imds: Pick<ImdsPort, 'enis'>; ec2: Pick<Ec2Port, 'subnets'>; known?: Iterable<readonly [subnetId: string, cidr: string]> }) {
    this.#imds = deps.imds;
    this.#ec2 = deps.ec2;
    for (const [id, cidr] of deps.known ?? []) this.#known.set(id, cidr);
  }

  /** The subnet's IPv4 CIDR; rejects (IPAMD_EC2_NOT_FOUND) when neither IMDS nor EC2 knows it. */
  async of(subnetId: string): Promise<string> {
    const known = this.#known.get(subnetId);
    if (known) return known;
    for (const e of await this.#imds.enis()) if (e.subnetCidr) this.#known.set(e.subnetId, e.subnetCidr);
    if (!this.#known.has(subnetId)) {
      for (const s of await this.#ec2.subnets([{ name: 'subnet-id', values: [subnetId] }])) {
        if (s.cidr) this.#known.set(s.id, s.cidr);
      }
    }
    const cidr = this.#known.get(subnetId);
    if (!cidr) throw new IpamdError('IPAMD_EC2_NOT_FOUND', `neither IMDS nor DescribeSubnets shows the CIDR of ${subnetId}`);
    return cidr;
  }
}
