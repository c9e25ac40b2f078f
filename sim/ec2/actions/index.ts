import {
  describeInstances,
  describeInstanceTypes,
  describeNetworkInterfaces,
  describeSecurityGroups,
  describeSubnets,
  describeTags,
} from './describe.ts';
import {
  assignPrivateIpAddressesAction,
  attachNetworkInterfaceAction,
  createNetworkInterfaceAction,
  createTagsAction,
  deleteNetworkInterfaceAction,
  deleteTagsAction,
  detachNetworkInterfaceAction,
  modifyNetworkInterfaceAttributeAction,
  unassignPrivateIpAddressesAction,
} from './mutate.ts';
import type { Action } from './types.ts';

/** Every EC2 action the emulator answers; anything else gets `InvalidAction`, as from EC2. */
export const ACTIONS: ReadonlyMap<string, Action> = new Map<string, Action>([
  ['DescribeInstances', describeInstances],
  ['DescribeInstanceTypes', describeInstanceTypes],
  ['DescribeSubnets', describeSubnets],
  ['DescribeSecurityGroups', describeSecurityGroups],
  ['DescribeNetworkInterfaces', describeNetworkInterfaces],
  ['DescribeTags', describeTags],
  ['CreateNetworkInterface', createNetworkInterfaceAction],
  ['AttachNetworkInterface', attachNetworkInterfaceAction],
  ['DetachNetworkInterface', detachNetworkInterfaceAction],
  ['DeleteNetworkInterface', deleteNetworkInterfaceAction],
  ['ModifyNetworkInterfaceAttribute', modifyNetworkInterfaceAttributeAction],
  ['AssignPrivateIpAddresses', assignPrivateIpAddressesAction],
  ['UnassignPrivateIpAddresses', unassignPrivateIpAddressesAction],
  ['CreateTags', createTagsAction],
  ['DeleteTags', deleteTagsAction],
]);
