import { IpamdError, type IpamdErrorCode } from '../errors.ts';

/** AWS error codes -> ipamd codes, in one table (never by matching messages). */
const BY_AWS_CODE: Readonly<Record<string, IpamdErrorCode>> = {
  RequestLimitExceeded: 'EC2_THROTTLED',
  Throttling: 'EC2_THROTTLED',
  ThrottlingException: 'EC2_THROTTLED',
  InsufficientFreeAddressesInSubnet: 'SUBNET_FULL',
  InsufficientCidrBlocks: 'NO_CIDR_BLOCKS',
  AttachmentLimitExceeded: 'ENI_LIMIT',
  PrivateIpAddressLimitExceeded: 'IP_LIMIT',
  'InvalidNetworkInterfaceID.NotFound': 'EC2_NOT_FOUND',
  'InvalidAttachmentID.NotFound': 'EC2_NOT_FOUND',
  'InvalidInstanceID.NotFound': 'EC2_NOT_FOUND',
  IncorrectState: 'EC2_INCORRECT_STATE',
  'InvalidNetworkInterface.InUse': 'EC2_INCORRECT_STATE',
  AuthFailure: 'EC2_AUTH',
  UnauthorizedOperation: 'EC2_AUTH',
  RequestExpired: 'EC2_AUTH',
  InternalError: 'EC2_UNAVAILABLE',
  InternalFailure: 'EC2_UNAVAILABLE',
  Unavailable: 'EC2_UNAVAILABLE',
  ServiceUnavailable: 'EC2_UNAVAILABLE',
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
  const code: IpamdErrorCode =
    BY_AWS_CODE[awsCode] ??
    (status !== undefined && status >= 500 ? 'EC2_UNAVAILABLE' : status !== undefined ? 'EC2_BAD_REQUEST' : 'EC2_UNAVAILABLE');
  return new IpamdError(code, `${action}: ${awsCode}: ${e.message ?? String(err)}`, { awsCode, cause: err });
}
