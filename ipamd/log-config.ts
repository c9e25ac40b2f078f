/**
 * The log settings in ipamd's environment (issue 13 item 6), for ipamd's own log (config.ts) and
 * for the plugin's, which the installer writes into the conflist (install/config.ts). Upstream's
 * names where upstream has them; rotation is vpcwire's (upstream fixes lumberjack at 100 MB and 5
 * backups in code): VPCWIRE_LOG_MAX_SIZE_MB and VPCWIRE_LOG_MAX_FILES, the same for both files.
 */
import {
  DEFAULT_LOG_LEVEL,
  DEFAULT_LOG_MAX_FILES,
  DEFAULT_LOG_MAX_SIZE_MB,
  LOG_MAX_FILES_RANGE,
  LOG_MAX_SIZE_MB_RANGE,
  type LogLevel,
  logLevelOf,
  MB,
} from '../contract/log-settings.ts';
import type { RotationLimits } from '../durable/rotating-log.ts';
import { bad, type Env, int, str } from './env-parse.ts';

export interface LogRotation extends RotationLimits {
  /** As given, for the plugin's conflist entry. */
  readonly maxSizeMb: number;
}

/** A level variable: DEBUG, INFO, WARN or ERROR in any case; upstream's default DEBUG. */
export function logLevel(env: Env, name: string): LogLevel {
  const raw = str(env, name);
  if (raw === undefined) return DEFAULT_LOG_LEVEL;
  return logLevelOf(raw) ?? bad(name, raw, 'expected DEBUG, INFO, WARN or ERROR');
}

/** ipamd's AWS_VPC_K8S_CNI_LOG_FILE: stdout (default, what `kubectl logs` shows), stderr, or an absolute path. */
export function ipamdLogTarget(env: Env): string {
  const name = 'AWS_VPC_K8S_CNI_LOG_FILE';
  const v = str(env, name) ?? 'stdout';
  if (v === 'stdout' || v === 'stderr') return v;
  if (!v.startsWith('/') || v.endsWith('/')) bad(name, v, "expected 'stdout', 'stderr' or an absolute file path");
  return v;
}

export function logRotation(env: Env): LogRotation {
  const name = 'VPCWIRE_LOG_MAX_SIZE_MB';
  const raw = str(env, name);
  let maxSizeMb = DEFAULT_LOG_MAX_SIZE_MB;
  if (raw !== undefined) {
    maxSizeMb = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || maxSizeMb < LOG_MAX_SIZE_MB_RANGE.min || maxSizeMb > LOG_MAX_SIZE_MB_RANGE.max) {
      bad(name, raw, `expected a number of MiB from ${LOG_MAX_SIZE_MB_RANGE.min} to ${LOG_MAX_SIZE_MB_RANGE.max}`);
    }
  }
  const maxFiles = int(env, 'VPCWIRE_LOG_MAX_FILES', LOG_MAX_FILES_RANGE) ?? DEFAULT_LOG_MAX_FILES;
  return Object.freeze({ maxSizeMb, maxBytes: Math.floor(maxSizeMb * MB), maxFiles });
}
