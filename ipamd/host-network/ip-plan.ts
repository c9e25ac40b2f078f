/**
 * Pure planning of ipamd's `ip` state (DESIGN.md §2): from a kernel snapshot and what should be,
 * the `ip -batch` lines that make it so and a description of each difference, for the log.
 * No I/O: tested on recorded snapshots.
 */
import { formatIpv4, parseCidr } from '../datastore/ipv4.ts';
import type { HostEni } from '../ports.ts';
import type { IpSnapshot, LinkState } from './snapshot.ts';

/** Rule priorities in one place (DESIGN.md §2). */
export const PRIORITY_FWMARK = 1024;
export const PRIORITY_ENI_PRIMARY = 32765;
/** The connmark / fwmark bit of node egress (upstream's default AWS_VPC_K8S_CNI_CONNMARK). */
export const EGRESS_MARK = '0x80';

export interface IpPlan {
  /** `ip -batch` lines, in an order that works (link up before routes through it). */
  readonly lines: readonly string[];
  /** Each thing that should be there and is not. */
  readonly missing: readonly string[];
  /** Each thing that is there and should not be. */
  readonly removed: readonly string[];
}

export interface EniPlan extends IpPlan {
  /** The ENI's link, when one with its MAC exists. */
  readonly link: string | undefined;
}

export const eniTable = (eni: Pick<HostEni, 'deviceIndex'>): number => eni.deviceIndex + 1;

/** The subnet and its gateway (network address + 1, as in every VPC subnet). */
export function subnetOf(eni: Pick<HostEni, 'eniId' | 'subnetCidr'>): { cidr: string; length: number; gateway: string } {
  const c = parseCidr(eni.subnetCidr);
  if (!c) throw new Error(`ENI ${eni.eniId}: subnet ${JSON.stringify(eni.subnetCidr)} is not a CIDR`);
  return { cidr: c.text, length: c.prefixLength, gateway: formatIpv4(c.base + 1) };
}

export const linkByMac = (snap: IpSnapshot, mac: string): LinkState | undefined =>
  snap.links.find((l) => l.mac === mac.toLowerCase());

const eniRuleText = (eni: HostEni): string => `from ${eni.primaryIp}/32 lookup ${eniTable(eni)} prio ${PRIORITY_ENI_PRIMARY}`;

/**
 * One secondary ENI (DESIGN.md §2 "Per secondary ENI"): its link (found by MAC) at the MTU and
 * up, its primary address with the subnet mask (noprefixroute: the kernel never puts the
 * connected route into main, even after the link flaps), table deviceIndex+1 with the gateway
 * and the default route, no connected route in main, and the from-ENI-primary rule.
 */
export function planEni(snap: IpSnapshot, eni: HostEni, mtu: number): EniPlan {
  const link = linkByMac(snap, eni.mac);
  const table = String(eniTable(eni));
  const { cidr, length, gateway } = subnetOf(eni);
  const lines: string[] = [];
  const missing: string[] = [];
  const removed: string[] = [];
  const hasRule = snap.rules.some(
    (r) => r.priority === PRIORITY_ENI_PRIMARY && r.src === `${eni.primaryIp}/32` && r.dst === 'all' && r.table === table && !r.fwmark,
  );
  if (!link) {
    // Nothing to route through yet; the rule alone would send the ENI's traffic into an empty table.
    return { link: undefined, lines, missing: [`link with MAC ${eni.mac} (${eni.eniId})`], removed };
  }
  const dev = link.name;
  if (link.mtu !== mtu) {
    missing.push(`mtu ${mtu} on ${dev} (is ${link.mtu})`);
    lines.push(`link set dev ${dev} mtu ${mtu}`);
  }
  if (!link.up) {
    missing.push(`${dev} up`);
    lines.push(`link set dev ${dev} up`);
  }
  if (!link.addresses.includes(`${eni.primaryIp}/${length}`)) {
    missing.push(`address ${eni.primaryIp}/${length} on ${dev}`);
    lines.push(`addr add ${eni.primaryIp}/${length} dev ${dev} noprefixroute`);
  }
  for (const r of snap.routes) {
    if (r.table === 'main' && r.dst === cidr && r.dev === dev) {
      removed.push(`connected route ${cidr} dev ${dev} in main`);
      lines.push(`route del ${cidr} dev ${dev} table main`);
    }
  }
  const inTable = snap.routes.filter((r) => r.table === table);
  const gwRoute = (r: (typeof inTable)[number]) => r.dst === gateway && r.dev === dev && r.scope === 'link' && !r.gateway;
  const defRoute = (r: (typeof inTable)[number]) => r.dst === 'default' && r.gateway === gateway && r.dev === dev;
  for (const r of inTable) {
    if (gwRoute(r) || defRoute(r) || r.dst === 'default' || r.dst === gateway) continue; // the last two: replaced below
    removed.push(`route ${r.dst}${r.dev ? ` dev ${r.dev}` : ''} in table ${table}`);
    lines.push(`route del ${r.dst} table ${table}${r.dev ? ` dev ${r.dev}` : ''}`);
  }
  if (!inTable.some(gwRoute)) {
    missing.push(`route ${gateway}/32 dev ${dev} scope link table ${table}`);
    lines.push(`route replace ${gateway}/32 dev ${dev} scope link table ${table}`);
  }
  if (!inTable.some(defRoute)) {
    missing.push(`route default via ${gateway} dev ${dev} table ${table}`);
    lines.push(`route replace default via ${gateway} dev ${dev} table ${table}`);
  }
  if (!hasRule) {
    missing.push(`rule ${eniRuleText(eni)}`);
    lines.push(`rule add ${eniRuleText(eni)}`);
  }
  return { link: dev, lines, missing, removed };
}

/** Undoing planEni's rule and table (the link and its address go with the detached ENI). */
export function teardownLines(eni: HostEni): string[] {
  return [`rule del ${eniRuleText(eni)}`, `route flush table ${eniTable(eni)}`];
}

export interface NodeRulesSpec {
  /** The ENIs that should be configured; everything else of ours is stale. */
  readonly enis: readonly HostEni[];
  /** ENI tables are 2..maxTable (device indexes 1..maxTable-1); only those are ever flushed. */
  readonly maxTable: number;
  /** Without SNAT there is no fwmark rule (AWS_VPC_K8S_CNI_EXTERNALSNAT). */
  readonly externalSnat: boolean;
}

/**
 * Node-level rules and stale state: the fwmark rule (exactly when SNAT is ours), and the
 * from-ENI-primary rules and ENI tables of ENIs that are no longer this node's (an ipamd that
 * died between detaching an ENI and cleaning up, or an ENI replaced at the same device index).
 */
export function planNodeRules(snap: IpSnapshot, spec: NodeRulesSpec): IpPlan {
  const lines: string[] = [];
  const missing: string[] = [];
  const removed: string[] = [];
  const mark = `${EGRESS_MARK}/${EGRESS_MARK}`;
  const isOurFwmark = (r: IpSnapshot['rules'][number]) => r.priority === PRIORITY_FWMARK && r.fwmark === EGRESS_MARK;
  const exact = (r: IpSnapshot['rules'][number]) =>
    isOurFwmark(r) && r.fwmask === EGRESS_MARK && r.table === 'main' && r.src === 'all' && r.dst === 'all';
  for (const r of snap.rules.filter(isOurFwmark)) {
    if (!spec.externalSnat && exact(r)) continue;
    const mask = r.fwmask ? `/${r.fwmask}` : '';
    removed.push(`rule fwmark ${r.fwmark}${mask} lookup ${r.table} priority ${PRIORITY_FWMARK}`);
    lines.push(`rule del fwmark ${r.fwmark}${mask} lookup ${r.table} prio ${PRIORITY_FWMARK}`);
  }
  if (!spec.externalSnat && !snap.rules.some(exact)) {
    missing.push(`rule fwmark ${mark} lookup main priority ${PRIORITY_FWMARK}`);
    lines.push(`rule add fwmark ${mark} lookup main prio ${PRIORITY_FWMARK}`);
  }

  const ours = (table: string): boolean => /^\d+$/.test(table) && Number(table) >= 2 && Number(table) <= spec.maxTable;
  const wanted = new Set(spec.enis.map((e) => `${e.primaryIp}/32 ${eniTable(e)}`));
  for (const r of snap.rules) {
    if (r.priority !== PRIORITY_ENI_PRIMARY || !ours(r.table) || r.fwmark || !r.src.endsWith('/32')) continue;
    if (wanted.has(`${r.src} ${r.table}`)) continue;
    removed.push(`stale rule from ${r.src} lookup ${r.table} priority ${PRIORITY_ENI_PRIMARY}`);
    lines.push(`rule del from ${r.src} lookup ${r.table} prio ${PRIORITY_ENI_PRIMARY}`);
  }
  const tables = new Set(spec.enis.map((e) => String(eniTable(e))));
  const stale = new Set(snap.routes.filter((r) => ours(r.table) && !tables.has(r.table)).map((r) => r.table));
  for (const t of stale) {
    removed.push(`stale routes in table ${t}`);
    lines.push(`route flush table ${t}`);
  }
  return { lines, missing, removed };
}
