/**
 * Test stand-ins for what the CNI plugin and ipamd will do on a node (DESIGN.md §2), written with
 * plain `ip` so kernel tests of the emulator can put traffic on its data plane before those parts
 * exist. Every change happens inside the given (test-owned) namespaces.
 */
import { deleteNetns, ip, ipBatch, run } from '../../sim/dataplane/ip.ts';
import { parseCidr, subnetGateway } from '../../sim/ipv4.ts';
import { kernelDataPlaneUnsupportedReason } from '../../sim/dataplane/preflight.ts';

/** The link-local next hop every pod routes through (DESIGN.md §2). */
export const POD_GATEWAY = '169.254.1.1';

export interface Pod {
  netns: string;
  ip: string;
  /** the node netns the pod sits behind */
  node: string;
  hostVeth: string;
  /** route table of the secondary ENI owning the address, if any */
  eniTable?: number;
}

export interface AddPodOptions {
  node: string;
  netns: string;
  ip: string;
  hostVeth: string;
  mtu?: number;
  /** deviceIndex + 1 of the secondary ENI that owns the address (adds the from-pod rule) */
  eniTable?: number;
}

async function linkMac(netns: string, name: string): Promise<string> {
  const [link] = JSON.parse(await ip(['-j', 'link', 'show', 'dev', name], netns)) as { address: string }[];
  if (!link) throw new Error(`no link ${name} in ${netns}`);
  return link.address;
}

/** Creates the pod netns and wires it the way the CNI plugin will. */
export async function addPod(opts: AddPodOptions): Promise<Pod> {
  const { node, netns, hostVeth } = opts;
  const mtu = opts.mtu ?? 9001;
  await ip(['netns', 'add', netns]);
  // The container end is created in place as the peer of the host end.
  await ipBatch(netns, [
    `link add eth0 mtu ${mtu} type veth peer name ${hostVeth} mtu ${mtu} netns ${node}`,
    'link set lo up',
    'link set eth0 up',
  ]);
  const hostMac = await linkMac(node, hostVeth);
  await ipBatch(netns, [
    `addr add ${opts.ip}/32 dev eth0`,
    `route add ${POD_GATEWAY} dev eth0 scope link`,
    `route add default via ${POD_GATEWAY} dev eth0`,
    `neigh replace ${POD_GATEWAY} lladdr ${hostMac} dev eth0 nud permanent`,
  ]);
  await ipBatch(node, [
    `link set ${hostVeth} up`,
    `route replace ${opts.ip}/32 dev ${hostVeth} scope link`,
    `rule add to ${opts.ip}/32 lookup main prio 512`,
    ...(opts.eniTable ? [`rule add from ${opts.ip}/32 lookup ${opts.eniTable} prio 1536`] : []),
  ]);
  return { netns, ip: opts.ip, node, hostVeth, ...(opts.eniTable ? { eniTable: opts.eniTable } : {}) };
}

/** Undoes addPod; tolerant of anything already gone (e.g. the node netns was deleted first). */
export async function removePod(pod: Pod): Promise<void> {
  const rules = [`rule del to ${pod.ip}/32 lookup main prio 512`];
  if (pod.eniTable) rules.push(`rule del from ${pod.ip}/32 lookup ${pod.eniTable} prio 1536`);
  await ipBatch(pod.node, rules, { force: true }).catch(() => []);
  await deleteNetns(pod.netns);
}

export interface SecondaryEniOptions {
  /** e.g. eth1 (ipamd finds it by MAC; tests know the name) */
  ifname: string;
  primaryIp: string;
  subnetCidr: string;
  /** deviceIndex + 1 */
  table: number;
  mtu?: number;
}

/** What ipamd does when a secondary ENI appears (DESIGN.md §2 "Per secondary ENI"). */
export async function configureSecondaryEni(node: string, opts: SecondaryEniOptions): Promise<void> {
  const subnet = parseCidr(opts.subnetCidr);
  if (!subnet) throw new Error(`not an aligned IPv4 CIDR: ${opts.subnetCidr}`);
  const gw = subnetGateway(subnet);
  const dev = opts.ifname;
  await ipBatch(node, [
    `link set ${dev} mtu ${opts.mtu ?? 9001} up`,
    `addr add ${opts.primaryIp}/${subnet.prefixLength} dev ${dev}`,
    `route add ${gw}/32 dev ${dev} scope link table ${opts.table}`,
    `route add default via ${gw} dev ${dev} table ${opts.table}`,
    `route del ${subnet.text} dev ${dev} table main`,
    `rule add from ${opts.primaryIp}/32 lookup ${opts.table} prio 32765`,
  ]);
}

/**
 * Whether `from` (a netns) gets an ICMP echo reply from `to` within `deadlineSeconds`. Echoes go
 * out every 0.2 s until the first reply, so a slow first ARP does not fail a positive check.
 */
export async function reaches(from: string, to: string, deadlineSeconds = 2): Promise<boolean> {
  const args = [
    'netns',
    'exec',
    from,
    'ping',
    '-n',
    '-q',
    '-c',
    '1',
    '-i',
    '0.2',
    '-w',
    String(deadlineSeconds),
    to,
  ];
  const r = await run('ip', args);
  if (r.code !== 0 && r.code !== 1)
    throw new Error(`ip ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.code === 0;
}

/** Why kernel tests cannot run here (not root, no `ip`, no `ping`), or undefined when they can. */
export async function kernelTestsSkipReason(): Promise<string | undefined> {
  const reason = await kernelDataPlaneUnsupportedReason();
  if (reason) return `kernel data plane ${reason}`;
  const ping = await run('ping', ['-V']).catch(() => undefined);
  if (ping?.code !== 0) return 'needs ping (apt-get install -y iputils-ping; .ci/run installs it)';
  return undefined;
}

/** Everything of a pod's address left on its node: rules, main-table routes, and its host veth. */
export async function leftovers(node: string, podIp: string, hostVeth: string): Promise<string[]> {
  const out: string[] = [];
  const rules = JSON.parse(await ip(['-j', 'rule', 'show'], node)) as { src?: string; dst?: string; priority: number }[];
  for (const r of rules) if (r.src === podIp || r.dst === podIp) out.push(`rule prio ${r.priority}`);
  if ((JSON.parse(await ip(['-j', 'route', 'show', 'exact', `${podIp}/32`], node)) as unknown[]).length) out.push('route');
  const links = JSON.parse(await ip(['-j', 'link', 'show'], node)) as { ifname: string }[];
  if (links.some((l) => l.ifname === hostVeth)) out.push(`link ${hostVeth}`);
  return out;
}

/**
 * What pods put on a node, all pods together: host veths (named with `vethPrefix`), pod rules
 * (priorities 512 and 1536, DESIGN.md §2) and main-table routes to host veths. All empty on a
 * node without pods.
 */
export async function podNetworkState(node: string, vethPrefix = 'eni'): Promise<{ veths: string[]; podRules: number; podRoutes: number }> {
  const links = (JSON.parse(await ip(['-j', 'link', 'show'], node)) as { ifname: string }[]).map((l) => l.ifname);
  const rules = JSON.parse(await ip(['-j', 'rule', 'show'], node)) as { priority: number }[];
  const routes = JSON.parse(await ip(['-j', 'route', 'show', 'table', 'main'], node)) as { dev: string }[];
  return {
    veths: links.filter((l) => l.startsWith(vethPrefix)).sort(),
    podRules: rules.filter((r) => r.priority === 512 || r.priority === 1536).length,
    podRoutes: routes.filter((r) => r.dev.startsWith(vethPrefix)).length,
  };
}
