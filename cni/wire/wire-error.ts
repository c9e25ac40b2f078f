/** The kernel half's one error type, with a stable code the verbs map to CNI codes (DESIGN.md §8). */
export type WireErrorCode = 'IFNAME_EXISTS' | 'NETNS_NOT_FOUND' | 'HOST_VETH_EXISTS' | 'KERNEL' | 'INVALID';

export class WireError extends Error {
  readonly code: WireErrorCode;
  constructor(code: WireErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WireError';
    this.code = code;
  }
}
