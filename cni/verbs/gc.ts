/**
 * GC (CNI spec 1.1 §GC): every address ipamd holds for this network whose attachment is not in the
 * runtime's list of valid ones is given back, with whatever it left on the node (its veth, found by
 * the address's route, and its rules). It goes on past failures and reports them all at the end.
 */
import type { NetConf } from '../config.ts';
import type { CniEnv } from '../env.ts';
import { CniError, CODE } from '../errors.ts';
import { isIpamError, type IpamPort } from '../ports.ts';
import { removeStaleAddress } from '../wire/pod.ts';
import { compareSpec } from '../version.ts';
import { fromIpam } from './ipam-errors.ts';
import type { Phases } from './phases.ts';

export async function cmdGc(_env: CniEnv, conf: NetConf, ipam: IpamPort, phases: Phases): Promise<{ released: string[] }> {
  if (compareSpec(conf.cniVersion, '1.1.0') < 0) {
    throw new CniError(CODE.INCOMPATIBLE_VERSION, `GC needs cniVersion 1.1.0 or later, got ${conf.cniVersion}`);
  }
  if (!conf.validAttachments) {
    throw new CniError(CODE.INVALID_CONFIG, 'invalid network configuration: GC needs "cni.dev/valid-attachments"');
  }
  const valid = new Set(conf.validAttachments.map((a) => `${a.containerId}\n${a.ifName}`));
  const held = await ipam.list().catch((e: unknown) => {
    throw fromIpam(e, 'listing allocations for GC', conf.socket);
  });
  phases.mark('ipam');
  const stale = held.filter((a) => a.networkName === conf.name && !valid.has(`${a.containerId}\n${a.ifName}`));
  const failures: string[] = [];
  const released: string[] = [];
  for (const a of stale) {
    const what = `${a.containerId}/${a.ifName} (${a.ipv4Address})`;
    try {
      const r = await ipam.del({ networkName: a.networkName, containerId: a.containerId, ifName: a.ifName }, 'cni-gc');
      if (r.released && r.ipv4Address) await removeStaleAddress(r.ipv4Address, conf.vethPrefix);
      released.push(a.ipv4Address);
    } catch (e) {
      failures.push(`${what}: ${isIpamError(e) ? fromIpam(e, 'release', conf.socket).message : (e as Error).message}`);
    }
  }
  phases.mark('released');
  if (failures.length) {
    throw new CniError(CODE.GC_INCOMPLETE, `GC released ${released.length} of ${stale.length} stale allocations`, failures.join('\n'));
  }
  return { released };
}
