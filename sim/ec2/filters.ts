import { AwsError } from '../errors.ts';
import type { Tags } from '../model/types.ts';
import type { Filter } from './query-params.ts';

/**
 * The values a resource has for a filter name, or undefined when the name is not a filter of
 * this resource type (EC2 rejects unknown filter names instead of ignoring them).
 */
export type FilterFields<T> = (resource: T, name: string) => readonly string[] | undefined;

const globCache = new Map<string, RegExp>();

/** EC2 filter values accept `*` (any run) and `?` (one character); `\` escapes them. */
function glob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (re) return re;
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) src += escapeRe(pattern[++i]!);
    else if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else src += escapeRe(c);
  }
  re = new RegExp(`^${src}$`, 's');
  globCache.set(pattern, re);
  return re;
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function tagFields(tags: Tags | undefined, name: string): readonly string[] | undefined {
  if (name.startsWith('tag:')) {
    const v = tags?.get(name.slice(4));
    return v === undefined ? [] : [v];
  }
  if (name === 'tag-key') return [...(tags?.keys() ?? [])];
  if (name === 'tag-value') return [...(tags?.values() ?? [])];
  return undefined;
}

export function applyFilters<T>(
  items: readonly T[],
  filters: readonly Filter[],
  fields: FilterFields<T>,
): T[] {
  if (filters.length === 0) return [...items];
  const probe = items[0];
  for (const f of filters) {
    if (f.values.length === 0)
      throw new AwsError('InvalidParameterValue', `The filter '${f.name}' has no values.`);
    if (probe !== undefined && fields(probe, f.name) === undefined) {
      throw new AwsError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    }
  }
  return items.filter((item) =>
    filters.every((f) => {
      const have = fields(item, f.name);
      if (have === undefined)
        throw new AwsError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
      return f.values.some((pattern) => {
        const re = glob(pattern);
        return have.some((v) => re.test(v));
      });
    }),
  );
}
