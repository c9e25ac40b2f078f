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

/**
 * The one rule for a pod's host veth name, used by AddNetwork (the name the plugin creates) and by
 * the checkpoint replay (the name whose absence drops an allocation), so both always agree (issue 9
 * item 3). By pod when the runtime passed both K8S_POD_NAMESPACE and K8S_POD_NAME, as upstream
 * names it; otherwise by "<containerId>.<ifName>", as the reference plugins name by container.
 * A half-given identity (podman passes only K8S_POD_NAME, its container name) counts as none: a
 * name alone is not unique across namespaces and outlives the container, and a pod-named veth left
 * by an earlier container would be replaced, as a newer sandbox of the same pod replaces it.
 */
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
