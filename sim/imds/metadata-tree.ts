import { formatIpv4 } from '../ipv4.ts';
import type { VpcState } from '../model/vpc-state.ts';

/** One instance's metadata as leaf paths under /latest/meta-data/ -> value. */
export type MetadataTree = ReadonlyMap<string, string>;

/**
 * What IMDS shows an instance, computed from EC2's state at one moment. Only attachments in the
 * `attached` state appear, as on EC2; `ipv4-prefix` exists only for an ENI that has prefixes
 * (IMDS answers 404 otherwise, which upstream treats as "no prefixes").
 */
export function buildMetadataTree(state: VpcState, instanceId: string): MetadataTree {
  const inst = state.instances.get(instanceId);
  const t = new Map<string, string>();
  if (!inst) return t;
  const primary = state.enis.get(inst.primaryEniId);
  const vpc = state.vpcs.get(inst.vpcId);
  const subnetOf = (id: string) => state.subnets.get(id)!;
  const hostname = primary
    ? `ip-${formatIpv4(primary.primaryIp).replaceAll('.', '-')}.${state.region}.compute.internal`
    : '';
  t.set('ami-id', inst.imageId);
  t.set('instance-id', inst.id);
  t.set('instance-type', inst.limits.instanceType);
  t.set('hostname', hostname);
  t.set('local-hostname', hostname);
  t.set('placement/availability-zone', inst.availabilityZone);
  t.set('placement/availability-zone-id', subnetOf(inst.subnetId).availabilityZoneId);
  t.set('placement/region', state.region);
  t.set('services/domain', 'amazonaws.com');
  t.set('services/partition', 'aws');
  if (primary && inst.state === 'running') {
    t.set('local-ipv4', formatIpv4(primary.primaryIp));
    t.set('mac', primary.macAddress);
    t.set('security-groups', primary.groupIds.map((g) => state.securityGroups.get(g)?.name ?? g).join('\n'));
  }
  if (inst.state !== 'running') return t;
  for (const eni of state.enisOf(inst.id)) {
    if (eni.attachment?.status !== 'attached') continue;
    const base = `network/interfaces/macs/${eni.macAddress}/`;
    const subnet = subnetOf(eni.subnetId);
    t.set(`${base}device-number`, String(eni.attachment.deviceIndex));
    t.set(`${base}network-card`, String(eni.attachment.networkCardIndex));
    t.set(`${base}interface-id`, eni.id);
    t.set(`${base}mac`, eni.macAddress);
    t.set(`${base}owner-id`, state.accountId);
    t.set(
      `${base}local-hostname`,
      `ip-${formatIpv4(eni.primaryIp).replaceAll('.', '-')}.${state.region}.compute.internal`,
    );
    t.set(`${base}local-ipv4s`, [eni.primaryIp, ...eni.secondaryIps].map(formatIpv4).join('\n'));
    t.set(`${base}security-group-ids`, eni.groupIds.join('\n'));
    t.set(
      `${base}security-groups`,
      eni.groupIds.map((g) => state.securityGroups.get(g)?.name ?? g).join('\n'),
    );
    t.set(`${base}subnet-id`, eni.subnetId);
    t.set(`${base}subnet-ipv4-cidr-block`, subnet.cidr.text);
    t.set(`${base}vpc-id`, eni.vpcId);
    if (vpc) {
      t.set(`${base}vpc-ipv4-cidr-block`, vpc.cidrs[0]!.text);
      t.set(`${base}vpc-ipv4-cidr-blocks`, vpc.cidrs.map((c) => c.text).join('\n'));
    }
    if (eni.prefixes.length) t.set(`${base}ipv4-prefix`, eni.prefixes.map((p) => p.text).join('\n'));
  }
  return t;
}

/**
 * Reads a path from the tree: a leaf's value, or for a directory its listing (children one per
 * line, sub-directories with a trailing slash), or undefined for 404.
 */
export function lookup(tree: MetadataTree, path: string): string | undefined {
  const clean = path.replace(/^\/+/, '');
  if (!clean.endsWith('/') && tree.has(clean)) return tree.get(clean);
  const dir = clean === '' || clean.endsWith('/') ? clean : `${clean}/`;
  const children = new Set<string>();
  for (const key of tree.keys()) {
    if (!key.startsWith(dir)) continue;
    const rest = key.slice(dir.length);
    const slash = rest.indexOf('/');
    children.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  if (children.size === 0) return undefined;
  return [...children].sort().join('\n');
}
