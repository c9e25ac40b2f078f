/**
 * Reading ipamd's environment variables: each invalid value stops ipamd with a message naming the
 * variable, the value and what was expected (IPAMD_CONFIG_INVALID). Shared by config.ts and the
 * Kubernetes settings (kube/settings.ts).
 */
import { IpamdError } from './errors.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export function bad(name: string, value: string, why: string): never {
  throw new IpamdError('IPAMD_CONFIG_INVALID', `invalid ${name}=${JSON.stringify(value)}: ${why}`);
}

export function int(env: Env, name: string, opts: { min: number; max?: number }): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^-?\d+$/.test(raw.trim())) bad(name, raw, 'expected an integer');
  const n = Number(raw.trim());
  if (n < opts.min) bad(name, raw, `must be >= ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) bad(name, raw, `must be <= ${opts.max}`);
  return n;
}

export function bool(env: Env, name: string, dflt: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return dflt;
  const v = raw.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  return bad(name, raw, "expected 'true' or 'false'");
}

export function str(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}
