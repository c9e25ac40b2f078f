/**
 * What ipamd must tell the cluster's operator, not just its log (issue 11 item 4): each becomes a
 * Warning Event on the Node with Kubernetes (kube/events.ts), and is only logged standalone.
 */
export type NoticeReason =
  /** EC2 refused an action for lack of permission (UnauthorizedOperation): the note names it. */
  | 'MissingIAMPermissions'
  /** The subnet has no free address or /28 left (InsufficientFreeAddressesInSubnet / InsufficientCidrBlocks). */
  | 'SubnetExhausted'
  /** Custom networking: the Node's ENIConfig is missing or invalid; the pool does not grow. */
  | 'ENIConfigUnavailable'
  /** The host network check could not repair something (a route, rule or iptables entry). */
  | 'HostNetworkRepairFailed';

export interface Notices {
  /** `action`: what ipamd was doing (events.k8s.io/v1 action), e.g. 'CreateNetworkInterface'. */
  warn(reason: NoticeReason, note: string, action: string): void;
}

export const noNotices: Notices = { warn: () => undefined };
