/**
 * The network configuration list the installer puts in the runtime's conf dir (issue 4 item 3;
 * plugin keys from the shared contract, chaining from DESIGN.md §5). Its presence is what makes
 * the runtime report NetworkReady and so turns the node Ready: it is written only once ipamd
 * serves and removed first when ipamd stops.
 */
import { join } from 'node:path';
import type { PluginLogConf } from '../../contract/log-settings.ts';
import { removeFileDurably, writeFileAtomic } from '../../durable/atomic-file.ts';
import type { ChainedPlugin, InstallConfig } from './config.ts';

/** The newest spec version Debian's plugins 1.1.1 and containerd 1.6 (libcni 1.1) know. */
export const CONFLIST_CNI_VERSION = '1.0.0';

export interface PluginSettings {
  /** The socket ipamd serves the plugin on: plugin.sock next to its VPCWIRE_SOCKET (contract/paths.ts). */
  readonly socket: string;
  /** Where the plugin leaves release notes when ipamd is down (its VPCWIRE_RELEASE_NOTES_DIR). */
  readonly releaseNotesDir: string;
  /** ipamd's AWS_VPC_K8S_CNI_VETHPREFIX: the plugin names host veths with it, ipamd looks for them. */
  readonly vethPrefix: string;
  /** The plugin's log (at most one line per invocation, cni/log.ts); no logFile: no log. */
  readonly log?: PluginLogConf;
}

/**
 * The entry of each chained plugin. portmap: hostPort mappings from the runtime, with SNAT for
 * hairpin and localhost traffic (as upstream's 10-aws.conflist). bandwidth: the pod's ingress /
 * egress limits from the runtime. tuning: sysctls given here (none by default) applied to the pod's
 * interface.
 */
export function chainedEntry(p: ChainedPlugin): Record<string, unknown> {
  switch (p) {
    case 'portmap':
      return { type: 'portmap', capabilities: { portMappings: true }, snat: true };
    case 'bandwidth':
      return { type: 'bandwidth', capabilities: { bandwidth: true } };
    case 'tuning':
      return { type: 'tuning', sysctl: {} };
  }
}

/**
 * The conflist object. Entries carry no cniVersion or name of their own: libcni gives every entry
 * the list's (spec: "Network configuration lists", plugin configuration objects).
 */
export function buildConflist(
  install: Pick<InstallConfig, 'networkName' | 'chainedPlugins'>,
  plugin: PluginSettings,
): Record<string, unknown> {
  return {
    cniVersion: CONFLIST_CNI_VERSION,
    name: install.networkName,
    plugins: [
      {
        type: 'vpcwire',
        socket: plugin.socket,
        releaseNotesDir: plugin.releaseNotesDir,
        vethPrefix: plugin.vethPrefix,
        ...(plugin.log?.logFile ? plugin.log : {}),
      },
      ...install.chainedPlugins.map(chainedEntry),
    ],
  };
}

export function conflistPath(install: Pick<InstallConfig, 'confDir' | 'conflistName'>): string {
  return join(install.confDir, install.conflistName);
}

/** Writes the conflist atomically (0644: the runtime reads it, nobody else needs to write it). */
export async function writeConflist(install: InstallConfig, plugin: PluginSettings): Promise<string> {
  const path = conflistPath(install);
  await writeFileAtomic(path, `${JSON.stringify(buildConflist(install, plugin), null, 2)}\n`, 0o644);
  return path;
}

/** Removes the conflist; false when it was not there. */
export function removeConflist(install: InstallConfig): Promise<boolean> {
  return removeFileDurably(conflistPath(install));
}
