/**
 * The data plane's one error family. It is not an AwsError: these failures are the emulator
 * host's (missing privileges, kernel refusing a command, a caller bug), never an EC2 API answer.
 */
export type DataPlaneErrorCode =
  /** not root / no CAP_NET_ADMIN+CAP_SYS_ADMIN / no `ip` */
  | 'UNSUPPORTED'
  /** malformed argument (address, MAC, id, MTU) */
  | 'INVALID_ARGUMENT'
  /** the call contradicts the current state (unknown node, device index taken, ENI on another node) */
  | 'CONFLICT'
  /** an `ip` command failed; `cause` is the IpCommandError with the command and stderr */
  | 'KERNEL'
  /** the data plane was closed */
  | 'CLOSED';

export class DataPlaneError extends Error {
  readonly code: DataPlaneErrorCode;
  constructor(code: DataPlaneErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataPlaneError';
    this.code = code;
  }
}
