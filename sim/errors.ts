/**
 * The emulator's errors (DESIGN.md §8; issue 10 item 5), in two kinds:
 * - AwsError: an answer of the emulated API, an AWS error code (AWS's own, the API's contract,
 *   e.g. `InvalidParameterValue`) and the HTTP status AWS answers it with. Services render it in
 *   their own protocol's XML (EC2 query vs. STS/awsQuery shapes differ).
 * - SimError: everything else the emulator throws (its host's data plane, a topology file, a
 *   token, an admin request), with a stable code prefixed `SIM_` by family as undici's are
 *   `UND_ERR_*`: `SIM_DATAPLANE_*`, `SIM_TOPOLOGY_*`, `SIM_TOKEN_*`, `SIM_ADMIN_*`. Each subclass
 *   narrows `code` to its own union. The README's "Errors" table lists them.
 */
import type { DataPlaneErrorCode, IpCommandErrorCode } from './dataplane/errors.ts';

export type SimErrorCode =
  | DataPlaneErrorCode
  | IpCommandErrorCode
  /** a topology file is unreadable or invalid; the message names the field */
  | 'SIM_TOPOLOGY_INVALID'
  /** a web-identity token was refused; TokenVerificationError's reason says why */
  | 'SIM_TOKEN_REJECTED'
  /** an admin endpoint request is malformed (HTTP 400) */
  | 'SIM_ADMIN_BAD_REQUEST';

export class SimError extends Error {
  readonly code: SimErrorCode;
  constructor(code: SimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SimError';
    this.code = code;
  }
}

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = status;
  }
}

export const isAwsError = (e: unknown): e is AwsError => e instanceof AwsError;
