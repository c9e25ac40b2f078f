/**
 * ipamd's one error family. Codes are stable strings that callers switch on (never the message);
 * AWS errors are classified into them once, in the EC2 adapter.
 */
export type IpamdErrorCode =
  | 'CONFIG_INVALID'
  | 'EC2_THROTTLED'
  | 'EC2_UNAVAILABLE'
  | 'EC2_AUTH'
  | 'EC2_NOT_FOUND'
  | 'EC2_INCORRECT_STATE'
  | 'EC2_BAD_REQUEST'
  | 'SUBNET_FULL'
  | 'NO_CIDR_BLOCKS'
  | 'ENI_LIMIT'
  | 'IP_LIMIT'
  | 'IMDS_UNAVAILABLE'
  | 'IMDS_INCONSISTENT'
  | 'TIMEOUT'
  | 'INTERNAL';

export class IpamdError extends Error {
  readonly code: IpamdErrorCode;
  /** The AWS error code behind it, when there is one (for logs and metrics). */
  readonly awsCode: string | undefined;
  constructor(code: IpamdErrorCode, message: string, opts: { awsCode?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'IpamdError';
    this.code = code;
    this.awsCode = opts.awsCode;
  }
}

export const isIpamdError = (e: unknown, code?: IpamdErrorCode): e is IpamdError =>
  e instanceof IpamdError && (code === undefined || e.code === code);
