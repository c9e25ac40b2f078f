/**
 * ipamd's one error family (DESIGN.md §8; issue 10 item 5): every error ipamd throws on purpose is
 * an IpamdError, and its `code` is a stable string callers switch on (never the message). Codes are
 * prefixed by process and family as undici's `UND_ERR_*` are, so no two mean different things:
 * `IPAMD_<CODE>` for the daemon's core (EC2, IMDS, configuration, the host network),
 * `IPAMD_DATASTORE_*` (datastore/errors.ts), `IPAMD_API_*` (api/errors.ts, the server's side) and
 * `IPAMD_CALL_*` (api/errors.ts, what the API's client sees). Each subclass narrows `code` to its
 * own union. The README's "Errors" table lists them all.
 */
import type { DatastoreErrorCode } from './datastore/errors.ts';
import type { ApiErrorCode, IpamCallErrorCode } from './api/errors.ts';

/** The daemon core's codes; AWS errors are classified into them once, in the EC2 adapter. */
export type IpamdCoreErrorCode =
  | 'IPAMD_CONFIG_INVALID'
  | 'IPAMD_EC2_THROTTLED'
  | 'IPAMD_EC2_UNAVAILABLE'
  | 'IPAMD_EC2_AUTH'
  | 'IPAMD_EC2_NOT_FOUND'
  | 'IPAMD_EC2_INCORRECT_STATE'
  | 'IPAMD_EC2_BAD_REQUEST'
  | 'IPAMD_EC2_SUBNET_FULL'
  | 'IPAMD_EC2_NO_CIDR_BLOCKS'
  | 'IPAMD_EC2_ENI_LIMIT'
  | 'IPAMD_EC2_IP_LIMIT'
  | 'IPAMD_IMDS_UNAVAILABLE'
  | 'IPAMD_IMDS_INCONSISTENT'
  | 'IPAMD_PLACEMENT_UNAVAILABLE'
  | 'IPAMD_HISTORY_BAD_QUERY'
  | 'IPAMD_KUBE_UNAVAILABLE'
  | 'IPAMD_KUBE_FORBIDDEN'
  | 'IPAMD_TIMEOUT'
  | 'IPAMD_INTERNAL';

/** Every code of the family. */
export type IpamdErrorCode = IpamdCoreErrorCode | DatastoreErrorCode | ApiErrorCode | IpamCallErrorCode;

export class IpamdError extends Error {
  readonly code: IpamdErrorCode;
  /** The AWS error code behind it, when there is one (for logs and metrics). */
  readonly awsCode: string | undefined;
  /** The AWS API action that failed (e.g. CreateNetworkInterface), when there is one. */
  readonly action: string | undefined;
  constructor(code: IpamdErrorCode, message: string, opts: { awsCode?: string; action?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'IpamdError';
    this.code = code;
    this.awsCode = opts.awsCode;
    this.action = opts.action;
  }
}

export const isIpamdError = (e: unknown, code?: IpamdErrorCode): e is IpamdError =>
  e instanceof IpamdError && (code === undefined || e.code === code);
