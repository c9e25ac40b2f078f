/**
 * How ipamd's answers become CNI errors (DESIGN.md §5): a momentarily empty pool, and an ipamd that
 * is starting, stopping or too slow, are "try again later" (code 11), so the runtime retries the
 * sandbox instead of failing the pod; anything else ipamd says is passed on with its reason.
 */
import { CniError, CODE } from '../errors.ts';
import { isIpamError } from '../ports.ts';

export function fromIpam(e: unknown, what: string, socket: string): CniError {
  if (e instanceof CniError) return e;
  if (!isIpamError(e)) return new CniError(CODE.IPAM_FAILED, `${what}: ${(e as Error)?.message ?? String(e)}`, '', { cause: e });
  switch (e.code) {
    case 'CNI_IPAM_POOL_EMPTY':
      return new CniError(CODE.TRY_AGAIN_LATER, `${what}: no free VPC address on this node right now; ipamd is adding more`, e.message);
    case 'CNI_IPAM_UNAVAILABLE':
      return new CniError(CODE.TRY_AGAIN_LATER, `${what}: ipamd is not serving on ${socket}`, e.message);
    case 'CNI_IPAM_DEADLINE_EXCEEDED':
      return new CniError(CODE.TRY_AGAIN_LATER, `${what}: ipamd on ${socket} did not answer in time`, e.message);
    default:
      return new CniError(CODE.IPAM_FAILED, `${what}: ipamd answered ${e.status}: ${e.message}`);
  }
}
