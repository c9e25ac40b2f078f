/**
 * What the kernel has, as `ip -j` shows it, reduced to the fields host-network planning compares.
 * Parsing is separate from running so the planners are tested on recorded snapshots, no root.
 */

export interface LinkState {
  readonly name: string;
  /** Lowercase. */
  readonly mac: string;
  readonly mtu: number;
  /** Administratively up (the UP flag), whatever the carrier. */
  readonly up: boolean;
  /** IPv4 addresses as `a.b.c.d/len`. */
  readonly addresses: readonly string[];
}

export interface RouteState {
  /** `default`, `a.b.c.d` (a /32) or `a.b.c.d/len`, as `ip -j` prints it. */
  readonly dst: string;
  /** `main`, `local`, or the table number as text. */
  readonly table: string;
  readonly dev: string | undefined;
  readonly gateway: string | undefined;
  readonly scope: string | undefined;
  readonly type: string | undefined;
}

export interface RuleState {
  readonly priority: number;
  /** `all` or `a.b.c.d/len` (ip omits /32; it is added here). */
  readonly src: string;
  /** `all` or `a.b.c.d/len`. */
  readonly dst: string;
  readonly table: string;
  readonly fwmark: string | undefined;
  readonly fwmask: string | undefined;
}

export interface IpSnapshot {
  readonly links: readonly LinkState[];
  readonly routes: readonly RouteState[];
  readonly rules: readonly RuleState[];
}

interface RawLink {
  ifname?: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}
interface RawRoute {
  dst?: string;
  table?: string;
  dev?: string;
  gateway?: string;
  scope?: string;
  type?: string;
}
interface RawRule {
  priority?: number;
  src?: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  table?: string;
  fwmark?: string;
  fwmask?: string;
}

const withLen = (addr: string | undefined, len: number | undefined): string =>
  addr === undefined || addr === 'all' ? 'all' : `${addr}/${len ?? 32}`;

/**
 * Parses the output of `ip -j -batch -` fed `addr show`, `route show table all`, `rule show`:
 * one JSON array per line, in that order.
 */
export function parseSnapshot(stdout: string): IpSnapshot {
  const parts = stdout.split('\n').filter((l) => l.trim() !== '');
  if (parts.length !== 3) throw new Error(`expected 3 JSON documents from ip -j -batch, got ${parts.length}`);
  const [links, routes, rules] = parts.map((p) => JSON.parse(p) as unknown[]) as [RawLink[], RawRoute[], RawRule[]];
  return {
    links: links.map((l) => ({
      name: l.ifname ?? '',
      mac: (l.address ?? '').toLowerCase(),
      mtu: l.mtu ?? 0,
      up: (l.flags ?? []).includes('UP'),
      addresses: (l.addr_info ?? []).filter((a) => a.family === 'inet' && a.local).map((a) => `${a.local}/${a.prefixlen ?? 32}`),
    })),
    routes: routes.map((r) => ({
      dst: r.dst ?? 'default',
      table: r.table ?? 'main',
      dev: r.dev,
      gateway: r.gateway,
      scope: r.scope,
      type: r.type,
    })),
    rules: rules.map((r) => ({
      priority: r.priority ?? 0,
      src: withLen(r.src, r.srclen),
      dst: withLen(r.dst, r.dstlen),
      table: r.table ?? 'main',
      fwmark: r.fwmark,
      fwmask: r.fwmask,
    })),
  };
}
