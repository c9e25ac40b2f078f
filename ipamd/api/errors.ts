/**
 * The allocation API's errors, with stable string codes (DESIGN.md §8). Handler errors coming from
 * ipamd's core are not this class: the server maps them by their `code` (status-map.ts).
 */
export type ApiErrorCode =
  /** An option of startApiServer or connectIpam is invalid; the message names it. */
  | 'INVALID_OPTION'
  /** Another live server answers on the socket path. */
  | 'SOCKET_IN_USE'
  /** The socket path is unusable: not absolute, too long, or an existing non-socket file. */
  | 'SOCKET_PATH_INVALID';

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  constructor(code: ApiErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ApiError';
    this.code = code;
  }
}

/**
 * A failed call, as the client sees it. `code` is 'POOL_EMPTY' for RESOURCE_EXHAUSTED with the
 * "POOL_EMPTY:" marker (the plugin answers CNI error 11), otherwise the gRPC status name
 * (e.g. 'INVALID_ARGUMENT', 'FAILED_PRECONDITION', 'UNAVAILABLE', 'INTERNAL').
 */
export class IpamCallError extends Error {
  readonly code: string;
  /** The numeric gRPC status. */
  readonly grpcCode: number;
  readonly details: string;
  constructor(code: string, grpcCode: number, details: string, method: string) {
    super(`${method}: ${code}: ${details}`);
    this.name = 'IpamCallError';
    this.code = code;
    this.grpcCode = grpcCode;
    this.details = details;
  }
}
