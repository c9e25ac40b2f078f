/**
 * Log settings both sides read (issue 13 item 6): the level names operators set in upstream's
 * variables (AWS_VPC_K8S_CNI_LOGLEVEL for ipamd, AWS_VPC_K8S_PLUGIN_LOG_LEVEL for the plugin, any
 * case), the rotation defaults (upstream's lumberjack: 100 MB, 5 backups), and the keys under which
 * ipamd's installer hands the plugin its settings in the conflist.
 */

/** From most to least verbose; a threshold shows its own level and those after it. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** DEBUG, Info, warn... as a level; undefined when it is none (the caller names the variable). */
export function logLevelOf(raw: string): LogLevel | undefined {
  const v = raw.trim().toLowerCase();
  return LOG_LEVELS.find((l) => l === v);
}

/** True when a line at `level` is written under the threshold `threshold`. */
export const logs = (threshold: LogLevel, level: LogLevel): boolean => LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);

/** Upstream's defaults: both its ipamd and its plugin log at Debug, rotate at 100 MB, keep 5. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'debug';
export const DEFAULT_LOG_MAX_SIZE_MB = 100;
export const DEFAULT_LOG_MAX_FILES = 5;
/** Bounds for VPCWIRE_LOG_MAX_SIZE_MB (fractions allowed: tests rotate at a few KB) and _MAX_FILES. */
export const LOG_MAX_SIZE_MB_RANGE = { min: 0.001, max: 10_240 } as const;
export const LOG_MAX_FILES_RANGE = { min: 1, max: 100 } as const;

export const MB = 1024 * 1024;

/**
 * The plugin's keys in its conflist entry, as ipamd's installer writes them (upstream writes
 * `pluginLogFile` and `pluginLogLevel`; the plugin's entry here names its own keys without the
 * prefix, as `socket` and `vethPrefix`).
 */
export interface PluginLogConf {
  /** Absolute path, or `stderr` (stdout is the CNI result: never). Absent: no log. */
  readonly logFile?: string;
  readonly logLevel?: LogLevel;
  readonly logMaxSizeMb?: number;
  readonly logMaxFiles?: number;
}
