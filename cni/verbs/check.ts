/**
 * CHECK (CNI spec §CHECK): the kernel compared with prevResult (links, address, routes,
 * neighbour, rules), and ipamd asked whether it still holds this address for this container (an
 * IP reservation and the daemon the pod depends on, which the spec says CHECK must cover).
 */
import type { NetConf } from '../config.ts';
import type { CniEnv } from '../env.ts';
import { CniError, CODE } from '../errors.ts';
import type { IpamPort } from '../ports.ts';
import { readPrevious, requireForCheck } from '../prev-result.ts';
import { checkPod, WireError } from '../wire/pod.ts';
import { compareSpec } from '../version.ts';
import { fromIpam } from './ipam-errors.ts';
import type { Phases } from './phases.ts';

export async function cmdCheck(env: CniEnv, conf: NetConf, ipam: IpamPort, phases: Phases): Promise<void> {
  if (compareSpec(conf.cniVersion, '0.4.0') < 0) {
    throw new CniError(CODE.INCOMPATIBLE_VERSION, `CHECK needs cniVersion 0.4.0 or later, got ${conf.cniVersion}`);
  }
  if (!conf.prevResult) throw new CniError(CODE.INVALID_CONFIG, 'invalid network configuration: CHECK needs "prevResult"');
  const prev = requireForCheck(readPrevious(conf.prevResult, env.ifName), env.ifName);
  const held = await ipam.list().catch((e: unknown) => {
    throw fromIpam(e, 'checking the address reservation', conf.socket);
  });
  phases.mark('ipam');
  const mine = held.find((a) => a.networkName === conf.name && a.containerId === env.containerId && a.ifName === env.ifName);
  const drift: string[] = [];
  if (!mine) drift.push(`ipamd: no address is held for ${conf.name}/${env.containerId}/${env.ifName}`);
  else if (mine.ipv4Address !== prev.podIp) drift.push(`ipamd: ${env.containerId} holds ${mine.ipv4Address}, prevResult says ${prev.podIp}`);
  drift.push(
    ...(await checkPod({
      netnsPath: env.netns,
      ifName: env.ifName,
      hostVeth: prev.hostVeth,
      hostMac: prev.hostMac,
      containerMac: prev.containerMac,
      podIp: prev.podIp,
      mtu: prev.mtu,
      routeTable: mine?.routeTable ?? 0,
    }).catch((e: Error) => {
      // A value prevResult gave that cannot be what ADD made is the configuration's fault; anything
      // else is the kernel that could not be read.
      if (e instanceof WireError && e.code === 'CNI_WIRE_INVALID') throw new CniError(CODE.INVALID_CONFIG, `invalid network configuration: ${e.message}`);
      throw new CniError(CODE.IO_FAILURE, `reading ${env.ifName}'s wiring from the kernel: ${e.message}`);
    })),
  );
  phases.mark('kernel');
  if (drift.length) throw new CniError(CODE.CHECK_FAILED, `${env.ifName} of ${env.containerId} is not as ADD left it: ${drift[0]}`, drift.join('\n'));
}
