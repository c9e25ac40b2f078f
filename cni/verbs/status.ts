/**
 * STATUS (CNI spec 1.1 §STATUS): success when an ADD now would get an address. Code 50 (cannot
 * service ADD) when ipamd is not serving or has no address and cannot get more; 51 (existing
 * containers may have limited connectivity too) when ipamd reports its host networking broken
 * (ENI routes or SNAT rules it could not repair), which affects running pods as well.
 */
import type { NetConf } from '../config.ts';
import { CniError, CODE } from '../errors.ts';
import { isIpamError, type IpamPort } from '../ports.ts';
import { compareSpec } from '../version.ts';

export async function cmdStatus(conf: NetConf, ipam: IpamPort): Promise<void> {
  if (compareSpec(conf.cniVersion, '1.1.0') < 0) {
    throw new CniError(CODE.INCOMPATIBLE_VERSION, `STATUS needs cniVersion 1.1.0 or later, got ${conf.cniVersion}`);
  }
  let s;
  try {
    s = await ipam.poolState();
  } catch (e) {
    const why = isIpamError(e) ? `${e.status}: ${e.message}` : String(e);
    throw new CniError(CODE.NOT_AVAILABLE, `vpcwire cannot add pods: ipamd is unreachable on ${conf.socket}`, why);
  }
  if (s.hostNetworkProblem) {
    throw new CniError(CODE.NOT_AVAILABLE_LIMITED, `vpcwire host networking is broken: ${s.hostNetworkProblem}`);
  }
  if (!s.serving) throw new CniError(CODE.NOT_AVAILABLE, 'vpcwire cannot add pods: ipamd is still starting or is stopping');
  if (s.freeAddresses === 0 && !s.canGrow) {
    throw new CniError(CODE.NOT_AVAILABLE, `vpcwire cannot add pods: no free address and the pool cannot grow (${s.reason || 'no reason given'})`);
  }
}
