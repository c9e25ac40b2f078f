/** The kernel half's errors: PluginError's CNI_WIRE_* family, which the verbs map to CNI codes (DESIGN.md §8). */
import { PluginError } from '../errors.ts';

export type WireErrorCode =
  | 'CNI_WIRE_IFNAME_EXISTS'
  | 'CNI_WIRE_NETNS_NOT_FOUND'
  | 'CNI_WIRE_HOST_VETH_EXISTS'
  | 'CNI_WIRE_KERNEL'
  | 'CNI_WIRE_INVALID';

export class WireError extends PluginError {
  declare readonly code: WireErrorCode;
  constructor(code: WireErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'WireError';
  }
}
