/**
 * CHECK (CNI spec: "the plugin must check that the container's networking is as it set it up"):
 * reads the kernel with `ip -j` in both namespaces and lists every difference from what wirePod
 * made (DESIGN.md §2): links, address, routes, neighbour, rules.
 */
import { existsSync } from 'node:fs';
import { describe, netnsProblem } from '../../contract/cni-input.ts';
import { type IpCommand, ipBatch } from './ip-batch.ts';
import { IPV4, MAC, POD_GATEWAY, PRIO_FROM_POD, PRIO_TO_POD, validIfName } from './constants.ts';
import type { WiredPod } from './pod.ts';
import { WireError } from './wire-error.ts';

interface JLink {
  ifname?: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}
interface JRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
  scope?: string;
}
interface JRule {
  priority?: number;
  src?: string;
  dst?: string;
  table?: string;
}
interface JNeigh {
  dst?: string;
  lladdr?: string;
  state?: string[];
}

/**
 * One JSON document per successful batch line; failed lines print nothing, so results are matched
 * back to their lines by skipping the failed ones. Failed or absent -> undefined.
 */
function byLine(stdout: string, lines: number, failed: ReadonlyMap<number, string>): (unknown[] | undefined)[] {
  const docs = stdout.split('\n').filter((l) => l.trim().startsWith('['));
  const out: (unknown[] | undefined)[] = [];
  for (let i = 1; i <= lines; i++) out.push(failed.has(i) ? undefined : (JSON.parse(docs.shift() ?? '[]') as unknown[]));
  return out;
}

const mac = (s: string | undefined): string => (s ?? '').toLowerCase();

function checkLink(where: string, name: string, link: JLink | undefined, want: { mac: string; mtu: number | undefined }, drift: string[]) {
  if (!link) {
    drift.push(`${where}: interface ${name} is missing`);
    return;
  }
  if (mac(link.address) !== mac(want.mac)) drift.push(`${where}: ${name} has MAC ${link.address}, expected ${want.mac}`);
  if (want.mtu !== undefined && link.mtu !== want.mtu) drift.push(`${where}: ${name} has MTU ${link.mtu}, expected ${want.mtu}`);
  if (!link.flags?.includes('UP')) drift.push(`${where}: ${name} is down`);
}

/** What CHECK compares; the MTU only when prevResult carries it (CNI 1.1.0 results do). */
export type CheckTarget = Omit<WiredPod, 'mtu'> & { readonly mtu?: number | undefined };

export async function checkPod(w: CheckTarget): Promise<string[]> {
  // prevResult is input: nothing from it reaches `ip` unchecked.
  const bad = (what: string, v: unknown) => new WireError('CNI_WIRE_INVALID', `${what} ${describe(v)} in prevResult is not valid`);
  if (!validIfName(w.hostVeth)) throw bad('host interface name', w.hostVeth);
  if (!validIfName(w.ifName)) throw bad('interface name', w.ifName);
  if (!IPV4.test(w.podIp)) throw bad('pod IPv4 address', w.podIp);
  if (!MAC.test(w.hostMac)) throw bad('host MAC', w.hostMac);
  if (!MAC.test(w.containerMac)) throw bad('container MAC', w.containerMac);
  if (netnsProblem(w.netnsPath) !== undefined) throw bad('netns path', w.netnsPath);
  if (!Number.isInteger(w.routeTable) || w.routeTable < 0) throw bad('route table', w.routeTable);
  const drift: string[] = [];
  const hostLines: IpCommand[] = [['link', 'show', 'dev', w.hostVeth], ['route', 'show', 'table', 'main', 'exact', `${w.podIp}/32`], ['rule', 'show']];
  const host = await ipBatch(hostLines, { json: true, force: true });
  const [hLink, hRoutes, rules] = byLine(host.stdout, hostLines.length, host.failed);
  checkLink('node', w.hostVeth, hLink?.[0] as JLink | undefined, { mac: w.hostMac, mtu: w.mtu }, drift);
  const hostRoute = (hRoutes as JRoute[] | undefined)?.find((r) => r.dst === w.podIp);
  if (!hostRoute) drift.push(`node: route ${w.podIp}/32 dev ${w.hostVeth} is missing from the main table`);
  else if (hostRoute.dev !== w.hostVeth || hostRoute.scope !== 'link') {
    drift.push(`node: route ${w.podIp}/32 goes via ${hostRoute.dev} scope ${hostRoute.scope}, expected dev ${w.hostVeth} scope link`);
  }
  const rs = (rules ?? []) as JRule[];
  if (!rs.some((r) => r.priority === PRIO_TO_POD && r.dst === w.podIp && r.table === 'main')) {
    drift.push(`node: rule "to ${w.podIp}/32 lookup main prio ${PRIO_TO_POD}" is missing`);
  }
  const fromRule = rs.find((r) => r.priority === PRIO_FROM_POD && r.src === w.podIp);
  if (w.routeTable > 0 && fromRule?.table !== String(w.routeTable)) {
    drift.push(`node: rule "from ${w.podIp}/32 lookup ${w.routeTable} prio ${PRIO_FROM_POD}" is missing`);
  }
  if (w.routeTable === 0 && fromRule) drift.push(`node: unexpected rule "from ${w.podIp}/32 lookup ${fromRule.table}"`);

  if (!existsSync(w.netnsPath)) {
    drift.push(`pod: network namespace ${w.netnsPath} is gone`);
    return drift;
  }
  const podLines: IpCommand[] = [['addr', 'show', 'dev', w.ifName], ['route', 'show'], ['neigh', 'show', 'dev', w.ifName]];
  const pod = await ipBatch(podLines, { netns: w.netnsPath, json: true, force: true });
  const [pLink, pRoutes, neigh] = byLine(pod.stdout, podLines.length, pod.failed);
  const link = pLink?.[0] as JLink | undefined;
  checkLink('pod', w.ifName, link, { mac: w.containerMac, mtu: w.mtu }, drift);
  if (link && !link.addr_info?.some((a) => a.family === 'inet' && a.local === w.podIp && a.prefixlen === 32)) {
    drift.push(`pod: address ${w.podIp}/32 is missing from ${w.ifName}`);
  }
  const routes = (pRoutes ?? []) as JRoute[];
  if (!routes.some((r) => r.dst === POD_GATEWAY && r.dev === w.ifName && r.scope === 'link')) {
    drift.push(`pod: route ${POD_GATEWAY} dev ${w.ifName} scope link is missing`);
  }
  if (!routes.some((r) => r.dst === 'default' && r.gateway === POD_GATEWAY && r.dev === w.ifName)) {
    drift.push(`pod: default route via ${POD_GATEWAY} dev ${w.ifName} is missing`);
  }
  const gw = ((neigh ?? []) as JNeigh[]).find((n) => n.dst === POD_GATEWAY);
  if (!gw) drift.push(`pod: neighbour ${POD_GATEWAY} is missing`);
  else if (mac(gw.lladdr) !== mac(w.hostMac) || !gw.state?.includes('PERMANENT')) {
    drift.push(`pod: neighbour ${POD_GATEWAY} is ${gw.lladdr} ${gw.state?.join(',')}, expected ${w.hostMac} PERMANENT`);
  }
  return drift;
}
