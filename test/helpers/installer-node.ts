/**
 * A local-cluster node made ready for a real container runtime the way a node is (DESIGN.md §5,
 * §7): ipamd's own installer copies the plugin into the node's CNI bin dir and writes the conflist
 * into its conf dir once ipamd serves, next to Debian's reference plugins (loopback for the
 * runtime, the chained portmap, bandwidth and tuning) as the AMI ships them. The containerd and
 * podman tests and the test kubelet run their runtime on top of it; startContainerdNode adds
 * containerd in the node's netns.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalCluster } from '../../cluster/local-cluster.ts';
import type { LocalNode } from '../../cluster/local-node.ts';
import { type Containerd, startContainerd } from './containerd.ts';

const DEBIAN_CNI = '/usr/lib/cni';
/** The installer's default conflist name (VPCWIRE_CNI_CONFLIST_NAME). */
export const CONFLIST_NAME = '10-vpcwire.conflist';

export interface InstallerNodeOptions {
  /** VPCWIRE_CNI_CHAINED_PLUGINS; default portmap,bandwidth,tuning (the chart's default). */
  readonly chainedPlugins?: string;
  /** VPCWIRE_CNI_NETWORK_NAME; default the installer's (vpcwire). */
  readonly networkName?: string;
  /** More of ipamd's environment (warm-pool targets and such). */
  readonly env?: Record<string, string>;
}

export interface InstallerNode {
  readonly node: LocalNode;
  /** Holds bin/, net.d/, plugin.log and whatever the runtime keeps there; removed by remove(). */
  readonly dir: string;
  readonly binDir: string;
  readonly confDir: string;
  readonly pluginLogFile: string;
  /** Stops the node's ipamd (the installer removes the conflist) and removes `dir`. */
  remove(): Promise<void>;
}

/** Adds `name` to the cluster with ipamd running its installer; resolves once the conflist is written. */
export async function startInstallerNode(c: LocalCluster, name: string, o: InstallerNodeOptions = {}): Promise<InstallerNode> {
  const dir = mkdtempSync(join(tmpdir(), `vpcwire-${name}-cni-`));
  const binDir = join(dir, 'bin');
  const confDir = join(dir, 'net.d');
  const pluginLogFile = join(dir, 'plugin.log');
  mkdirSync(binDir);
  for (const f of readdirSync(DEBIAN_CNI)) symlinkSync(join(DEBIAN_CNI, f), join(binDir, f));
  let node: LocalNode | undefined;
  // The installer's bin dir holds a copy of the plugin (about 120 MB): always removed.
  const remove = async () => {
    try {
      await node?.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    node = await c.addNode(name, {
      ...o.env,
      VPCWIRE_INSTALL_CNI: 'true',
      VPCWIRE_CNI_BIN_DIR: binDir,
      VPCWIRE_CNI_CONF_DIR: confDir,
      VPCWIRE_CNI_PLUGIN_SOURCE: c.plugin,
      VPCWIRE_CNI_CHAINED_PLUGINS: o.chainedPlugins ?? 'portmap,bandwidth,tuning',
      AWS_VPC_K8S_PLUGIN_LOG_FILE: pluginLogFile,
      ...(o.networkName ? { VPCWIRE_CNI_NETWORK_NAME: o.networkName } : {}),
    });
    // ipamd said SERVING; the installer writes the conflist right after.
    for (let i = 0; !existsSync(join(confDir, CONFLIST_NAME)); i++) {
      if (i >= 100) throw new Error(`ipamd of ${name} wrote no ${CONFLIST_NAME} within 5 s: ${node.stderr()}`);
      await sleep(50);
    }
    return { node, dir, binDir, confDir, pluginLogFile, remove };
  } catch (e) {
    await remove();
    throw e;
  }
}

export interface ContainerdNode extends InstallerNode {
  /** containerd in the node's netns on the installer's dirs, as on a node. */
  readonly containerd: Containerd;
  /** Stops containerd (every sandbox torn down over CRI first), then ipamd; removes the files. */
  stop(): Promise<void>;
}

export async function startContainerdNode(c: LocalCluster, name: string, o: InstallerNodeOptions = {}): Promise<ContainerdNode> {
  const n = await startInstallerNode(c, name, o);
  if (!n.node.netns) {
    await n.remove();
    throw new Error('containerd on a node needs the kernel data plane (root)');
  }
  let containerd: Containerd;
  try {
    containerd = await startContainerd({ netns: n.node.netns, dir: join(n.dir, 'containerd'), cniBinDir: n.binDir, cniConfDir: n.confDir });
  } catch (e) {
    await n.remove();
    throw e;
  }
  return {
    ...n,
    containerd,
    async stop() {
      try {
        await containerd.stop();
      } finally {
        await n.remove();
      }
    },
  };
}
