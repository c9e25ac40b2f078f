/** The link-local next hop every pod routes through; answered by the host veth's MAC (DESIGN.md §2). */
export const POD_GATEWAY = '169.254.1.1';
/** Rule priorities, in one place as in DESIGN.md §2: 512 to-pod, 1536 from-pod. */
export const PRIO_TO_POD = 512;
export const PRIO_FROM_POD = 1536;

/** Values that reach an `ip` batch line are matched against these first (no injection through a line). */
export const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
/** Linux interface names (CNI spec: 1-15 characters, no '/', ':' or whitespace). */
export const IFNAME = /^[^\s/:]{1,15}$/;
export const validIfName = (s: string): boolean => IFNAME.test(s) && s !== '.' && s !== '..';
export const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
