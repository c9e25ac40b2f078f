/**
 * The plugin's log (issue 13 item 6): at most one JSON line per invocation, at the level the
 * installer wrote into the conflist from AWS_VPC_K8S_PLUGIN_LOG_LEVEL, to the file from
 * AWS_VPC_K8S_PLUGIN_LOG_FILE (rotated by size, bounded, safe with every other plugin process
 * writing at once: ../durable/rotating-log.ts) or to stderr. Never stdout: it carries the result.
 *
 * Each line has a level of its own, and the threshold keeps or drops it:
 *   info   an invocation that succeeded;
 *   warn   one the runtime retries or that only reports (11 try again later, 50/51 STATUS);
 *   error  any other failure (bad input, ipamd's refusal, the kernel's, an internal error).
 * So DEBUG and INFO log every invocation, WARN only failures, ERROR only failures a retry will not
 * cure. DEBUG adds the result (addresses, interfaces) and the phase timings (`ms`, which the
 * benchmark reads); INFO has the outcome and the total time only.
 *
 * Costs nothing extra per pod: the size check uses the fstat the mode check already makes, and a
 * rotation (a stat, two renames at most, a readdir) happens once per maxSize of lines.
 */
import { logs, type LogLevel, MB } from '../contract/log-settings.ts';
import { appendLine } from '../durable/rotating-log.ts';
import type { NetConf } from './config.ts';
import { CODE } from './errors.ts';
import { writeAll } from './output.ts';

/** The level of an invocation's line: by its outcome, undefined = success. */
export function lineLevel(cniCode: number | undefined): LogLevel {
  if (cniCode === undefined) return 'info';
  return cniCode === CODE.TRY_AGAIN_LATER || cniCode === CODE.NOT_AVAILABLE || cniCode === CODE.NOT_AVAILABLE_LIMITED ? 'warn' : 'error';
}

/** Details kept only at DEBUG (an internal error's stack is kept at every level: it is the bug report). */
const DEBUG_ONLY = ['result', 'ms'] as const;

/**
 * The line as written under `conf`'s threshold, or undefined when the threshold drops it. `fields`
 * carries everything DEBUG shows; `tookMs` is the invocation's time so far.
 */
export function shapeLine(conf: Pick<NetConf, 'logLevel'>, level: LogLevel, message: string, fields: Record<string, unknown>, tookMs: number): Record<string, unknown> | undefined {
  if (!logs(conf.logLevel, level)) return undefined;
  const line: Record<string, unknown> = { level, message, component: 'cni-plugin', timestamp: new Date().toISOString(), ...fields, tookMs: Math.round(tookMs * 100) / 100 };
  if (conf.logLevel !== 'debug') for (const k of DEBUG_ONLY) delete line[k];
  return line;
}

/** Writes the line; a log that cannot be written must not fail the pod, so errors are swallowed. */
export function writeLine(conf: Pick<NetConf, 'logFile' | 'logMaxSizeMb' | 'logMaxFiles'>, line: Record<string, unknown>): void {
  const text = `${JSON.stringify(line)}\n`;
  try {
    if (conf.logFile === 'stderr') writeAll(2, text); // whole and synchronous, as the result on stdout
    else if (conf.logFile) appendLine(conf.logFile, text, { maxBytes: Math.floor(conf.logMaxSizeMb * MB), maxFiles: conf.logMaxFiles });
  } catch {
    // A full or read-only disk is the operator's to see in ipamd's log and the node's metrics.
  }
}
