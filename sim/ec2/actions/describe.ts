import { AwsError } from '../../errors.ts';
import { formatIpv4 } from '../../model/ipv4.ts';
import { instanceTypeCatalog } from '../../model/limits.ts';
import { allTagRows } from '../../model/tag-ops.ts';
import type { Instance, NetworkInterface, SecurityGroup, Subnet } from '../../model/types.ts';
import type { VpcState } from '../../model/vpc-state.ts';
import { applyFilters, tagFields } from '../filters.ts';
import { paginate } from '../pagination.ts';
import { eniXml, instanceTypeXml, instanceXml, securityGroupXml, subnetXml } from '../render.ts';
import type { Action } from './types.ts';

function eniFields(state: VpcState) {
  return (e: NetworkInterface, name: string): readonly string[] | undefined => {
    const a = e.attachment;
    const ips = [e.primaryIp, ...e.secondaryIps].map(formatIpv4);
    switch (name) {
      case 'network-interface-id':
        return [e.id];
      case 'attachment.instance-id':
        return a ? [a.instanceId] : [];
      case 'attachment.attachment-id':
        return a ? [a.id] : [];
      case 'attachment.status':
        return a ? [a.status] : [];
      case 'attachment.device-index':
        return a ? [String(a.deviceIndex)] : [];
      case 'attachment.network-card-index':
        return a ? [String(a.networkCardIndex)] : [];
      case 'attachment.delete-on-termination':
        return a ? [String(a.deleteOnTermination)] : [];
      case 'attachment.instance-owner-id':
        return a ? [state.accountId] : [];
      case 'status':
        return [e.status];
      case 'vpc-id':
        return [e.vpcId];
      case 'subnet-id':
        return [e.subnetId];
      case 'availability-zone':
        return [e.availabilityZone];
      case 'mac-address':
        return [e.macAddress];
      case 'description':
        return [e.description];
      case 'owner-id':
        return [state.accountId];
      case 'group-id':
        return e.groupIds;
      case 'group-name':
        return e.groupIds.map((g) => state.securityGroups.get(g)?.name ?? '');
      case 'private-ip-address':
      case 'addresses.private-ip-address':
        return ips;
      case 'addresses.primary':
        return ['true', ...(e.secondaryIps.length ? ['false'] : [])];
      case 'ipv4-prefix':
        return e.prefixes.map((p) => p.text);
      case 'requester-managed':
        return [String(e.requesterManaged)];
      case 'source-dest-check':
        return [String(e.sourceDestCheck)];
      case 'interface-type':
        return ['interface'];
      default:
        return tagFields(state.tags.get(e.id), name);
    }
  };
}

function byIds<T>(ids: readonly string[], lookup: (id: string) => T): T[] {
  return ids.map(lookup);
}

export const describeNetworkInterfaces: Action = ({ state, q }) => {
  const ids = q.list('NetworkInterfaceId');
  const all = ids.length ? byIds(ids, (id) => state.eni(id)) : [...state.enis.values()];
  const page = paginate('DescribeNetworkInterfaces', q, applyFilters(all, q.filters(), eniFields(state)), {
    min: 5,
    max: 1000,
    idsGiven: ids.length > 0,
  });
  return { networkInterfaceSet: page.items.map((e) => eniXml(state, e)), nextToken: page.nextToken };
};

function instanceFields(state: VpcState) {
  return (i: Instance, name: string): readonly string[] | undefined => {
    const enis = i.state === 'running' ? state.enisOf(i.id) : [];
    switch (name) {
      case 'instance-id':
        return [i.id];
      case 'instance-type':
        return [i.limits.instanceType];
      case 'instance-state-name':
        return [i.state];
      case 'availability-zone':
        return [i.availabilityZone];
      case 'vpc-id':
        return [i.vpcId];
      case 'subnet-id':
        return [i.subnetId];
      case 'private-ip-address':
        return enis.slice(0, 1).map((e) => formatIpv4(e.primaryIp));
      case 'network-interface.network-interface-id':
        return enis.map((e) => e.id);
      case 'network-interface.addresses.private-ip-address':
        return enis.flatMap((e) => [e.primaryIp, ...e.secondaryIps].map(formatIpv4));
      default:
        return tagFields(state.tags.get(i.id), name);
    }
  };
}

export const describeInstances: Action = ({ state, q }) => {
  const ids = q.list('InstanceId');
  const all = ids.length ? byIds(ids, (id) => state.instance(id)) : [...state.instances.values()];
  const page = paginate('DescribeInstances', q, applyFilters(all, q.filters(), instanceFields(state)), {
    min: 5,
    max: 1000,
    idsGiven: ids.length > 0,
  });
  return {
    reservationSet: page.items.map((i) => ({
      reservationId: `r-${i.id.slice(2)}`,
      ownerId: state.accountId,
      groupSet: [],
      instancesSet: [instanceXml(state, i)],
    })),
    nextToken: page.nextToken,
  };
};

export const describeSubnets: Action = ({ state, q }) => {
  const ids = q.list('SubnetId');
  const all = ids.length ? byIds(ids, (id) => state.subnet(id)) : [...state.subnets.values()];
  const fields = (s: Subnet, name: string): readonly string[] | undefined => {
    switch (name) {
      case 'subnet-id':
        return [s.id];
      case 'vpc-id':
        return [s.vpcId];
      case 'availability-zone':
        return [s.availabilityZone];
      case 'availability-zone-id':
        return [s.availabilityZoneId];
      case 'cidr-block':
      case 'cidr':
        return [s.cidr.text];
      case 'state':
        return ['available'];
      case 'available-ip-address-count':
        return [String(s.pool.availableCount)];
      default:
        return tagFields(state.tags.get(s.id), name);
    }
  };
  const page = paginate('DescribeSubnets', q, applyFilters(all, q.filters(), fields), {
    min: 5,
    max: 1000,
    idsGiven: ids.length > 0,
  });
  return { subnetSet: page.items.map((s) => subnetXml(state, s)), nextToken: page.nextToken };
};

export const describeSecurityGroups: Action = ({ state, q }) => {
  const ids = q.list('GroupId');
  const names = q.list('GroupName');
  let all = ids.length ? byIds(ids, (id) => state.securityGroup(id)) : [...state.securityGroups.values()];
  if (names.length) {
    all = all.filter((g) => names.includes(g.name));
    const missing = names.find((n) => !all.some((g) => g.name === n));
    if (missing)
      throw new AwsError('InvalidGroup.NotFound', `The security group '${missing}' does not exist`);
  }
  const fields = (g: SecurityGroup, name: string): readonly string[] | undefined => {
    switch (name) {
      case 'group-id':
        return [g.id];
      case 'group-name':
        return [g.name];
      case 'vpc-id':
        return [g.vpcId];
      case 'description':
        return [g.description];
      case 'owner-id':
        return [state.accountId];
      default:
        return tagFields(state.tags.get(g.id), name);
    }
  };
  const page = paginate('DescribeSecurityGroups', q, applyFilters(all, q.filters(), fields), {
    min: 5,
    max: 1000,
    idsGiven: ids.length > 0,
  });
  return { securityGroupInfo: page.items.map((g) => securityGroupXml(state, g)), nextToken: page.nextToken };
};

export const describeInstanceTypes: Action = ({ q }) => {
  const names = q.list('InstanceType');
  const catalog = instanceTypeCatalog();
  const all = names.length
    ? names.map((n) => {
        const l = catalog.get(n);
        if (!l)
          throw new AwsError(
            'InvalidInstanceType',
            `The following supplied instance types do not exist: [${n}]`,
          );
        return l;
      })
    : [...catalog.values()];
  const filtered = applyFilters(all, q.filters(), (l, name) => {
    switch (name) {
      case 'instance-type':
        return [l.instanceType];
      case 'hypervisor':
        return [l.hypervisor];
      case 'bare-metal':
        return [String(l.bareMetal)];
      case 'network-info.maximum-network-interfaces':
        return [String(l.maxEnis)];
      case 'network-info.ipv4-addresses-per-interface':
        return [String(l.ipv4PerEni)];
      default:
        return undefined;
    }
  });
  // DescribeInstanceTypes allows MaxResults with InstanceTypes, unlike the ID-based describes.
  const page = paginate('DescribeInstanceTypes', q, filtered, { min: 5, max: 100, idsGiven: false });
  return { instanceTypeSet: page.items.map(instanceTypeXml), nextToken: page.nextToken };
};

export const describeTags: Action = ({ state, q }) => {
  const rows = applyFilters(allTagRows(state), q.filters(), (r, name) => {
    switch (name) {
      case 'resource-id':
        return [r.resourceId];
      case 'resource-type':
        return [r.resourceType];
      case 'key':
        return [r.key];
      case 'value':
        return [r.value];
      default:
        return undefined;
    }
  });
  const page = paginate('DescribeTags', q, rows, { min: 5, max: 1000, idsGiven: false });
  return { tagSet: page.items.map((r) => ({ ...r })), nextToken: page.nextToken };
};
