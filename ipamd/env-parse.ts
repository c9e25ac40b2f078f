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

/** Where a server listens: a TCP host (undefined = every interface) and port, or a unix socket path. */
export type ListenAddress = { readonly kind: 'tcp'; readonly host: string | undefined; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

/**
 * `host:port`, `:port` (every interface), `[v6]:port`, or with `unix` allowed `unix:/abs/path`.
 */
export function listenAddress(env: Env, name: string, dflt: string, opts: { unix: boolean }): ListenAddress {
  const raw = str(env, name) ?? dflt;
  if (raw.startsWith('unix:')) {
    if (!opts.unix) bad(name, raw, 'expected host:port or :port (no unix socket here)');
    const path = raw.slice('unix:'.length);
    if (!path.startsWith('/') || path.includes('\0') || path.split('/').includes('..')) bad(name, raw, 'expected unix:/absolute/path without ..');
    if (Buffer.byteLength(path) > 107) bad(name, raw, 'a unix socket path allows 107 bytes');
    return { kind: 'unix', path };
  }
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(raw);
  const expected = opts.unix ? 'expected host:port, :port, [ipv6]:port or unix:/path' : 'expected host:port, :port or [ipv6]:port';
  if (!m) return bad(name, raw, expected);
  const port = Number(m[3]);
  // 0 (any free port) only serves tests that start many ipamds on one machine.
  if (port > 65535) bad(name, raw, 'the port must be 0-65535');
  const host = m[1] ?? (m[2] === '' ? undefined : m[2]);
  return { kind: 'tcp', host, port };
}
