import { createHash } from 'node:crypto';
import { AwsError } from '../errors.ts';
import type { QueryParams } from './query-params.ts';

export interface Page<T> {
  items: T[];
  nextToken: string | undefined;
}

/**
 * MaxResults/NextToken as EC2 does them. The token is opaque to callers; it binds the offset to the
 * request's filters so a token cannot be replayed against another query.
 */
export function paginate<T>(
  action: string,
  q: QueryParams,
  items: readonly T[],
  opts: { min: number; max: number; idsGiven: boolean },
): Page<T> {
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
  let offset = 0;
  if (token !== undefined) {
    const decoded = decode(token);
    if (!decoded || decoded.key !== key || decoded.offset > items.length) {
      throw new AwsError('InvalidPaginationToken', `Invalid pagination token: ${token}`);
    }
    offset = decoded.offset;
  }
  if (max === undefined && token === undefined) return { items: [...items], nextToken: undefined };
  const size = max ?? opts.max;
  const end = Math.min(items.length, offset + size);
  return {
    items: items.slice(offset, end),
    nextToken:
      end < items.length
        ? Buffer.from(JSON.stringify({ key, offset: end })).toString('base64url')
        : undefined,
  };
}

function idParam(action: string): string {
  return action === 'DescribeInstances'
    ? 'InstanceIds'
    : `${action.replace(/^Describe/, '').replace(/s$/, '')}Ids`;
}

function fingerprint(action: string, q: QueryParams): string {
  const parts = [...q.form].filter(([k]) => k.startsWith('Filter.')).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(action).update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

function decode(token: string): { key: string; offset: number } | undefined {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      key?: unknown;
      offset?: unknown;
    };
    if (typeof v.key === 'string' && Number.isInteger(v.offset))
      return { key: v.key, offset: v.offset as number };
  } catch {
    // fall through: any undecodable token is invalid
  }
  return undefined;
}
