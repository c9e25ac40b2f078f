import { AwsError } from '../../errors.ts';
import { formatIpv4 } from '../../ipv4.ts';
import { instanceTypeCatalog } from '../../model/limits.ts';
import { allTagRows, type TagRow } from '../../model/tag-ops.ts';
import type { Instance, InstanceTypeLimits, NetworkInterface, SecurityGroup, Subnet } from '../../model/types.ts';
import type { VpcState } from '../../model/vpc-state.ts';
import { applyFilters, type FilterTable } from '../filters.ts';
import { paginate } from '../pagination.ts';
import { eniXml, instanceTypeXml, instanceXml, securityGroupXml, subnetXml } from '../render.ts';
import type { Action } from './types.ts';

const one = (v: string | number | boolean) => [String(v)];

function eniFilters(state: VpcState): FilterTable<NetworkInterface> {
  const att = <K extends keyof NonNullable<NetworkInterface['attachment']>>(k: K) => (e: NetworkInterface) =>
    e.attachment ? one(e.attachment[k] as string | number | boolean) : [];
  const ips = (e: NetworkInterface) => [e.primaryIp, ...e.secondaryIps].map(formatIpv4);
  return {
    tagsOf: (e) => state.tags.get(e.id),
    fields: {
      'network-interface-id': (e) => one(e.id),
      'attachment.instance-id': att('instanceId'),
      'attachment.attachment-id': att('id'),
      'attachment.status': att('status'),
      'attachment.device-index': att('deviceIndex'),
      'attachment.network-card-index': att('networkCardIndex'),
      'attachment.delete-on-termination': att('deleteOnTermination'),
      'attachment.instance-owner-id': (e) => (e.attachment ? one(state.accountId) : []),
      status: (e) => one(e.status),
      'vpc-id': (e) => one(e.vpcId),
      'subnet-id': (e) => one(e.subnetId),
      'availability-zone': (e) => one(e.availabilityZone),
      'mac-address': (e) => one(e.macAddress),
      description: (e) => one(e.description),
      'owner-id': () => one(state.accountId),
      'group-id': (e) => e.groupIds,
      'group-name': (e) => e.groupIds.map((g) => state.securityGroups.get(g)?.name ?? ''),
      'private-ip-address': ips,
      'addresses.private-ip-address': ips,
      'ipv4-prefix': (e) => e.prefixes.map((p) => p.text),
      'requester-managed': (e) => one(e.requesterManaged),
      'source-dest-check': (e) => one(e.sourceDestCheck),
      'interface-type': () => one('interface'),
    },
  };
}

function instanceFilters(state: VpcState): FilterTable<Instance> {
  const enis = (i: Instance) => (i.state === 'running' ? state.enisOf(i.id) : []);
  return {
    tagsOf: (i) => state.tags.get(i.id),
    fields: {
      'instance-id': (i) => one(i.id),
      'instance-type': (i) => one(i.limits.instanceType),
      'instance-state-name': (i) => one(i.state),
      'availability-zone': (i) => one(i.availabilityZone),
      'vpc-id': (i) => one(i.vpcId),
      'subnet-id': (i) => one(i.subnetId),
      'private-ip-address': (i) => enis(i).slice(0, 1).map((e) => formatIpv4(e.primaryIp)),
      'network-interface.network-interface-id': (i) => enis(i).map((e) => e.id),
      'network-interface.addresses.private-ip-address': (i) =>
        enis(i).flatMap((e) => [e.primaryIp, ...e.secondaryIps].map(formatIpv4)),
    },
  };
}

/** DescribeSubnets' filters; exported so the in-memory EC2 port of the tests filters exactly alike. */
export function subnetFilters(state: VpcState): FilterTable<Subnet> {
  return {
    tagsOf: (s) => state.tags.get(s.id),
    fields: {
      'subnet-id': (s) => one(s.id),
      'vpc-id': (s) => one(s.vpcId),
      'availability-zone': (s) => one(s.availabilityZone),
      'availability-zone-id': (s) => one(s.availabilityZoneId),
      'cidr-block': (s) => one(s.cidr.text),
      state: () => one('available'),
      'available-ip-address-count': (s) => one(s.pool.availableCount),
    },
  };
}

function securityGroupFilters(state: VpcState): FilterTable<SecurityGroup> {
  return {
    tagsOf: (g) => state.tags.get(g.id),
    fields: {
      'group-id': (g) => one(g.id),
      'group-name': (g) => one(g.name),
      'vpc-id': (g) => one(g.vpcId),
      description: (g) => one(g.description),
      'owner-id': () => one(state.accountId),
    },
  };
}

const INSTANCE_TYPE_FILTERS: FilterTable<InstanceTypeLimits> = {
  fields: {
    'instance-type': (l) => one(l.instanceType),
    hypervisor: (l) => one(l.hypervisor),
    'bare-metal': (l) => one(l.bareMetal),
    'network-info.maximum-network-interfaces': (l) => one(l.maxEnis),
    'network-info.ipv4-addresses-per-interface': (l) => one(l.ipv4PerEni),
  },
};

const TAG_FILTERS: FilterTable<TagRow> = {
  fields: {
    'resource-id': (r) => one(r.resourceId),
    'resource-type': (r) => one(r.resourceType),
    key: (r) => one(r.key),
    value: (r) => one(r.value),
  },
};

const PAGE = { min: 5, max: 1000 };

export const describeNetworkInterfaces: Action = ({ state, q }) => {
  const ids = q.list('NetworkInterfaceId');
  const all = ids.length ? ids.map((id) => state.eni(id)) : [...state.enis.values()];
  const page = paginate('DescribeNetworkInterfaces', q, applyFilters(all, q.filters(), eniFilters(state)), {
    ...PAGE,
    idsGiven: ids.length > 0,
    idOf: (e) => e.id,
  });
  return { networkInterfaceSet: page.items.map((e) => eniXml(state, e)), nextToken: page.nextToken };
};

export const describeInstances: Action = ({ state, q }) => {
  const ids = q.list('InstanceId');
  const all = ids.length ? ids.map((id) => state.instance(id)) : [...state.instances.values()];
  const page = paginate('DescribeInstances', q, applyFilters(all, q.filters(), instanceFilters(state)), {
    ...PAGE,
    idsGiven: ids.length > 0,
    idOf: (i) => i.id,
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
  const all = ids.length ? ids.map((id) => state.subnet(id)) : [...state.subnets.values()];
  const page = paginate('DescribeSubnets', q, applyFilters(all, q.filters(), subnetFilters(state)), {
    ...PAGE,
    idsGiven: ids.length > 0,
    idOf: (s) => s.id,
  });
  return { subnetSet: page.items.map((s) => subnetXml(state, s)), nextToken: page.nextToken };
};

export const describeSecurityGroups: Action = ({ state, q }) => {
  const ids = q.list('GroupId');
  const names = q.list('GroupName');
  let all = ids.length ? ids.map((id) => state.securityGroup(id)) : [...state.securityGroups.values()];
  if (names.length) {
    all = all.filter((g) => names.includes(g.name));
    const missing = names.find((n) => !all.some((g) => g.name === n));
    if (missing) throw new AwsError('InvalidGroup.NotFound', `The security group '${missing}' does not exist`);
  }
  const page = paginate('DescribeSecurityGroups', q, applyFilters(all, q.filters(), securityGroupFilters(state)), {
    ...PAGE,
    idsGiven: ids.length > 0,
    idOf: (g) => g.id,
  });
  return { securityGroupInfo: page.items.map((g) => securityGroupXml(state, g)), nextToken: page.nextToken };
};

export const describeInstanceTypes: Action = ({ q }) => {
  const names = q.list('InstanceType');
  const catalog = instanceTypeCatalog();
  const all = names.length
    ? names.map((n) => {
        const l = catalog.get(n);
        if (!l) throw new AwsError('InvalidInstanceType', `The following supplied instance types do not exist: [${n}]`);
        return l;
      })
    : [...catalog.values()];
  // DescribeInstanceTypes allows MaxResults with InstanceTypes, unlike the ID-based describes.
  const page = paginate('DescribeInstanceTypes', q, applyFilters(all, q.filters(), INSTANCE_TYPE_FILTERS), {
    min: 5,
    max: 100,
    idsGiven: false,
    idOf: (l) => l.instanceType,
  });
  return { instanceTypeSet: page.items.map(instanceTypeXml), nextToken: page.nextToken };
};

export const describeTags: Action = ({ state, q }) => {
  const rows = applyFilters(allTagRows(state), q.filters(), TAG_FILTERS);
  const page = paginate('DescribeTags', q, rows, {
    ...PAGE,
    idsGiven: false,
    idOf: (r) => `${r.resourceId}\u0000${r.key}`,
  });
  return { tagSet: page.items.map((r) => ({ ...r })), nextToken: page.nextToken };
};
