import { formatIpv4 } from '../ipv4.ts';
import type { VpcState } from '../model/vpc-state.ts';

/** A JSON view of the emulated VPC for the admin endpoint, the CLI and humans. */
export function summarizeState(state: VpcState) {
  return {
    accountId: state.accountId,
    region: state.region,
    subnets: [...state.subnets.values()].map((s) => ({
      id: s.id,
      cidr: s.cidr.text,
      availabilityZone: s.availabilityZone,
      availableIpAddressCount: s.pool.availableCount,
    })),
    instances: [...state.instances.values()].map((i) => ({
      id: i.id,
      type: i.limits.instanceType,
      state: i.state,
      name: state.tags.get(i.id)?.get('Name'),
      enis: state.enisOf(i.id).map((e) => e.id),
    })),
    networkInterfaces: [...state.enis.values()].map((e) => ({
      id: e.id,
      subnetId: e.subnetId,
      status: e.status,
      mac: e.macAddress,
      primaryIp: formatIpv4(e.primaryIp),
      secondaryIps: e.secondaryIps.map(formatIpv4),
      prefixes: e.prefixes.map((p) => p.text),
      attachment: e.attachment && {
        id: e.attachment.id,
        instanceId: e.attachment.instanceId,
        deviceIndex: e.attachment.deviceIndex,
        status: e.attachment.status,
      },
      tags: Object.fromEntries(state.tags.get(e.id) ?? []),
    })),
  };
}
