import { AwsError } from '../errors.ts';
import type { Tags } from '../model/types.ts';
import type { Filter } from './query-params.ts';

/** The filters one resource type answers to: name -> the values a resource has for it. */
export interface FilterTable<T> {
  readonly fields: Readonly<Record<string, (item: T) => readonly string[]>>;
  /** `tag:<key>`, `tag-key`, `tag-value` from these tags, when the type is taggable. */
  readonly tagsOf?: (item: T) => Tags | undefined;
}

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

function valuesOf<T>(table: FilterTable<T>, item: T, name: string): readonly string[] {
  const field = table.fields[name];
  if (field) return field(item);
  const tags = table.tagsOf!(item);
  if (name.startsWith('tag:')) {
    const v = tags?.get(name.slice(4));
    return v === undefined ? [] : [v];
  }
  if (name === 'tag-key') return [...(tags?.keys() ?? [])];
  return [...(tags?.values() ?? [])];
}

function known<T>(table: FilterTable<T>, name: string): boolean {
  if (Object.hasOwn(table.fields, name)) return true;
  return table.tagsOf !== undefined && (name.startsWith('tag:') || name === 'tag-key' || name === 'tag-value');
}

/**
 * Filters AND together and a filter's values OR, as on EC2. An unknown filter name is refused
 * whatever the items (EC2 checks names, not results).
 */
export function applyFilters<T>(items: readonly T[], filters: readonly Filter[], table: FilterTable<T>): T[] {
  for (const f of filters) {
    if (!known(table, f.name)) throw new AwsError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    if (f.values.length === 0) throw new AwsError('InvalidParameterValue', `The filter '${f.name}' has no values.`);
  }
  if (filters.length === 0) return [...items];
  return items.filter((item) =>
    filters.every((f) => {
      const have = valuesOf(table, item, f.name);
      return f.values.some((pattern) => {
        const re = glob(pattern);
        return have.some((v) => re.test(v));
      });
    }),
  );
}
