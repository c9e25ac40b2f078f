import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { IpamdError } from '../errors.ts';
import type { ImdsEni, ImdsPort, InstanceIdentity } from '../ports.ts';

/**
 * IMDSv2 through the SDK's MetadataService (session token, IMDSv1 disabled). A missing optional
 * path (404, e.g. `ipv4-prefix` on an ENI without prefixes) reads as empty.
 */
export class ImdsAdapter implements ImdsPort {
  readonly #svc: MetadataService;
  /** No SDK retries: for callers that retry themselves and report each attempt (imds-wait.ts). */
  readonly #once: MetadataService;

  constructor(endpoint: string, opts: { timeoutMs?: number; retries?: number } = {}) {
    const svc = (retries: number) =>
      new MetadataService({ endpoint, ec2MetadataV1Disabled: true, retries, httpOptions: { timeout: opts.timeoutMs ?? 2000 } });
    this.#svc = svc(opts.retries ?? 3);
    this.#once = svc(0);
  }

  async #get(path: string, svc = this.#svc): Promise<string> {
    try {
      return (await svc.request(`/latest/meta-data/${path}`, {})).trim();
    } catch (e) {
      throw imdsError(path, e);
    }
  }

  async #optional(path: string, svc = this.#svc): Promise<string> {
    try {
      return (await svc.request(`/latest/meta-data/${path}`, {})).trim();
    } catch (e) {
      if (/\b404\b/.test(String((e as Error).message))) return '';
      throw imdsError(path, e);
    }
  }

  async identity(opts: { singleTry?: boolean } = {}): Promise<InstanceIdentity> {
    const svc = opts.singleTry ? this.#once : this.#svc;
    const [instanceId, instanceType, availabilityZone, region, primaryMac, primaryIp] = await Promise.all([
      this.#get('instance-id', svc),
      this.#get('instance-type', svc),
      this.#get('placement/availability-zone', svc),
      this.#optional('placement/region', svc),
      this.#get('mac', svc),
      this.#get('local-ipv4', svc),
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
    const [eniId, device, card, subnetId, subnetCidr, vpcId, vpcCidrs, sgs, ipv4s, prefixes] = await Promise.all([
      this.#get(`${base}interface-id`),
      this.#get(`${base}device-number`),
      this.#optional(`${base}network-card`),
      this.#get(`${base}subnet-id`),
      this.#get(`${base}subnet-ipv4-cidr-block`),
      this.#get(`${base}vpc-id`),
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
      vpcId,
      vpcCidrs: lines(vpcCidrs),
      securityGroupIds: lines(sgs),
      ipv4s: lines(ipv4s),
      prefixes: lines(prefixes),
    };
  }
}

/** The SDK nests errors as text ("...: Error: connect ECONNREFUSED ..."); one plain line of it. */
function imdsError(path: string, e: unknown): IpamdError {
  const text = (e instanceof Error ? e.message : String(e)).replace(/\bError: /g, '').replace(/\s*\n\s*/g, ' ');
  return new IpamdError('IPAMD_IMDS_UNAVAILABLE', `IMDS ${path}: ${text}`, { cause: e });
}
