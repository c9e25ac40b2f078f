/**
 * The allocation API's errors: IpamdError's `IPAMD_API_*` family on the server's side and
 * `IPAMD_CALL_*` on its client's (ipamd/errors.ts; DESIGN.md §8). Handler errors from ipamd's core
 * are mapped to an ApiStatusError by class, in status-map.ts.
 */
import { status } from '@grpc/grpc-js';
import type { StatusName } from '../../contract/plugin-protocol.ts';
import { IpamdError } from '../errors.ts';

/** A refused call's code -> the gRPC status (and plugin protocol code) it answers with. */
const STATUS_OF = {
  /** a field is missing or malformed, or the request is not one; the message names the field */
  IPAMD_API_INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  /** ADD or DEL while ipamd starts or stops (contract/api.ts NOT_SERVING_MESSAGE) */
  IPAMD_API_NOT_SERVING: status.UNAVAILABLE,
  /** no such method */
  IPAMD_API_UNKNOWN_METHOD: status.UNIMPLEMENTED,
  /** the client's API version is not served */
  IPAMD_API_CLIENT_VERSION: status.FAILED_PRECONDITION,
  /** a plugin-protocol request frame over MAX_REQUEST_BYTES */
  IPAMD_API_REQUEST_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  /** the pool has no address now (the message starts with the POOL_EMPTY marker: CNI code 11) */
  IPAMD_API_POOL_EMPTY: status.RESOURCE_EXHAUSTED,
  /** anything else: a failure of ipamd's core or a bug; the message says which */
  IPAMD_API_INTERNAL: status.INTERNAL,
} as const satisfies Record<string, status>;

export type ApiStatusCode = keyof typeof STATUS_OF;

export type ApiErrorCode =
  /** An option of startApiServer or connectIpam is invalid; the message names it. */
  | 'IPAMD_API_INVALID_OPTION'
  /** Another live server answers on the socket path. */
  | 'IPAMD_API_SOCKET_IN_USE'
  /** The socket path is unusable: not absolute, too long, or an existing non-socket file. */
  | 'IPAMD_API_SOCKET_PATH_INVALID'
  | ApiStatusCode;

export class ApiError extends IpamdError {
  declare readonly code: ApiErrorCode;
  constructor(code: ApiErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options?.cause === undefined ? {} : { cause: options.cause });
    this.name = 'ApiError';
  }
}

/** A call that fails: its code decides the status both transports answer with. */
export class ApiStatusError extends ApiError {
  declare readonly code: ApiStatusCode;
  readonly grpcCode: status;
  constructor(code: ApiStatusCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'ApiStatusError';
    this.grpcCode = STATUS_OF[code];
  }
}

export type IpamCallErrorCode = 'IPAMD_CALL_POOL_EMPTY' | `IPAMD_CALL_${StatusName}`;

/**
 * A failed call, as the client sees it. `code` is 'IPAMD_CALL_POOL_EMPTY' for RESOURCE_EXHAUSTED
 * with the "POOL_EMPTY:" marker (the plugin answers CNI error 11), otherwise `IPAMD_CALL_` and the
 * gRPC status name (e.g. IPAMD_CALL_INVALID_ARGUMENT, IPAMD_CALL_UNAVAILABLE, IPAMD_CALL_INTERNAL).
 */
export class IpamCallError extends IpamdError {
  declare readonly code: IpamCallErrorCode;
  /** The numeric gRPC status. */
  readonly grpcCode: number;
  readonly details: string;
  constructor(code: IpamCallErrorCode, grpcCode: number, details: string, method: string) {
    super(code, `${method}: ${code.slice('IPAMD_CALL_'.length)}: ${details}`);
    this.name = 'IpamCallError';
    this.grpcCode = grpcCode;
    this.details = details;
  }
}
