import { formatIpv4 } from '../ipv4.ts';
import { totalEniLimit } from '../model/limits.ts';
import type {
  Instance,
  InstanceTypeLimits,
  NetworkInterface,
  SecurityGroup,
  Subnet,
  Tags,
} from '../model/types.ts';
import type { VpcState } from '../model/vpc-state.ts';
import type { XmlValue } from './xml.ts';

/** Model records as EC2's XML names them (see the SDK's schemas: `privateIpAddressesSet`, `groupSet`...). */

export function tagSet(tags: Tags | undefined): XmlValue[] {
  return [...(tags ?? [])].map(([key, value]) => ({ key, value }));
}

function dnsName(state: VpcState, ip: number): string {
  return `ip-${formatIpv4(ip).replaceAll('.', '-')}.${state.region}.compute.internal`;
}

function groupSet(state: VpcState, ids: readonly string[]): XmlValue[] {
  return ids.map((groupId) => ({ groupId, groupName: state.securityGroups.get(groupId)?.name }));
}

function addressSet(state: VpcState, eni: NetworkInterface): XmlValue[] {
  return [eni.primaryIp, ...eni.secondaryIps].map((ip, i) => ({
    privateDnsName: dnsName(state, ip),
    privateIpAddress: formatIpv4(ip),
    primary: i === 0,
  }));
}

export function eniXml(state: VpcState, eni: NetworkInterface): Record<string, XmlValue> {
  const a = eni.attachment;
  return {
    networkInterfaceId: eni.id,
    subnetId: eni.subnetId,
    vpcId: eni.vpcId,
    availabilityZone: eni.availabilityZone,
    description: eni.description,
    ownerId: state.accountId,
    requesterManaged: eni.requesterManaged,
    status: eni.status,
    macAddress: eni.macAddress,
    privateIpAddress: formatIpv4(eni.primaryIp),
    privateDnsName: dnsName(state, eni.primaryIp),
    sourceDestCheck: eni.sourceDestCheck,
    groupSet: groupSet(state, eni.groupIds),
    attachment: a && {
      attachmentId: a.id,
      instanceId: a.instanceId,
      instanceOwnerId: state.accountId,
      deviceIndex: a.deviceIndex,
      networkCardIndex: a.networkCardIndex,
      status: a.status,
      attachTime: a.attachTime,
      deleteOnTermination: a.deleteOnTermination,
    },
    tagSet: tagSet(state.tags.get(eni.id)),
    privateIpAddressesSet: addressSet(state, eni),
    ipv4PrefixSet: eni.prefixes.map((p) => ({ ipv4Prefix: p.text })),
    ipv6AddressesSet: [],
    interfaceType: 'interface',
  };
}

export function instanceXml(state: VpcState, inst: Instance): Record<string, XmlValue> {
  const primary = state.enis.get(inst.primaryEniId);
  const running = inst.state === 'running';
  const enis = running ? state.enisOf(inst.id) : [];
  return {
    instanceId: inst.id,
    imageId: inst.imageId,
    instanceState: { code: running ? 16 : 48, name: inst.state },
    privateDnsName: primary ? dnsName(state, primary.primaryIp) : '',
    instanceType: inst.limits.instanceType,
    launchTime: inst.launchTime,
    placement: { availabilityZone: inst.availabilityZone, tenancy: 'default' },
    subnetId: running ? inst.subnetId : undefined,
    vpcId: running ? inst.vpcId : undefined,
    privateIpAddress: running && primary ? formatIpv4(primary.primaryIp) : undefined,
    architecture: 'x86_64',
    hypervisor: inst.limits.hypervisor === 'xen' ? 'xen' : 'nitro',
    groupSet: groupSet(state, primary?.groupIds ?? []),
    tagSet: tagSet(state.tags.get(inst.id)),
    networkInterfaceSet: enis.map((eni) => ({
      networkInterfaceId: eni.id,
      subnetId: eni.subnetId,
      vpcId: eni.vpcId,
      description: eni.description,
      ownerId: state.accountId,
      status: eni.status,
      macAddress: eni.macAddress,
      privateIpAddress: formatIpv4(eni.primaryIp),
      privateDnsName: dnsName(state, eni.primaryIp),
      sourceDestCheck: eni.sourceDestCheck,
      interfaceType: 'interface',
      groupSet: groupSet(state, eni.groupIds),
      attachment: eni.attachment && {
        attachmentId: eni.attachment.id,
        deviceIndex: eni.attachment.deviceIndex,
        networkCardIndex: eni.attachment.networkCardIndex,
        status: eni.attachment.status,
        attachTime: eni.attachment.attachTime,
        deleteOnTermination: eni.attachment.deleteOnTermination,
      },
      privateIpAddressesSet: addressSet(state, eni),
      ipv4PrefixSet: eni.prefixes.map((p) => ({ ipv4Prefix: p.text })),
    })),
  };
}

export function subnetXml(state: VpcState, s: Subnet): Record<string, XmlValue> {
  return {
    subnetId: s.id,
    subnetArn: `arn:aws:ec2:${state.region}:${state.accountId}:subnet/${s.id}`,
    state: 'available',
    vpcId: s.vpcId,
    ownerId: state.accountId,
    cidrBlock: s.cidr.text,
    availableIpAddressCount: s.pool.availableCount,
    availabilityZone: s.availabilityZone,
    availabilityZoneId: s.availabilityZoneId,
    defaultForAz: false,
    mapPublicIpOnLaunch: false,
    assignIpv6AddressOnCreation: false,
    ipv6CidrBlockAssociationSet: [],
    tagSet: tagSet(state.tags.get(s.id)),
  };
}

export function securityGroupXml(state: VpcState, g: SecurityGroup): Record<string, XmlValue> {
  return {
    ownerId: state.accountId,
    groupId: g.id,
    groupName: g.name,
    groupDescription: g.description,
    vpcId: g.vpcId,
    securityGroupArn: `arn:aws:ec2:${state.region}:${state.accountId}:security-group/${g.id}`,
    ipPermissions: [],
    ipPermissionsEgress: [],
    tagSet: tagSet(state.tags.get(g.id)),
  };
}

export function instanceTypeXml(l: InstanceTypeLimits): Record<string, XmlValue> {
  return {
    instanceType: l.instanceType,
    currentGeneration: l.hypervisor === 'nitro' || l.bareMetal,
    bareMetal: l.bareMetal,
    hypervisor: l.bareMetal ? undefined : l.hypervisor,
    networkInfo: {
      maximumNetworkInterfaces: totalEniLimit(l),
      maximumNetworkCards: l.networkCards.length,
      defaultNetworkCardIndex: l.defaultNetworkCardIndex,
      networkCards: l.networkCards.map((c) => ({
        networkCardIndex: c.networkCardIndex,
        maximumNetworkInterfaces: c.maximumNetworkInterfaces,
      })),
      ipv4AddressesPerInterface: l.ipv4PerEni,
      ipv6AddressesPerInterface: l.ipv4PerEni,
      ipv6Supported: true,
      enaSupport: l.hypervisor === 'nitro' ? 'required' : 'unsupported',
      efaSupported: false,
    },
  };
}
