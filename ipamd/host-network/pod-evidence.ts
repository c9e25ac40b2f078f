/**
 * What a node's kernel shows about running pods (DESIGN.md §2, issue 9 item 1): every pod the CNI
 * plugin wired left a host veth with the configured prefix, a `<podIP>/32 dev <veth> scope link`
 * route in the main table, a rule `to <podIP>/32 lookup main` at priority 512 and, on a secondary
 * ENI, `from <podIP>/32 lookup <table>` at 1536. The route only exists while its veth does, so it
 * is the proof that a live pod uses the address; rules outlive their veth and prove nothing alone.
 * Pure: read from a snapshot (snapshot.ts), so it is tested on recorded kernels without root.
 */
import { parseIpv4 } from '../datastore/ipv4.ts';
import type { IpSnapshot } from './snapshot.ts';

/** Rule priorities of a pod's rules, as the plugin adds them (cni/wire/constants.ts). */
export const POD_RULE_PRIORITIES = { toPod: 512, fromPod: 1536 } as const;

export interface PodRule {
  readonly ip: string;
  readonly priority: number;
  /** `main` or the table number as text. */
  readonly table: string;
}

export interface PodEvidence {
  /** Address -> the live host veth the main table routes it to (vpcwire's prefix only). */
  readonly routed: ReadonlyMap<string, string>;
  /** Every link name in the netns (a pod's veth exists or it does not). */
  readonly links: ReadonlySet<string>;
  /** The pod rules at 512 and 1536, whoever's they are. */
  readonly rules: readonly PodRule[];
}

/** `a.b.c.d` or `a.b.c.d/32` (ip -j prints a host route without /32); undefined otherwise. */
function hostAddress(dst: string): string | undefined {
  const ip = dst.endsWith('/32') ? dst.slice(0, -3) : dst;
  return parseIpv4(ip) === undefined ? undefined : ip;
}

export function podEvidence(snapshot: IpSnapshot, vethPrefix: string): PodEvidence {
  const links = new Set(snapshot.links.map((l) => l.name));
  const routed = new Map<string, string>();
  for (const r of snapshot.routes) {
    if (r.table !== 'main' || r.scope !== 'link' || r.gateway !== undefined || (r.type !== undefined && r.type !== 'unicast')) continue;
    const ip = hostAddress(r.dst);
    if (ip === undefined || r.dev === undefined || !r.dev.startsWith(vethPrefix) || !links.has(r.dev)) continue;
    routed.set(ip, r.dev);
  }
  const rules: PodRule[] = [];
  for (const r of snapshot.rules) {
    if (r.fwmark !== undefined) continue;
    if (r.priority === POD_RULE_PRIORITIES.toPod && r.src === 'all' && r.table === 'main') {
      const ip = hostAddress(r.dst);
      if (ip !== undefined && r.dst.endsWith('/32')) rules.push({ ip, priority: r.priority, table: r.table });
    } else if (r.priority === POD_RULE_PRIORITIES.fromPod && r.dst === 'all') {
      const ip = hostAddress(r.src);
      if (ip !== undefined && r.src.endsWith('/32')) rules.push({ ip, priority: r.priority, table: r.table });
    }
  }
  return { routed, links, rules };
}

/** `ip -batch` lines removing pod rules (what is already gone is fine under `-force`). */
export function podRuleDeletions(rules: readonly PodRule[]): string[] {
  return rules.map((r) =>
    r.priority === POD_RULE_PRIORITIES.toPod
      ? `rule del to ${r.ip}/32 lookup ${r.table} priority ${r.priority}`
      : `rule del from ${r.ip}/32 lookup ${r.table} priority ${r.priority}`,
  );
}
