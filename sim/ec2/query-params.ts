import { AwsError } from '../errors.ts';

export interface Filter {
  name: string;
  values: string[];
}

/**
 * Typed reads of an EC2 Query request (`Name.1.Field=...`), each failing with the error EC2 gives
 * for a malformed parameter rather than guessing.
 */
export class QueryParams {
  readonly form: URLSearchParams;
  constructor(form: URLSearchParams) {
    this.form = form;
  }

  str(name: string): string | undefined {
    return this.form.get(name) ?? undefined;
  }

  required(name: string): string {
    const v = this.form.get(name);
    if (v === null || v === '') {
      throw new AwsError('MissingParameter', `The request must contain the parameter ${name}`);
    }
    return v;
  }

  int(name: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.form.get(name);
    if (v === null) return undefined;
    const n = Number(v);
    if (
      !/^-?\d+$/.test(v) ||
      (opts.min !== undefined && n < opts.min) ||
      (opts.max !== undefined && n > opts.max)
    ) {
      const range =
        opts.min !== undefined || opts.max !== undefined
          ? ` (expected ${opts.min ?? '-'}..${opts.max ?? '-'})`
          : '';
      throw new AwsError('InvalidParameterValue', `Value (${v}) for parameter ${name} is invalid${range}.`);
    }
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.form.get(name);
    if (v === null) return undefined;
    if (v !== 'true' && v !== 'false') {
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${v}) for parameter ${name} is invalid. Expected 'true' or 'false'.`,
      );
    }
    return v === 'true';
  }

  /** `Name.1`, `Name.2`, ... in index order. */
  list(name: string): string[] {
    return this.#indexed(name).map(([, key]) => this.form.get(key)!);
  }

  /** `Name.N.Field` groups: one record per N. */
  records(name: string): Map<string, string>[] {
    const byIndex = new Map<number, Map<string, string>>();
    const prefix = `${name}.`;
    for (const [key, value] of this.form) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const dot = rest.indexOf('.');
      if (dot === -1) continue;
      const idx = Number(rest.slice(0, dot));
      if (!Number.isInteger(idx) || idx < 1) continue;
      let rec = byIndex.get(idx);
      if (!rec) {
        rec = new Map();
        byIndex.set(idx, rec);
      }
      rec.set(rest.slice(dot + 1), value);
    }
    return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, rec]) => rec);
  }

  filters(): Filter[] {
    return this.records('Filter').map((rec) => {
      const name = rec.get('Name');
      if (!name) throw new AwsError('InvalidParameterValue', 'A filter must have a Name.');
      const values = [...rec.entries()]
        .filter(([k]) => /^Value\.\d+$/.test(k))
        .sort((a, b) => Number(a[0].slice(6)) - Number(b[0].slice(6)))
        .map(([, v]) => v);
      return { name, values };
    });
  }

  /** `Tag.N.Key` / `Tag.N.Value` pairs under a prefix. */
  tags(prefix = 'Tag'): { key: string; value?: string }[] {
    return this.records(prefix).map((rec) => {
      const key = rec.get('Key');
      if (key === undefined)
        throw new AwsError('InvalidParameterValue', `${prefix} entries must have a Key.`);
      const value = rec.get('Value');
      return value === undefined ? { key } : { key, value };
    });
  }

  #indexed(name: string): [number, string][] {
    const out: [number, string][] = [];
    const re = new RegExp(`^${name.replace(/\./g, '\\.')}\\.(\\d+)$`);
    for (const key of this.form.keys()) {
      const m = re.exec(key);
      if (m) out.push([Number(m[1]), key]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }
}
