/**
 * The CNI installer's configuration (issue 4 item 3), parsed once from the environment like
 * ipamd/config.ts: a frozen object, and any bad value stops ipamd with a message naming the
 * variable (exit 2, as for ipamd's own configuration).
 *
 * When it runs: VPCWIRE_INSTALL_CNI=true|false decides; when unset, the installer runs only if
 * VPCWIRE_CNI_CONF_DIR is set. The image (Dockerfile / DaemonSet) sets VPCWIRE_INSTALL_CNI=true and
 * gets the production directories; an ipamd started by hand or by a test without those variables
 * never writes into the real /opt/cni/bin or /etc/cni/net.d.
 */
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PluginLogConf } from '../../contract/log-settings.ts';
import { IpamdError } from '../errors.ts';
import { logLevel, logRotation } from '../log-config.ts';

/** The plugins that may follow vpcwire in the chain, using its prevResult (DESIGN.md §5). */
export const CHAINABLE = ['portmap', 'bandwidth', 'tuning'] as const;
export type ChainedPlugin = (typeof CHAINABLE)[number];

export interface InstallConfig {
  readonly enabled: boolean;
  /** Where the runtime looks for plugin executables (containerd's bin_dir). */
  readonly binDir: string;
  /** Where the runtime looks for network configurations (containerd's conf_dir). */
  readonly confDir: string;
  /** The plugin executable copied into binDir as `vpcwire`. */
  readonly pluginSource: string;
  readonly conflistName: string;
  readonly networkName: string;
  readonly chainedPlugins: readonly ChainedPlugin[];
  /**
   * The plugin's log as the conflist carries it (upstream's AWS_VPC_K8S_PLUGIN_LOG_FILE and
   * AWS_VPC_K8S_PLUGIN_LOG_LEVEL, rotation from VPCWIRE_LOG_MAX_SIZE_MB / VPCWIRE_LOG_MAX_FILES);
   * without `logFile` the plugin logs nothing.
   */
  readonly pluginLog: PluginLogConf;
  /** Settings that work but should change (a deprecated name): logged by the installer at start. */
  readonly warnings: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** The build's output next to the sources (cni/build.ts writes it); the image keeps the same layout. */
const DEFAULT_PLUGIN_SOURCE = fileURLToPath(new URL('../../build/cni/vpcwire', import.meta.url));

function bad(name: string, value: string, why: string): never {
  throw new IpamdError('IPAMD_CONFIG_INVALID', `invalid ${name}=${JSON.stringify(value)}: ${why}`);
}

function str(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function absPath(env: Env, name: string, dflt: string): string {
  const v = str(env, name) ?? dflt;
  if (!v.startsWith('/')) bad(name, v, 'expected an absolute path');
  return v;
}

/** "portmap,bandwidth", or "none" for no chained plugin; each at most once, in the order given. */
function chained(env: Env): ChainedPlugin[] {
  const name = 'VPCWIRE_CNI_CHAINED_PLUGINS';
  const raw = str(env, name) ?? 'portmap';
  if (raw.toLowerCase() === 'none') return [];
  const out: ChainedPlugin[] = [];
  for (const part of raw.split(',').map((p) => p.trim())) {
    const p = CHAINABLE.find((c) => c === part);
    if (!p) bad(name, raw, `'${part}' is not one of ${CHAINABLE.join(', ')} (comma-separated, or 'none')`);
    if (out.includes(p)) bad(name, raw, `'${p}' is listed twice`);
    out.push(p);
  }
  return out;
}

/**
 * AWS_VPC_K8S_PLUGIN_LOG_FILE: an absolute path (default /var/log/vpcwire/plugin.log, where
 * upstream has /var/log/aws-routed-eni/plugin.log), `stderr` (the runtime's log), or `none`.
 * Never stdout, which carries the CNI result (upstream refuses it too). VPCWIRE_CNI_PLUGIN_LOG_FILE,
 * vpcwire's earlier name, is still read when the upstream one is unset; both set must agree.
 */
function pluginLogFile(env: Env): string | undefined {
  const name = 'AWS_VPC_K8S_PLUGIN_LOG_FILE';
  const alias = 'VPCWIRE_CNI_PLUGIN_LOG_FILE';
  const upstream = str(env, name);
  const older = str(env, 'VPCWIRE_CNI_PLUGIN_LOG_FILE');
  if (upstream !== undefined && older !== undefined && upstream !== older) {
    bad(alias, older, `differs from ${name}=${JSON.stringify(upstream)}; set only ${name} (the earlier name is an alias)`);
  }
  const given = upstream !== undefined ? name : alias;
  const v = upstream ?? older ?? '/var/log/vpcwire/plugin.log';
  if (v.toLowerCase() === 'none') return undefined;
  if (v.toLowerCase() === 'stdout') bad(given, v, "the plugin's stdout carries the CNI result; use a path or 'stderr'");
  if (v === 'stderr') return v;
  if (!v.startsWith('/') || v.endsWith('/')) bad(given, v, "expected an absolute file path, 'stderr' or 'none'");
  return v;
}

function pluginLog(env: Env): PluginLogConf {
  const logFile = pluginLogFile(env);
  const level = logLevel(env, 'AWS_VPC_K8S_PLUGIN_LOG_LEVEL');
  const rotation = logRotation(env);
  if (logFile === undefined) return Object.freeze({});
  return Object.freeze({ logFile, logLevel: level, logMaxSizeMb: rotation.maxSizeMb, logMaxFiles: rotation.maxFiles });
}

export function parseInstallConfig(env: Env = process.env): InstallConfig {
  const flag = str(env, 'VPCWIRE_INSTALL_CNI');
  let enabled = str(env, 'VPCWIRE_CNI_CONF_DIR') !== undefined;
  if (flag !== undefined) {
    const v = flag.toLowerCase();
    if (v !== 'true' && v !== 'false') bad('VPCWIRE_INSTALL_CNI', flag, "expected 'true' or 'false'");
    enabled = v === 'true';
  }
  const conflistName = str(env, 'VPCWIRE_CNI_CONFLIST_NAME') ?? '10-vpcwire.conflist';
  // libcni loads *.conflist as a list; the name orders it among the dir's other files.
  if (basename(conflistName) !== conflistName || !conflistName.endsWith('.conflist') || conflistName.startsWith('.')) {
    bad('VPCWIRE_CNI_CONFLIST_NAME', conflistName, "expected a file name ending in '.conflist', without a directory");
  }
  const networkName = str(env, 'VPCWIRE_CNI_NETWORK_NAME') ?? 'vpcwire';
  // libcni's rule for network names (pkg/types: ValidateNetworkName / the spec's "name").
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(networkName)) {
    bad('VPCWIRE_CNI_NETWORK_NAME', networkName, 'letters, digits, _ . - only, starting with a letter or digit');
  }
  const warnings: string[] = [];
  if (str(env, 'VPCWIRE_CNI_PLUGIN_LOG_FILE') !== undefined && str(env, 'AWS_VPC_K8S_PLUGIN_LOG_FILE') === undefined) {
    warnings.push("VPCWIRE_CNI_PLUGIN_LOG_FILE is deprecated: set upstream's AWS_VPC_K8S_PLUGIN_LOG_FILE instead");
  }
  const config: InstallConfig = {
    enabled,
    binDir: absPath(env, 'VPCWIRE_CNI_BIN_DIR', '/opt/cni/bin'),
    confDir: absPath(env, 'VPCWIRE_CNI_CONF_DIR', '/etc/cni/net.d'),
    pluginSource: absPath(env, 'VPCWIRE_CNI_PLUGIN_SOURCE', DEFAULT_PLUGIN_SOURCE),
    conflistName,
    networkName,
    chainedPlugins: Object.freeze(chained(env)),
    pluginLog: pluginLog(env),
    warnings: Object.freeze(warnings),
  };
  return Object.freeze(config);
}
