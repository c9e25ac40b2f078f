/**
 * The plugin's one error family (DESIGN.md §8; issue 10 item 5): every error the plugin throws on
 * purpose is a PluginError whose `code` is a stable string prefixed `CNI_`, as undici's are
 * `UND_ERR_*`: `CNI_<answer>` for CniError (the answer printed, beside its numeric CNI code),
 * `CNI_IPAM_*` for the ipamd client (ipam/client.ts), `CNI_WIRE_*` for the kernel half
 * (wire/wire-error.ts, wire/ip-batch.ts). Each subclass narrows `code` to its own union; the verbs
 * turn the others into a CniError. The README's "Errors" table lists them all.
 *
 * CniError carries a CNI error code from the spec's table ("Error" section, CNI 1.1) or vpcwire's
 * own range (100+), a message naming what is wrong, and optional details. main.ts prints it as the
 * spec's error JSON on stdout and exits non-zero. Messages and details are bounded when printed
 * (issue 9 item 4: an error that echoed a huge input was larger than a pipe holds); they never
 * carry stack traces.
 */
import { cut } from '../contract/cni-input.ts';
import type { IpamErrorCode } from './ipam/client.ts';
import type { IpBatchErrorCode } from './wire/ip-batch.ts';
import type { WireErrorCode } from './wire/wire-error.ts';

/** Bounds of what an error prints: a whole answer stays far below a pipe's 64 KiB. */
export const MAX_MSG_CHARS = 1024;
export const MAX_DETAILS_CHARS = 4096;

/** Well-known codes (CNI 1.1 §Error) and vpcwire's own (plugins may use 100 and above). */
export const CODE = {
  INCOMPATIBLE_VERSION: 1,
  UNSUPPORTED_FIELD: 2,
  UNKNOWN_CONTAINER: 3,
  INVALID_ENV: 4,
  IO_FAILURE: 5,
  DECODE_FAILURE: 6,
  INVALID_CONFIG: 7,
  TRY_AGAIN_LATER: 11,
  /** STATUS: cannot service ADD requests. */
  NOT_AVAILABLE: 50,
  /** STATUS: not available, and existing containers may have limited connectivity. */
  NOT_AVAILABLE_LIMITED: 51,
  /** ipamd answered with an error that is not one of the above. */
  IPAM_FAILED: 100,
  /** The kernel refused part of the wiring (already undone). */
  WIRING_FAILED: 101,
  /** CNI_IFNAME already exists in the container's netns (spec, ADD). */
  INTERFACE_EXISTS: 102,
  /** CHECK found the kernel differing from prevResult. */
  CHECK_FAILED: 103,
  /** GC could not release every stale allocation. */
  GC_INCOMPLETE: 104,
} as const;

export type CniCode = (typeof CODE)[keyof typeof CODE];
/** CniError's string codes: `CNI_` and the name of its numeric code in CODE (CNI_TRY_AGAIN_LATER is 11). */
export type CniErrorCode = `CNI_${keyof typeof CODE}`;

export type PluginErrorCode = CniErrorCode | IpamErrorCode | WireErrorCode | IpBatchErrorCode;

export class PluginError extends Error {
  readonly code: PluginErrorCode;
  constructor(code: PluginErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PluginError';
    this.code = code;
  }
}

const NAME_OF = new Map<number, keyof typeof CODE>(Object.entries(CODE).map(([k, v]) => [v, k as keyof typeof CODE]));

/** The plugin's answer: printed as the spec's error JSON with its numeric `cniCode`. */
export class CniError extends PluginError {
  declare readonly code: CniErrorCode;
  /** The numeric code the spec's error JSON carries. */
  readonly cniCode: CniCode;
  readonly details: string;
  constructor(cniCode: CniCode, msg: string, details = '', options?: { cause?: unknown }) {
    super(`CNI_${NAME_OF.get(cniCode)!}`, msg, options);
    this.name = 'CniError';
    this.cniCode = cniCode;
    this.details = details;
  }

  /** The spec's error object: {"cniVersion", "code", "msg", "details"}. */
  toJSON(cniVersion: string): Record<string, unknown> {
    const details = this.details ? cut(this.details, MAX_DETAILS_CHARS) : '';
    return { cniVersion, code: this.cniCode, msg: cut(this.message, MAX_MSG_CHARS), ...(details ? { details } : {}) };
  }
}
