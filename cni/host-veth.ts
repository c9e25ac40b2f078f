import { createHash } from 'node:crypto';

/**
 * The host end's name (DESIGN.md §2, as upstream): the prefix plus 11 hex characters of
 * sha1("<namespace>.<podname>"), within Linux's 15-character limit. ipamd computes the same name
 * (ipamd/veth.ts) to tell, after a restart, which pods still exist; a test keeps the two equal.
 * Without Kubernetes pod arguments (another runtime), the container ID and interface stand in.
 */
export function hostVethName(prefix: string, pod: { namespace?: string; name?: string }, containerId: string, ifName: string): string {
  const key = pod.namespace && pod.name ? `${pod.namespace}.${pod.name}` : `${containerId}.${ifName}`;
  return `${prefix}${createHash('sha1').update(key).digest('hex').slice(0, 11)}`;
}
