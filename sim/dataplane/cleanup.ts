/**
 * Finds and deletes namespaces the kernel data plane left behind (a crashed test, a killed
 * `vpcwire-dev sim`). Everything it creates lives in namespaces named `vpcw-<id>-...`; it never
 * creates links in the host's root netns, so deleting the namespaces removes all of it.
 */
import { DataPlaneError } from './errors.ts';
import { deleteNetns, listNetns } from './ip.ts';
import { NAME_PREFIX } from './names.ts';

/** Namespaces whose name starts with `prefix`, which must itself start with `vpcw-`. */
export async function listDataPlaneNamespaces(prefix: string = NAME_PREFIX): Promise<string[]> {
  // Refuse broader prefixes: "" or "v" would sweep namespaces this project never made.
  if (!prefix.startsWith(NAME_PREFIX)) {
    throw new DataPlaneError(
      'SIM_DATAPLANE_INVALID_ARGUMENT',
      `prefix must start with ${NAME_PREFIX}, got ${JSON.stringify(prefix)}`,
    );
  }
  return (await listNetns()).filter((name) => name.startsWith(prefix));
}

/**
 * Deletes every namespace whose name starts with `prefix` (default: all of vpcwire's). For the
 * `vpcwire-dev sim cleanup` CLI and tests' after hooks. Resolves to the names it deleted.
 */
export async function cleanupStaleNamespaces(prefix: string = NAME_PREFIX): Promise<string[]> {
  const names = await listDataPlaneNamespaces(prefix);
  const results = await Promise.allSettled(names.map((name) => deleteNetns(name)));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return names;
}
