import { createHash } from 'node:crypto';
import { AwsError } from '../errors.ts';
import type { QueryParams } from './query-params.ts';

export interface Page<T> {
  items: T[];
  nextToken: string | undefined;
}

/**
 * MaxResults/NextToken as EC2 does them. Results come in a stable order (by ID) and the token is a
 * cursor (the last ID returned), so resources created or deleted between pages neither shift nor
 * hide the others. The token is opaque to callers and bound to the request's filters.
 */
export function paginate<T>(
  action: string,
  q: QueryParams,
  unsorted: readonly T[],
  opts: { min: number; max: number; idsGiven: boolean; idOf: (item: T) => string },
): Page<T> {
  const items = [...unsorted].sort((a, b) => compare(opts.idOf(a), opts.idOf(b)));
  const max = q.int('MaxResults');
  const token = q.str('NextToken');
  if (max !== undefined && opts.idsGiven) {
    throw new AwsError(
      'InvalidParameterCombination',
      `The parameter MaxResults cannot be used with the parameter ${idParam(action)}`,
    );
  }
  if (max !== undefined && (max < opts.min || max > opts.max)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between ${opts.min} and ${opts.max}.`,
    );
  }
  const key = fingerprint(action, q);
  let start = 0;
  if (token !== undefined) {
    const decoded = decode(token);
    if (!decoded || decoded.key !== key) {
      throw new AwsError('InvalidPaginationToken', `Invalid pagination token: ${token}`);
    }
    start = items.findIndex((item) => compare(opts.idOf(item), decoded.after) > 0);
    if (start === -1) start = items.length;
  }
  if (max === undefined && token === undefined) return { items, nextToken: undefined };
  const end = Math.min(items.length, start + (max ?? opts.max));
  const page = items.slice(start, end);
  const nextToken =
    end < items.length
      ? Buffer.from(JSON.stringify({ key, after: opts.idOf(page.at(-1)!) })).toString('base64url')
      : undefined;
  return { items: page, nextToken };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function idParam(action: string): string {
  return action === 'DescribeInstances' ? 'InstanceIds' : `${action.replace(/^Describe/, '').replace(/s$/, '')}Ids`;
}

function fingerprint(action: string, q: QueryParams): string {
  const parts = [...q.form].filter(([k]) => k.startsWith('Filter.')).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(action).update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

function decode(token: string): { key: string; after: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { key?: unknown; after?: unknown };
    if (typeof v.key === 'string' && typeof v.after === 'string') return { key: v.key, after: v.after };
  } catch {
    // fall through: any undecodable token is invalid
  }
  return undefined;
}
