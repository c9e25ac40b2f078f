import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The host-side veth name of a pod (DESIGN.md §2, as upstream): the prefix plus 11 hex characters
 * of sha1("<namespace>.<podname>"), within Linux's 15-character limit. ipamd names it and tells the
 * plugin in the AddNetwork reply, so the one rule lives here and the plugin loads no hashing.
 */
export function hostVethName(prefix: string, namespace: string, podName: string): string {
  return `${prefix}${createHash('sha1').update(`${namespace}.${podName}`).digest('hex').slice(0, 11)}`;
}

/** The name for an AddNetwork: by pod when the runtime passed pod arguments, else by container and interface. */
export function hostVethFor(
  prefix: string,
  pod: { namespace?: string | undefined; name?: string | undefined },
  key: { containerId: string; ifName: string },
): string {
  return pod.namespace && pod.name
    ? hostVethName(prefix, pod.namespace, pod.name)
    : `${prefix}${createHash('sha1').update(`${key.containerId}.${key.ifName}`).digest('hex').slice(0, 11)}`;
}

/** The name of an allocation's host veth: as recorded, else as ipamd names it (older checkpoints). */
export function vethOfAllocation(
  prefix: string,
  a: { hostVeth?: string | undefined; pod: { namespace: string; name: string }; key: { containerId: string; ifName: string } },
): string {
  return a.hostVeth ?? hostVethFor(prefix, a.pod, a.key);
}

type VethOwner = Parameters<typeof vethOfAllocation>[1];

/**
 * Whether an allocation's host veth exists, by looking in a sysfs-like directory of interface
 * names: /sys/class/net on a node. Tests point it at a directory of their own (a port, so restart
 * logic is testable without root).
 */
export function vethExistsIn(netDir: string, vethPrefix: string) {
  return async (a: VethOwner): Promise<boolean> => {
    try {
      await access(join(netDir, vethOfAllocation(vethPrefix, a)));
      return true;
    } catch {
      return false;
    }
  };
}

/**
 * The same check against a set of link names listed once (`ip -n <node netns> -j link show`,
 * when VPCWIRE_HOST_NETNS puts the node in another netns than ipamd's own /sys/class/net).
 */
export function vethExistsAmong(names: ReadonlySet<string>, vethPrefix: string) {
  return (a: VethOwner): boolean => names.has(vethOfAllocation(vethPrefix, a));
}
