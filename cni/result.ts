/**
 * The ADD result (spec §Section 5 "Success"): the host and container interfaces, each with its
 * MAC (podman refuses results without one, DESIGN.md §5), the pod's /32 with the link-local
 * gateway, and its default route; built in 1.1.0 form and converted down for older runtimes.
 * A prevResult is read back by prev-result.ts.
 */
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
