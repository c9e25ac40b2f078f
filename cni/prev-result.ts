/**
 * A prevResult (CNI spec 1.1 §Section 5 "Success", the runtime's cached result passed to DEL and
 * CHECK, and to ADD when a plugin runs after others): checked against the spec's result types when
 * the configuration is parsed, so a malformed one is error 7 naming the field (issue 9 item 4: an
 * address such as "999.999.999.999/32" was read as a pod address and ended in a stack trace), then
 * read back into what DEL and CHECK need. Results of other plugins in the chain (bandwidth's ifb
 * interface, IPv6 addresses) are valid too; only vpcwire's own entries must describe its wiring.
 */
import { describe, ifNameProblem, IPV4, isIpv6, netnsProblem, parseCidr, type Problem } from '../contract/cni-input.ts';
import { CniError, CODE } from './errors.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isIp = (v: string): boolean => IPV4.test(v) || isIpv6(v);

/** Each entry of a list field: undefined when all are fine, else the first problem with its path. */
function eachOf(o: Obj, key: string, check: (e: Obj, at: string) => Problem): Problem {
  const list = o[key];
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) return `prevResult.${key} must be a list, got ${describe(list)}`;
  for (let i = 0; i < list.length; i++) {
    const at = `prevResult.${key}[${i}]`;
    const e: unknown = list[i];
    if (!isObj(e)) return `${at} must be an object, got ${describe(e)}`;
    const problem = check(e, at);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function optString(e: Obj, key: string, at: string): Problem {
  const v = e[key];
  return v === undefined || typeof v === 'string' ? undefined : `${at}.${key} must be a string, got ${describe(v)}`;
}

function checkInterface(e: Obj, at: string): Problem {
  if (typeof e.name !== 'string') return `${at}.name must be a string, got ${describe(e.name)}`;
  const name = ifNameProblem(e.name);
  if (name !== undefined) return `${at}.name ${name}`;
  if (e.mtu !== undefined && !(isIndex(e.mtu) && e.mtu <= 0x7fffffff)) return `${at}.mtu must be a non-negative integer, got ${describe(e.mtu)}`;
  return optString(e, 'mac', at) ?? optString(e, 'sandbox', at);
}

function checkIp(e: Obj, at: string): Problem {
  if (typeof e.address !== 'string' || parseCidr(e.address) === undefined) {
    return `${at}.address must be an IP address with a prefix length (CIDR), got ${describe(e.address)}`;
  }
  if (e.gateway !== undefined && !(typeof e.gateway === 'string' && isIp(e.gateway))) return `${at}.gateway must be an IP address, got ${describe(e.gateway)}`;
  if (e.interface !== undefined && !isIndex(e.interface)) return `${at}.interface must be an index into interfaces, got ${describe(e.interface)}`;
  return undefined;
}

function checkRoute(e: Obj, at: string): Problem {
  if (typeof e.dst !== 'string' || parseCidr(e.dst) === undefined) return `${at}.dst must be a CIDR, got ${describe(e.dst)}`;
  if (e.gw !== undefined && !(typeof e.gw === 'string' && isIp(e.gw))) return `${at}.gw must be an IP address, got ${describe(e.gw)}`;
  return undefined;
}

/** The spec's result types, for any prevResult: undefined when it is well formed. */
export function checkPrevResult(prev: unknown): Problem {
  if (!isObj(prev)) return `"prevResult" must be an object, got ${describe(prev)}`;
  if (prev.dns !== undefined && !isObj(prev.dns)) return `prevResult.dns must be an object, got ${describe(prev.dns)}`;
  return eachOf(prev, 'interfaces', checkInterface) ?? eachOf(prev, 'ips', checkIp) ?? eachOf(prev, 'routes', checkRoute);
}

/** What DEL and CHECK read from a prevResult; every field may be missing in a foreign result. */
export interface Previous {
  readonly hostVeth?: string;
  readonly hostMac?: string;
  readonly containerMac?: string;
  readonly podIp?: string;
  readonly mtu?: number;
  readonly sandbox?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const badPrev = (msg: string): CniError => new CniError(CODE.INVALID_CONFIG, `invalid network configuration: ${msg}`);

/**
 * Reads our interfaces from a prevResult that passed checkPrevResult: the container one is
 * CNI_IFNAME with a sandbox; the host one has no sandbox. The pod address is the IPv4 on the
 * container interface (or the first IPv4 when ips carry no interface index, as some runtimes'
 * cached results do). The container's sandbox is a netns path here, checked as CNI_NETNS is.
 */
export function readPrevious(prev: Record<string, unknown> | undefined, ifName: string): Previous {
  if (!prev) return {};
  const ifaces = Array.isArray(prev.interfaces) ? (prev.interfaces as Obj[]) : [];
  const cIdx = ifaces.findIndex((i) => i.name === ifName && str(i.sandbox) !== undefined);
  const container = cIdx >= 0 ? ifaces[cIdx] : undefined;
  const host = ifaces.find((i) => str(i.name) && str(i.sandbox) === undefined);
  const ips = Array.isArray(prev.ips) ? (prev.ips as Obj[]) : [];
  const v4 = ips.filter((ip) => parseCidr(String(ip.address))?.family === 4);
  const mine = v4.find((ip) => ip.interface === cIdx) ?? v4.find((ip) => ip.interface === undefined);
  const sandbox = str(container?.sandbox);
  const sandboxProblem = sandbox === undefined ? undefined : netnsProblem(sandbox);
  if (sandboxProblem !== undefined) throw badPrev(`prevResult.interfaces[${cIdx}].sandbox ${sandboxProblem}`);
  const out: Record<string, string | number> = {};
  const set = (k: string, v: string | number | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('hostVeth', str(host?.name));
  set('hostMac', str(host?.mac));
  set('containerMac', str(container?.mac));
  set('podIp', mine ? String(mine.address).split('/')[0] : undefined);
  set('mtu', typeof container?.mtu === 'number' ? container.mtu : undefined);
  set('sandbox', sandbox);
  return out as Previous;
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** CHECK needs the whole of what ADD made; a prevResult without it is a config error (spec §CHECK). */
export function requireForCheck(p: Previous, ifName: string): Required<Omit<Previous, 'mtu'>> & Pick<Previous, 'mtu'> {
  const missing = (['hostVeth', 'hostMac', 'containerMac', 'podIp', 'sandbox'] as const).filter((k) => p[k] === undefined);
  if (missing.length) throw badPrev(`prevResult does not describe vpcwire's ${ifName} (missing ${missing.join(', ')})`);
  for (const k of ['hostMac', 'containerMac'] as const) {
    if (!MAC.test(p[k]!)) throw badPrev(`prevResult's ${k === 'hostMac' ? 'host' : 'container'} interface has MAC ${describe(p[k])}, not an Ethernet MAC`);
  }
  return p as Required<Omit<Previous, 'mtu'>> & Pick<Previous, 'mtu'>;
}
