/**
 * The ADD result (spec §Section 5 "Success"): the host and container interfaces, each with its
 * MAC (podman refuses results without one, DESIGN.md §5), the pod's /32 with the link-local
 * gateway, and its default route; built in 1.1.0 form and converted down for older runtimes.
 * Also reads a prevResult of any supported version back into what DEL and CHECK need.
 */
import { CniError, CODE } from './errors.ts';
import { compareSpec } from './version.ts';

export interface Wiring {
  readonly hostVeth: string;
  readonly hostMac: string;
  readonly ifName: string;
  readonly containerMac: string;
  readonly netns: string;
  readonly podIp: string;
  readonly mtu: number;
  readonly gateway: string;
}

interface Iface {
  name: string;
  mac: string;
  mtu?: number;
  sandbox?: string;
}

/** The result in `cniVersion`'s shape: 1.1.0 adds interface `mtu`; before 1.0.0 ips carry "version". */
export function buildResult(w: Wiring, cniVersion: string): Record<string, unknown> {
  const v11 = compareSpec(cniVersion, '1.1.0') >= 0;
  const pre1 = compareSpec(cniVersion, '1.0.0') < 0;
  const interfaces: Iface[] = [
    { name: w.hostVeth, mac: w.hostMac, ...(v11 ? { mtu: w.mtu } : {}) },
    { name: w.ifName, mac: w.containerMac, ...(v11 ? { mtu: w.mtu } : {}), sandbox: w.netns },
  ];
  return {
    cniVersion,
    interfaces,
    ips: [{ ...(pre1 ? { version: '4' } : {}), address: `${w.podIp}/32`, gateway: w.gateway, interface: 1 }],
    routes: [{ dst: '0.0.0.0/0', gw: w.gateway }],
    dns: {},
  };
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

/**
 * Reads our interfaces from prevResult: the container one is CNI_IFNAME with a sandbox; the host
 * one has no sandbox. The pod address is the IPv4 /32 on the container interface (or the first
 * IPv4 when ips carry no interface index, as some runtimes' cached results do).
 */
export function readPrevious(prev: Record<string, unknown> | undefined, ifName: string): Previous {
  if (!prev) return {};
  const ifaces = Array.isArray(prev.interfaces) ? (prev.interfaces as Record<string, unknown>[]) : [];
  const cIdx = ifaces.findIndex((i) => i && i.name === ifName && str(i.sandbox) !== undefined);
  const container = cIdx >= 0 ? ifaces[cIdx] : undefined;
  const host = ifaces.find((i) => i && str(i.name) && str(i.sandbox) === undefined);
  const ips = Array.isArray(prev.ips) ? (prev.ips as Record<string, unknown>[]) : [];
  const v4 = ips.filter((ip) => ip && typeof ip.address === 'string' && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(ip.address));
  const mine = v4.find((ip) => ip.interface === cIdx) ?? v4.find((ip) => ip.interface === undefined);
  const mtu = typeof container?.mtu === 'number' ? container.mtu : undefined;
  const out: Record<string, string | number> = {};
  const set = (k: string, v: string | number | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('hostVeth', str(host?.name));
  set('hostMac', str(host?.mac));
  set('containerMac', str(container?.mac));
  set('podIp', mine ? (mine.address as string).split('/')[0] : undefined);
  set('mtu', mtu);
  set('sandbox', str(container?.sandbox));
  return out as Previous;
}

/** CHECK needs the whole of what ADD made; a prevResult without it is a config error (spec §CHECK). */
export function requireForCheck(p: Previous, ifName: string): Required<Omit<Previous, 'mtu'>> & Pick<Previous, 'mtu'> {
  const missing = (['hostVeth', 'hostMac', 'containerMac', 'podIp', 'sandbox'] as const).filter((k) => p[k] === undefined);
  if (missing.length) {
    throw new CniError(
      CODE.INVALID_CONFIG,
      `invalid network configuration: prevResult does not describe vpcwire's ${ifName} (missing ${missing.join(', ')})`,
    );
  }
  return p as Required<Omit<Previous, 'mtu'>> & Pick<Previous, 'mtu'>;
}
