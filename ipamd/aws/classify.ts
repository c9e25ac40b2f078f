import { IpamdError, type IpamdCoreErrorCode } from '../errors.ts';

/** AWS error codes -> ipamd codes, in one table (never by matching messages). */
const BY_AWS_CODE: Readonly<Record<string, IpamdCoreErrorCode>> = {
  RequestLimitExceeded: 'IPAMD_EC2_THROTTLED',
  Throttling: 'IPAMD_EC2_THROTTLED',
  ThrottlingException: 'IPAMD_EC2_THROTTLED',
  InsufficientFreeAddressesInSubnet: 'IPAMD_EC2_SUBNET_FULL',
  InsufficientCidrBlocks: 'IPAMD_EC2_NO_CIDR_BLOCKS',
  AttachmentLimitExceeded: 'IPAMD_EC2_ENI_LIMIT',
  PrivateIpAddressLimitExceeded: 'IPAMD_EC2_IP_LIMIT',
  'InvalidNetworkInterfaceID.NotFound': 'IPAMD_EC2_NOT_FOUND',
  'InvalidAttachmentID.NotFound': 'IPAMD_EC2_NOT_FOUND',
  'InvalidInstanceID.NotFound': 'IPAMD_EC2_NOT_FOUND',
  IncorrectState: 'IPAMD_EC2_INCORRECT_STATE',
  'InvalidNetworkInterface.InUse': 'IPAMD_EC2_INCORRECT_STATE',
  AuthFailure: 'IPAMD_EC2_AUTH',
  UnauthorizedOperation: 'IPAMD_EC2_AUTH',
  RequestExpired: 'IPAMD_EC2_AUTH',
  InternalError: 'IPAMD_EC2_UNAVAILABLE',
  InternalFailure: 'IPAMD_EC2_UNAVAILABLE',
  Unavailable: 'IPAMD_EC2_UNAVAILABLE',
  ServiceUnavailable: 'IPAMD_EC2_UNAVAILABLE',
};

interface SdkErrorLike {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Turns whatever the SDK threw into an IpamdError with a stable code, keeping the AWS code. */
export function classifyAwsError(action: string, err: unknown): IpamdError {
  if (err instanceof IpamdError) return err;
  const e = (err ?? {}) as SdkErrorLike;
  const awsCode = e.Code ?? e.name ?? 'Unknown';
  const status = e.$metadata?.httpStatusCode;
  const code: IpamdCoreErrorCode =
    BY_AWS_CODE[awsCode] ??
    (status !== undefined && status >= 500 ? 'IPAMD_EC2_UNAVAILABLE' : status !== undefined ? 'IPAMD_EC2_BAD_REQUEST' : 'IPAMD_EC2_UNAVAILABLE');
  return new IpamdError(code, `${action}: ${awsCode}: ${e.message ?? String(err)}`, { awsCode, action, cause: err });
}
