import { AwsError } from '../../errors.ts';
import { assignPrivateIpAddresses, unassignPrivateIpAddresses } from '../../model/address-ops.ts';
import { attachNetworkInterface, detachNetworkInterface } from '../../model/attachment-ops.ts';
import {
  createNetworkInterface,
  deleteNetworkInterface,
  modifyNetworkInterfaceAttribute,
} from '../../model/eni-ops.ts';
import { formatIpv4 } from '../../ipv4.ts';
import { createTags, deleteTags } from '../../model/tag-ops.ts';
import type { QueryParams } from '../query-params.ts';
import { eniXml } from '../render.ts';
import type { Action } from './types.ts';

const OK = { return: true };

/** TagSpecification.N for CreateNetworkInterface: only `network-interface` applies to it. */
function tagSpecifications(q: QueryParams): Record<string, string> | undefined {
  const specs = q.records('TagSpecification');
  if (specs.length === 0) return undefined;
  const tags: Record<string, string> = {};
  specs.forEach((rec, i) => {
    const type = rec.get('ResourceType');
    if (type !== 'network-interface') {
      throw new AwsError(
        'InvalidParameterValue',
        `'${type ?? ''}' is not a valid taggable resource type for this operation (TagSpecification.${i + 1}).`,
      );
    }
    const keys = [...rec.keys()].filter((k) => /^Tag\.\d+\.Key$/.test(k));
    for (const k of keys) tags[rec.get(k)!] = rec.get(k.replace(/Key$/, 'Value')) ?? '';
  });
  return tags;
}

export const createNetworkInterfaceAction: Action = ({ state, q }) => {
  const explicit = q.records('PrivateIpAddresses').map((r) => ({
    ip: r.get('PrivateIpAddress') ?? '',
    primary: r.get('Primary') === 'true',
  }));
  const primaries = explicit.filter((e) => e.primary);
  const single = q.str('PrivateIpAddress');
  if (primaries.length > 1 || (single && primaries.length && primaries[0]!.ip !== single)) {
    throw new AwsError('InvalidParameterValue', 'Only one primary private IP address can be specified.');
  }
  const prefixes = q.records('Ipv4Prefix').map((r) => r.get('Ipv4Prefix') ?? '');
  const eni = createNetworkInterface(state, {
    subnetId: q.required('SubnetId'),
    groupIds: q.list('SecurityGroupId'),
    description: q.str('Description'),
    primaryIp: single ?? primaries[0]?.ip,
    addresses: explicit.filter((e) => !e.primary).map((e) => e.ip),
    secondaryCount: q.int('SecondaryPrivateIpAddressCount'),
    prefixes,
    prefixCount: q.int('Ipv4PrefixCount'),
    tags: tagSpecifications(q),
    clientToken: q.str('ClientToken'),
  });
  return { networkInterface: eniXml(state, eni), clientToken: q.str('ClientToken') };
};

export const attachNetworkInterfaceAction: Action = ({ state, q }) => {
  const deviceIndex = q.int('DeviceIndex');
  if (deviceIndex === undefined)
    throw new AwsError('MissingParameter', 'The request must contain the parameter deviceIndex');
  const a = attachNetworkInterface(state, {
    eniId: q.required('NetworkInterfaceId'),
    instanceId: q.required('InstanceId'),
    deviceIndex,
    networkCardIndex: q.int('NetworkCardIndex', { min: 0 }),
  });
  return { attachmentId: a.id, networkCardIndex: a.networkCardIndex };
};

export const detachNetworkInterfaceAction: Action = ({ state, q }) => {
  detachNetworkInterface(state, q.required('AttachmentId'), q.bool('Force') ?? false);
  return OK;
};

export const deleteNetworkInterfaceAction: Action = ({ state, q }) => {
  deleteNetworkInterface(state, q.required('NetworkInterfaceId'));
  return OK;
};

export const modifyNetworkInterfaceAttributeAction: Action = ({ state, q }) => {
  const attachmentId = q.str('Attachment.AttachmentId');
  const dot = q.bool('Attachment.DeleteOnTermination');
  const sdc = q.bool('SourceDestCheck.Value');
  const groups = q.list('SecurityGroupId');
  modifyNetworkInterfaceAttribute(state, q.required('NetworkInterfaceId'), {
    description: q.str('Description.Value'),
    sourceDestCheck: sdc,
    groupIds: groups.length ? groups : undefined,
    attachment:
      attachmentId !== undefined || dot !== undefined
        ? { attachmentId: attachmentId ?? '', deleteOnTermination: dot }
        : undefined,
  });
  return OK;
};

export const assignPrivateIpAddressesAction: Action = ({ state, q }) => {
  const eniId = q.required('NetworkInterfaceId');
  const claimed = assignPrivateIpAddresses(state, eniId, {
    addresses: q.list('PrivateIpAddress'),
    secondaryCount: q.int('SecondaryPrivateIpAddressCount'),
    prefixes: q.list('Ipv4Prefix'),
    prefixCount: q.int('Ipv4PrefixCount'),
    allowReassignment: q.bool('AllowReassignment'),
  });
  return {
    networkInterfaceId: eniId,
    assignedPrivateIpAddressesSet: claimed.ips.map((ip) => ({ privateIpAddress: formatIpv4(ip) })),
    assignedIpv4PrefixSet: claimed.prefixes.map((p) => ({ ipv4Prefix: p.text })),
  };
};

export const unassignPrivateIpAddressesAction: Action = ({ state, q }) => {
  unassignPrivateIpAddresses(state, q.required('NetworkInterfaceId'), {
    addresses: q.list('PrivateIpAddress'),
    prefixes: q.list('Ipv4Prefix'),
  });
  return OK;
};

export const createTagsAction: Action = ({ state, q }) => {
  const tags = q.tags('Tag');
  if (tags.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter Tag');
  createTags(state, q.list('ResourceId'), Object.fromEntries(tags.map((t) => [t.key, t.value ?? ''])));
  return OK;
};

export const deleteTagsAction: Action = ({ state, q }) => {
  deleteTags(state, q.list('ResourceId'), q.tags('Tag'));
  return OK;
};
