/**
 * The data plane's errors: SimError's SIM_DATAPLANE_* family (sim/errors.ts). Not AwsErrors: these
 * failures are the emulator host's (missing privileges, kernel refusing a command, a caller bug),
 * never an EC2 API answer.
 */
import { SimError } from '../errors.ts';

export type DataPlaneErrorCode =
  /** not root / no CAP_NET_ADMIN+CAP_SYS_ADMIN / no `ip` */
  | 'SIM_DATAPLANE_UNSUPPORTED'
  /** malformed argument (address, MAC, id, MTU) */
  | 'SIM_DATAPLANE_INVALID_ARGUMENT'
  /** the call contradicts the current state (unknown node, device index taken, ENI on another node) */
  | 'SIM_DATAPLANE_CONFLICT'
  /** an `ip` command failed; `cause` is the IpCommandError with the command and stderr */
  | 'SIM_DATAPLANE_KERNEL'
  /** the data plane was closed */
  | 'SIM_DATAPLANE_CLOSED';

/** IpCommandError's (dataplane/ip.ts): one `ip` command failed; DataPlaneError KERNEL wraps it. */
export type IpCommandErrorCode = 'SIM_DATAPLANE_IP_COMMAND_FAILED';

export class DataPlaneError extends SimError {
  declare readonly code: DataPlaneErrorCode;
  constructor(code: DataPlaneErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DataPlaneError';
  }
}
