/**
 * A network configuration list run the way libcni runs it (CNI spec §Section 4 "Plugin
 * delegation"/"Network configuration lists"): ADD through the plugins in order, each given the
 * list's name and cniVersion, the previous plugin's result as prevResult and, in runtimeConfig,
 * only the capabilities it declares; DEL and CHECK in reverse (DEL) or same (CHECK) order with the
 * final result. Each plugin is exec'd by type from CNI_PATH inside the node's netns.
 */
import { existsSync } from 'node:fs';
import { execPlugin, type PluginRun } from '../../cluster/plugin-exec.ts';

export interface Conflist {
  readonly cniVersion: string;
  readonly name: string;
  readonly plugins: readonly Record<string, unknown>[];
}

export interface ChainCall {
  readonly conflist: Conflist;
  /** Directories searched for each plugin type, in order (CNI_PATH). */
  readonly cniPath: readonly string[];
  readonly nodeNetns: string;
  readonly containerId: string;
  readonly netns: string;
  readonly ifName: string;
  readonly args: string;
  /** Capability values offered to plugins that declare them, e.g. { portMappings: [...] }. */
  readonly runtimeConfig?: Record<string, unknown>;
}

function locate(type: string, cniPath: readonly string[]): string {
  for (const d of cniPath) if (existsSync(`${d}/${type}`)) return `${d}/${type}`;
  throw new Error(`plugin ${type} not found in ${cniPath.join(':')}`);
}

function pluginConfig(c: ChainCall, entry: Record<string, unknown>, prevResult: unknown): Record<string, unknown> {
  const caps = (entry.capabilities ?? {}) as Record<string, boolean>;
  const runtimeConfig = Object.fromEntries(Object.entries(c.runtimeConfig ?? {}).filter(([k]) => caps[k]));
  return {
    ...entry,
    cniVersion: c.conflist.cniVersion,
    name: c.conflist.name,
    ...(Object.keys(runtimeConfig).length ? { runtimeConfig } : {}),
    ...(prevResult ? { prevResult } : {}),
  };
}

async function exec(c: ChainCall, command: 'ADD' | 'DEL' | 'CHECK', entry: Record<string, unknown>, prev: unknown): Promise<PluginRun> {
  return execPlugin({
    plugin: locate(String(entry.type), c.cniPath),
    nodeNetns: c.nodeNetns,
    command,
    containerId: c.containerId,
    netns: c.netns,
    ifName: c.ifName,
    args: c.args,
    config: pluginConfig(c, entry, prev),
    env: { CNI_PATH: c.cniPath.join(':') },
  });
}

/** ADD through the chain; the final result, or the first failure with the plugin's type. */
export async function chainAdd(c: ChainCall): Promise<Record<string, unknown>> {
  let prev: Record<string, unknown> | undefined;
  for (const entry of c.conflist.plugins) {
    const r = await exec(c, 'ADD', entry, prev);
    if (r.exitCode !== 0 || !r.json) throw new Error(`${String(entry.type)} ADD failed (exit ${r.exitCode}): ${r.stdout}${r.stderr}`);
    prev = r.json;
  }
  return prev!;
}

/** CHECK through the chain (same order) with the final result; `skip` names plugin types not to CHECK. */
export async function chainCheck(c: ChainCall, result: unknown, skip: readonly string[] = []): Promise<void> {
  for (const entry of c.conflist.plugins.filter((p) => !skip.includes(String(p.type)))) {
    const r = await exec(c, 'CHECK', entry, result);
    if (r.exitCode !== 0) throw new Error(`${String(entry.type)} CHECK failed (exit ${r.exitCode}): ${r.stdout}${r.stderr}`);
  }
}

/** DEL through the chain in reverse order with the final result. */
export async function chainDel(c: ChainCall, result: unknown): Promise<void> {
  for (const entry of [...c.conflist.plugins].reverse()) {
    const r = await exec(c, 'DEL', entry, result);
    if (r.exitCode !== 0) throw new Error(`${String(entry.type)} DEL failed (exit ${r.exitCode}): ${r.stdout}${r.stderr}`);
  }
}
