/** The link-local next hop every pod routes through; answered by the host veth's MAC (DESIGN.md §2). */
export const POD_GATEWAY = '169.254.1.1';
/** Rule priorities, in one place as in DESIGN.md §2: 512 to-pod, 1536 from-pod. */
export const PRIO_TO_POD = 512;
export const PRIO_FROM_POD = 1536;

/** Names and addresses are checked against the CNI input contract before they reach `ip`. */
export { IPV4 } from '../../contract/cni-input.ts';
import { ifNameProblem } from '../../contract/cni-input.ts';
/** A Linux interface name as the kernel and ipamd accept it (contract/cni-input.ts). */
export const validIfName = (s: string): boolean => ifNameProblem(s) === undefined;
export const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
