import { AwsError } from '../errors.ts';
import type { VpcState } from './vpc-state.ts';

const MAX_TAGS = 50;

/** EC2 resource types by ID prefix, with the NotFound code EC2 uses for each. */
const RESOURCE_TYPES: readonly [
  prefix: string,
  type: string,
  resolve: (s: VpcState, id: string) => unknown,
][] = [
  ['eni-attach-', 'network-interface-attachment', (s, id) => s.attachment(id)],
  ['eni-', 'network-interface', (s, id) => s.eni(id)],
  ['i-', 'instance', (s, id) => s.instance(id)],
  ['subnet-', 'subnet', (s, id) => s.subnet(id)],
  ['sg-', 'security-group', (s, id) => s.securityGroup(id)],
  [
    'vpc-',
    'vpc',
    (s, id) => {
      if (!s.vpcs.has(id)) throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`);
    },
  ],
];

export function resourceType(id: string): string {
  return RESOURCE_TYPES.find(([p]) => id.startsWith(p))?.[1] ?? 'unknown';
}

function mustExist(state: VpcState, id: string): void {
  const entry = RESOURCE_TYPES.find(([p]) => id.startsWith(p));
  if (!entry) throw new AwsError('InvalidID', `The ID '${id}' is not valid`);
  entry[2](state, id);
}

export function validateTags(tags: Record<string, string>): void {
  for (const [k, v] of Object.entries(tags)) {
    if (k.length === 0 || k.length > 128)
      throw new AwsError('InvalidParameterValue', `Tag key '${k}' must be 1-128 characters.`);
    if (k.toLowerCase().startsWith('aws:')) {
      throw new AwsError(
        'InvalidParameterValue',
        `Tag keys starting with 'aws:' are reserved for internal use: ${k}`,
      );
    }
    if (v.length > 256)
      throw new AwsError('InvalidParameterValue', `Tag value for '${k}' exceeds 256 characters.`);
  }
}

export function createTags(
  state: VpcState,
  resourceIds: readonly string[],
  tags: Record<string, string>,
): void {
  if (resourceIds.length === 0)
    throw new AwsError('MissingParameter', 'The request must contain the parameter ResourceId');
  validateTags(tags);
  for (const id of resourceIds) mustExist(state, id);
  for (const id of resourceIds) {
    const t = state.tagsOf(id);
    const after = new Set([...t.keys(), ...Object.keys(tags)]);
    if (after.size > MAX_TAGS) {
      throw new AwsError(
        'TagLimitExceeded',
        `The maximum number of tags (${MAX_TAGS}) for resource ${id} has been exceeded.`,
      );
    }
  }
  for (const id of resourceIds) {
    const t = state.tagsOf(id);
    for (const [k, v] of Object.entries(tags)) t.set(k, v);
  }
}

/** A tag with a value is deleted only when the value matches; no tags at all deletes every tag. */
export function deleteTags(
  state: VpcState,
  resourceIds: readonly string[],
  tags: readonly { key: string; value?: string }[],
): void {
  if (resourceIds.length === 0)
    throw new AwsError('MissingParameter', 'The request must contain the parameter ResourceId');
  for (const id of resourceIds) mustExist(state, id);
  for (const id of resourceIds) {
    const t = state.tagsOf(id);
    if (tags.length === 0) t.clear();
    for (const { key, value } of tags) {
      if (value === undefined || t.get(key) === value) t.delete(key);
    }
  }
}

export interface TagRow {
  resourceId: string;
  resourceType: string;
  key: string;
  value: string;
}

export function allTagRows(state: VpcState): TagRow[] {
  const rows: TagRow[] = [];
  for (const [resourceId, t] of state.tags) {
    for (const [key, value] of t)
      rows.push({ resourceId, resourceType: resourceType(resourceId), key, value });
  }
  return rows.sort((a, b) => a.resourceId.localeCompare(b.resourceId) || a.key.localeCompare(b.key));
}
