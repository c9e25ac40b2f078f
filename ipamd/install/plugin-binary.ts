/**
 * Puts the CNI plugin executable into the runtime's bin dir as `vpcwire` (issue 4 item 3). The
 * runtime may exec it at any moment (a pod starting while the DaemonSet rolls), so it appears by
 * rename of a complete temp file: a runtime execs either the old binary or the new one, never a
 * partial one, and rename over a running executable does not disturb the running process.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IpamdError } from '../errors.ts';
import { writeFileAtomic } from '../../durable/atomic-file.ts';
import type { InstallConfig } from './config.ts';

export const PLUGIN_FILE_NAME = 'vpcwire';

export interface PluginInstallResult {
  readonly path: string;
  /** false when the bin dir already held an identical executable. */
  readonly copied: boolean;
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function installPlugin(install: InstallConfig): Promise<PluginInstallResult> {
  let source: Buffer;
  try {
    const st = await stat(install.pluginSource);
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
    source = await readFile(install.pluginSource);
  } catch (e) {
    // A missing build is a deployment mistake, reported as configuration (exit 2) naming the variable.
    throw new IpamdError(
      'IPAMD_CONFIG_INVALID',
      `invalid VPCWIRE_CNI_PLUGIN_SOURCE=${JSON.stringify(install.pluginSource)}: cannot read the CNI plugin executable (${(e as Error).message})`,
      { cause: e },
    );
  }
  const dest = join(install.binDir, PLUGIN_FILE_NAME);
  const current = await readIfExists(dest);
  if (current && current.equals(source) && ((await stat(dest)).mode & 0o777) === 0o755) {
    return { path: dest, copied: false };
  }
  await writeFileAtomic(dest, source, 0o755);
  return { path: dest, copied: true };
}
