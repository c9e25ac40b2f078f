/**
 * The CNI installer run inside ipamd (issue 4 item 3), in the order that keeps the node's
 * readiness honest (DESIGN.md §5: the conflist is what turns the node Ready):
 *   prepare()  before ipamd's start sequence: the plugin executable into the bin dir, and any
 *              conflist a killed ipamd left behind taken away, so the node is not Ready while
 *              this ipamd cannot yet hand out addresses;
 *   announce() once the start sequence is over and the health service answers SERVING over the
 *              socket (what the plugin will dial): the conflist, atomically;
 *   withdraw() first thing on SIGTERM/SIGINT, before ipamd stops serving, so the runtime stops
 *              sending pods to this node before ipamd goes away.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../logger.ts';
import { IpamdError } from '../errors.ts';
import type { InstallConfig } from './config.ts';
import { conflistPath, type PluginSettings, removeConflist, writeConflist } from './conflist.ts';
import { installPlugin } from './plugin-binary.ts';

/** grpc.health.v1 status of ipamd's whole server, read over its socket. */
export type HealthProbe = () => Promise<string>;

export interface Installer {
  prepare(): Promise<void>;
  announce(plugin: PluginSettings, health: HealthProbe): Promise<void>;
  withdraw(): Promise<void>;
}

export function createInstaller(install: InstallConfig, logger: Logger): Installer {
  return {
    async prepare() {
      for (const w of install.warnings) logger.warn(w);
      await mkdir(install.binDir, { recursive: true, mode: 0o755 });
      await mkdir(install.confDir, { recursive: true, mode: 0o755 });
      const logFile = install.pluginLog.logFile;
      if (logFile?.startsWith('/')) await mkdir(dirname(logFile), { recursive: true, mode: 0o755 });
      if (await removeConflist(install)) {
        logger.warn('removed a CNI conflist left by a previous ipamd; the node is not Ready until this one serves', {
          path: conflistPath(install),
        });
      }
      const r = await installPlugin(install);
      logger.info(r.copied ? 'CNI plugin installed' : 'CNI plugin already installed', {
        path: r.path,
        source: install.pluginSource,
      });
    },

    async announce(plugin, health) {
      const status = await health();
      if (status !== 'SERVING') {
        throw new IpamdError('IPAMD_INTERNAL', `not writing the CNI conflist: ipamd's health service says ${status}, not SERVING`);
      }
      const path = await writeConflist(install, { ...plugin, log: install.pluginLog });
      logger.info('CNI conflist written; the node can turn Ready', {
        path,
        network: install.networkName,
        chained: install.chainedPlugins,
      });
    },

    async withdraw() {
      if (await removeConflist(install)) {
        logger.info('CNI conflist removed; the node stops being Ready', { path: conflistPath(install) });
      }
    },
  };
}
