/**
 * Wires a pod's network namespace straight to its VPC address (DESIGN.md §2): the veth is created
 * with its container end directly in the pod netns (no create-then-move: about 2 ms instead of 29),
 * then the node side and the pod side are configured at once, one `ip` batch each. Any failure
 * undoes what was done, so the caller only has to release the address.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { describe, netnsProblem } from '../../contract/cni-input.ts';
import { IPV4, POD_GATEWAY, PRIO_FROM_POD, PRIO_TO_POD, validIfName } from './constants.ts';
import { batchLine, type IpCommand, ipBatch, ipBin, isGone, netnsName, showCommand } from './ip-batch.ts';
import { WireError } from './wire-error.ts';

export { POD_GATEWAY, PRIO_FROM_POD, PRIO_TO_POD };

export interface PodWiring {
  netnsPath: string;
  ifName: string;
  hostVeth: string;
  podIp: string;
  mtu: number;
  /** 0 = main (primary ENI); else the ENI's table: adds `from podIp lookup table` at 1536. */
  routeTable: number;
}

export interface WiredPod extends PodWiring {
  hostMac: string;
  containerMac: string;
}

export { WireError, type WireErrorCode } from './wire-error.ts';

/**
 * A random locally administered unicast MAC (the host end's is the pod's gateway MAC). V8 seeds
 * Math.random from the OS per process; a MAC needs uniqueness, not secrecy, and node:crypto would
 * cost the plugin several milliseconds of start-up on every pod.
 */
export function randomMac(): string {
  const b = Array.from({ length: 6 }, () => Math.floor(Math.random() * 256));
  b[0] = (b[0]! & 0xfe) | 0x02;
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

const invalid = (what: string, v: unknown) => new WireError('CNI_WIRE_INVALID', `${what} ${describe(v)} is not valid`);

/** Everything that reaches an `ip` command line is checked first: no injection through a batch line. */
export function checkWiring(w: PodWiring): void {
  if (!IPV4.test(w.podIp)) throw invalid('pod IPv4 address', w.podIp);
  if (!validIfName(w.ifName)) throw invalid('interface name', w.ifName);
  if (!validIfName(w.hostVeth)) throw invalid('host veth name', w.hostVeth);
  if (!Number.isInteger(w.mtu) || w.mtu < 68 || w.mtu > 65535) throw invalid('MTU', w.mtu);
  if (!Number.isInteger(w.routeTable) || w.routeTable < 0 || w.routeTable > 0xfffffff) throw invalid('route table', w.routeTable);
  checkNetnsPath(w.netnsPath);
}

function checkNetnsPath(p: string): void {
  if (netnsProblem(p) !== undefined) throw invalid('netns path', p);
}

/** The pod's policy rules (DESIGN.md §2). */
const ruleLines = (ip: string, table: number): IpCommand[] => [
  ['rule', 'add', 'to', `${ip}/32`, 'lookup', 'main', 'prio', String(PRIO_TO_POD)],
  ...(table > 0 ? [['rule', 'add', 'from', `${ip}/32`, 'lookup', String(table), 'prio', String(PRIO_FROM_POD)]] : []),
];

export async function wirePod(w: PodWiring): Promise<WiredPod> {
  checkWiring(w);
  if (!existsSync(w.netnsPath)) throw new WireError('CNI_WIRE_NETNS_NOT_FOUND', `network namespace ${w.netnsPath} does not exist`);
  const wired: WiredPod = { ...w, hostMac: randomMac(), containerMac: randomMac() };
  // Starting a process costs more than the kernel work, so as few as possible: the node side
  // creates the pair with its container end already in the pod netns, then configures the pod side
  // through `ip netns exec` from the same batch (a named netns, as runtimes make them); otherwise a
  // second `ip` in the pod netns.
  const inPod = podLines(wired);
  const done = await nodeSide(wired, inPod, true);
  if (!done) {
    try {
      await ipBatch(inPod, { netns: w.netnsPath });
    } catch (err) {
      // We created this veth moments ago, so removing it by name is safe; the first error is the one to report.
      await undo(wired);
      throw new WireError('CNI_WIRE_KERNEL', `wiring ${w.ifName} in ${w.netnsPath}: ${(err as Error).message}`, { cause: err });
    }
  }
  answerGatewayArp(wired.hostVeth);
  return wired;
}

/**
 * The host veth answers ARP for the pod's gateway 169.254.1.1 (proxy ARP: the node routes that
 * address elsewhere), so a pod whose permanent neighbour entry is flushed keeps its gateway. The
 * kernel flushes a device's neighbours whenever its MAC is set, even to the same value, and
 * podman's `--mac-address` and `network reload` have tuning, chained after vpcwire, set it
 * (issue 9: the container was cut off). The neighbour entry stays the primary path: no ARP at all.
 * Best effort: a read-only /proc/sys leaves the pod as it was before this fallback existed.
 */
function answerGatewayArp(hostVeth: string): void {
  try {
    writeFileSync(`/proc/sys/net/ipv4/conf/${hostVeth}/proxy_arp`, '1');
  } catch {
    // Without it the pod still has its permanent neighbour; only a MAC change would cut it off.
  }
}

/**
 * The pod side (DESIGN.md §2): lo and the interface up, the /32, the link-local gateway, its
 * permanent neighbour. Names always follow `dev`/`name`: ip reads a bare word as a keyword when it
 * is a prefix of one (an interface called "d" or "help" would be taken for `dev` or `help`).
 */
const podLines = (w: WiredPod): IpCommand[] => [
  ['link', 'set', 'dev', 'lo', 'up'],
  ['link', 'set', 'dev', w.ifName, 'up'],
  ['addr', 'add', `${w.podIp}/32`, 'dev', w.ifName],
  ['route', 'add', POD_GATEWAY, 'dev', w.ifName, 'scope', 'link'],
  ['route', 'add', 'default', 'via', POD_GATEWAY, 'dev', w.ifName],
  ['neigh', 'replace', POD_GATEWAY, 'lladdr', w.hostMac, 'dev', w.ifName, 'nud', 'permanent'],
];

function tempBatchFile(): { dir: string; path: string } | undefined {
  try {
    const dir = mkdtempSync(`${process.env.TMPDIR || '/tmp'}/vpcwire-`);
    return { dir, path: `${dir}/pod.batch` };
  } catch {
    return undefined;
  }
}

const undo = (w: WiredPod): Promise<unknown> => Promise.allSettled([deleteLink(w.hostVeth), removePodRules(w.podIp)]);

/**
 * The node side in one batch: the veth pair (its container end created in the pod netns), the
 * host end up, the /32 route to the pod and its rules, and, for a named pod netns, the pod side as
 * a nested batch (`netns exec NAME ip -batch FILE`: Node's stdio pipes are socketpairs, which a
 * child cannot reopen through /dev/fd, so the nested batch is a file in a private temp dir). ip stops at the first failing line, so nothing runs after a failed
 * creation (the rules of a pod that owns this address stay intact). Rules a leaked pod left for
 * this address make `rule add` fail: they are cleared and added again. True when the pod side was
 * done here too.
 */
async function nodeSide(w: WiredPod, inPod: readonly IpCommand[], retry: boolean): Promise<boolean> {
  const rules = ruleLines(w.podIp, w.routeTable);
  // The nested batch needs a named netns and pod lines a batch file can hold (a '#' in the
  // interface name cannot be written in one: then the pod side runs as a second `ip`).
  const podBatch = inPod.map(batchLine);
  const nestable = netnsName(w.netnsPath) !== undefined && podBatch.every((l) => l !== undefined);
  // 0700 and a random name: root runs what the file says, so nobody else may write or guess it.
  // No temp dir (a full or read-only /tmp): the pod side runs as a second `ip` instead.
  const file = nestable ? tempBatchFile() : undefined;
  const name = file ? netnsName(w.netnsPath) : undefined;
  const cmds: IpCommand[] = [
    ['link', 'add', 'name', w.hostVeth, 'address', w.hostMac, 'mtu', String(w.mtu), 'type', 'veth',
      'peer', 'name', w.ifName, 'address', w.containerMac, 'mtu', String(w.mtu), 'netns', w.netnsPath],
    ['link', 'set', 'dev', w.hostVeth, 'up'],
    ['route', 'replace', `${w.podIp}/32`, 'dev', w.hostVeth, 'scope', 'link'],
    ...rules,
    ...(name && file ? [['netns', 'exec', name, ipBin(), '-batch', file.path]] : []),
  ];
  let r;
  try {
    if (file) writeFileSync(file.path, `${podBatch.join('\n')}\n`, { mode: 0o600 });
    r = await ipBatch(cmds, { report: true });
  } catch (e) {
    throw new WireError('CNI_WIRE_KERNEL', `node side of ${w.hostVeth}: ${(e as Error).message}`, { cause: e });
  } finally {
    if (file) rmSync(file.dir, { recursive: true, force: true });
  }
  const [failedLine, msg] = [...r.failed][0] ?? [];
  if (failedLine === undefined) return name !== undefined;
  if (failedLine === 1) {
    if (!/File exists/.test(msg!)) throw new WireError('CNI_WIRE_KERNEL', `creating veth ${w.hostVeth}/${w.ifName}: ${msg}`);
    await replaceStaleHostVeth(w, retry);
    return nodeSide(w, inPod, false);
  }
  try {
    if (name && failedLine === cmds.length) {
      // The nested batch names its own failing line: "<kernel's answer>; Command failed FILE:N".
      const m = /^(.*?);? ?Command failed \S+:(\d+)/.exec(msg!);
      const line = m ? inPod[Number(m[2]) - 1] : undefined;
      throw new Error(`pod side in ${w.netnsPath}: ${line ? `"${showCommand(line)}": ${m![1]}` : msg}`);
    }
    if (failedLine <= 3 || !/File exists/.test(msg!)) throw new Error(`"${showCommand(cmds[failedLine - 1]!)}": ${msg}`);
    await removePodRules(w.podIp);
    await ipBatch(rules);
    return false; // the pod side has not run yet
  } catch (e) {
    await undo(w);
    throw new WireError('CNI_WIRE_KERNEL', `node side of ${w.hostVeth}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * "File exists" on creating the pair is ambiguous: the spec's case (CNI_IFNAME already in the pod
 * netns) is an error; a host veth left by an earlier sandbox of the same pod is removed so the
 * pair can be created again, as upstream does.
 */
async function replaceStaleHostVeth(w: WiredPod, retry: boolean): Promise<void> {
  const inPod = await ipBatch([['link', 'show', 'dev', w.ifName]], { netns: w.netnsPath, force: true });
  if (inPod.failed.size === 0) {
    throw new WireError('CNI_WIRE_IFNAME_EXISTS', `interface ${w.ifName} already exists in ${w.netnsPath}`);
  }
  if (!retry) throw new WireError('CNI_WIRE_HOST_VETH_EXISTS', `host interface ${w.hostVeth} exists and could not be replaced`);
  await deleteLink(w.hostVeth).catch((e: Error) => {
    throw new WireError('CNI_WIRE_HOST_VETH_EXISTS', `removing stale ${w.hostVeth}: ${e.message}`);
  });
}

async function deleteLink(name: string, netns?: string): Promise<void> {
  const r = await ipBatch([['link', 'del', 'dev', name]], { force: true, ...(netns ? { netns } : {}) });
  for (const msg of r.failed.values()) {
    if (!isGone(msg)) throw new WireError('CNI_WIRE_KERNEL', `deleting ${name}${netns ? ` in ${netns}` : ''}: ${msg}`);
  }
}

/**
 * DEL's kernel part for the pod's end: deleting the container interface inside the pod's own
 * netns deletes its host peer and, with it, the host route. Nothing is deleted by host name: a
 * newer sandbox of the same pod may already own a veth of that name. A netns that is gone took
 * the whole pair with it.
 */
export async function removePodInterface(netnsPath: string, ifName: string): Promise<void> {
  checkNetnsPath(netnsPath);
  if (!validIfName(ifName)) throw invalid('interface name', ifName);
  if (!existsSync(netnsPath)) return;
  const r = await ipBatch([['link', 'del', 'dev', ifName]], { netns: netnsPath, force: true });
  for (const msg of r.failed.values()) {
    // "Invalid argument"/"not supported": the netns file is no longer a live namespace.
    if (!isGone(msg) && !/Invalid argument|Operation not supported/.test(msg)) {
      throw new WireError('CNI_WIRE_KERNEL', `removing ${ifName} in ${netnsPath}: ${msg}`);
    }
  }
}

/** Removes the pod's two policy rules; missing ones are fine (DEL is idempotent). */
export async function removePodRules(podIp: string): Promise<void> {
  if (!IPV4.test(podIp)) throw invalid('pod IPv4 address', podIp);
  const cmds: IpCommand[] = [
    ['rule', 'del', 'to', `${podIp}/32`, 'prio', String(PRIO_TO_POD)],
    ['rule', 'del', 'from', `${podIp}/32`, 'prio', String(PRIO_FROM_POD)],
  ];
  const r = await ipBatch(cmds, { force: true });
  for (const [line, msg] of r.failed) {
    if (!isGone(msg)) throw new WireError('CNI_WIRE_KERNEL', `tearing down "${showCommand(cmds[line - 1]!)}": ${msg}`);
  }
}

/**
 * GC's kernel part for an address no attachment owns any more: the pod veth that the address's
 * /32 route points at (so only the veth that really carries it, whatever sandbox made it), then
 * the rules. The pod end goes with the host end.
 */
export async function removeStaleAddress(podIp: string, vethPrefix: string): Promise<void> {
  if (!IPV4.test(podIp)) throw invalid('pod IPv4 address', podIp);
  const r = await ipBatch([['route', 'show', 'table', 'main', 'exact', `${podIp}/32`]], { json: true, force: true });
  const routes = (JSON.parse(r.stdout.trim() || '[]') as { dev?: string; scope?: string }[]).filter((x) => x.scope === 'link' && x.dev);
  // Only a pod veth: never an ENI or anything else a /32 may point at.
  for (const route of routes) if (validIfName(route.dev!) && route.dev!.startsWith(vethPrefix)) await deleteLink(route.dev!);
  await removePodRules(podIp);
}

export { checkPod } from './inspect.ts';
