/** The link-local next hop every pod routes through; answered by the host veth's MAC (DESIGN.md §2). */
export const POD_GATEWAY = '169.254.1.1';
/** Rule priorities, in one place as in DESIGN.md §2: 512 to-pod, 1536 from-pod. */
export const PRIO_TO_POD = 512;
export const PRIO_FROM_POD = 1536;
