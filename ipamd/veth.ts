import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The host-side veth name of a pod (DESIGN.md §2, as upstream): the prefix plus 11 hex characters
 * of sha1("<namespace>.<podname>"), within Linux's 15-character limit. The CNI plugin computes the
 * same name; it lives here only until the plugin and ipamd share it through the protocol package.
 */
export function hostVethName(prefix: string, namespace: string, podName: string): string {
  return `${prefix}${createHash('sha1').update(`${namespace}.${podName}`).digest('hex').slice(0, 11)}`;
}

/**
 * Whether a pod's host veth exists, by looking in a sysfs-like directory of interface names:
 * /sys/class/net on a node. Tests point it at a directory of their own (a port, so restart logic
 * is testable without root).
 */
export function vethExistsIn(netDir: string, vethPrefix: string) {
  return async (pod: { namespace: string; name: string }): Promise<boolean> => {
    if (!pod.namespace || !pod.name) return true; // cannot tell: keep it rather than free a live address
    try {
      await access(join(netDir, hostVethName(vethPrefix, pod.namespace, pod.name)));
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
  return (pod: { namespace: string; name: string }): boolean => {
    if (!pod.namespace || !pod.name) return true; // cannot tell: keep it rather than free a live address
    return names.has(hostVethName(vethPrefix, pod.namespace, pod.name));
  };
}
