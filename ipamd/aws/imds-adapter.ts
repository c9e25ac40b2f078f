import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { IpamdError } from '../errors.ts';
import type { ImdsEni, ImdsPort, InstanceIdentity } from '../ports.ts';

/**
 * IMDSv2 through the SDK's MetadataService (session token, IMDSv1 disabled). A missing optional
 * path (404, e.g. `ipv4-prefix` on an ENI without prefixes) reads as empty.
 */
export class ImdsAdapter implements ImdsPort {
  readonly #svc: MetadataService;

  constructor(endpoint: string, opts: { timeoutMs?: number; retries?: number } = {}) {
    this.#svc = new MetadataService({
      endpoint,
      ec2MetadataV1Disabled: true,
      retries: opts.retries ?? 3,
      httpOptions: { timeout: opts.timeoutMs ?? 2000 },
    });
  }

  async #get(path: string): Promise<string> {
    try {
      return (await this.#svc.request(`/latest/meta-data/${path}`, {})).trim();
    } catch (e) {
      throw new IpamdError('IMDS_UNAVAILABLE', `IMDS ${path}: ${(e as Error).message}`, { cause: e });
    }
  }

  async #optional(path: string): Promise<string> {
    try {
      return (await this.#svc.request(`/latest/meta-data/${path}`, {})).trim();
    } catch (e) {
      if (/\b404\b/.test(String((e as Error).message))) return '';
      throw new IpamdError('IMDS_UNAVAILABLE', `IMDS ${path}: ${(e as Error).message}`, { cause: e });
    }
  }

  async identity(): Promise<InstanceIdentity> {
    const [instanceId, instanceType, availabilityZone, region, primaryMac, primaryIp] = await Promise.all([
      this.#get('instance-id'),
      this.#get('instance-type'),
      this.#get('placement/availability-zone'),
      this.#optional('placement/region'),
      this.#get('mac'),
      this.#get('local-ipv4'),
    ]);
    return { instanceId, instanceType, availabilityZone, region: region || availabilityZone.slice(0, -1), primaryMac, primaryIp };
  }

  async enis(): Promise<ImdsEni[]> {
    const macs = (await this.#get('network/interfaces/macs/'))
      .split('\n')
      .map((m) => m.replace(/\/$/, '').trim())
      .filter(Boolean);
    return Promise.all(macs.map((mac) => this.#eni(mac)));
  }

  async #eni(mac: string): Promise<ImdsEni> {
    const base = `network/interfaces/macs/${mac}/`;
    const lines = (s: string) => s.split('\n').map((x) => x.trim()).filter(Boolean);
    const [eniId, device, card, subnetId, subnetCidr, vpcCidrs, sgs, ipv4s, prefixes] = await Promise.all([
      this.#get(`${base}interface-id`),
      this.#get(`${base}device-number`),
      this.#optional(`${base}network-card`),
      this.#get(`${base}subnet-id`),
      this.#get(`${base}subnet-ipv4-cidr-block`),
      this.#get(`${base}vpc-ipv4-cidr-blocks`),
      this.#optional(`${base}security-group-ids`),
      this.#optional(`${base}local-ipv4s`),
      this.#optional(`${base}ipv4-prefix`),
    ]);
    return {
      mac,
      eniId,
      deviceIndex: Number(device),
      networkCard: card === '' ? 0 : Number(card),
      subnetId,
      subnetCidr,
      vpcCidrs: lines(vpcCidrs),
      securityGroupIds: lines(sgs),
      ipv4s: lines(ipv4s),
      prefixes: lines(prefixes),
    };
  }
}
