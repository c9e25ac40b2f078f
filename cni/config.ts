/**
 * The network configuration on stdin (spec §Section 1 "Plugin configuration objects"), parsed once
 * into a frozen object. The plugin's own keys are what the installer writes (ipamd/install/
 * conflist.ts): `socket` and `releaseNotesDir`, plus optional `deadlineMs` and `logFile`. Anything
 * wrong is CNI error 7 naming the key; an unsupported cniVersion is error 1. Values are shown cut
 * and never serialised whole, so any input (a huge string, JSON nested thousands deep) gets a short
 * message (issue 9 item 4).
 */
import { cut, describe, networkNameProblem, shown } from '../contract/cni-input.ts';
import { DEFAULT_LOG_LEVEL, DEFAULT_LOG_MAX_FILES, DEFAULT_LOG_MAX_SIZE_MB, LOG_MAX_FILES_RANGE, LOG_MAX_SIZE_MB_RANGE, type LogLevel, logLevelOf } from '../contract/log-settings.ts';
import { DEFAULT_PLUGIN_SOCKET, DEFAULT_RELEASE_NOTES_DIR } from '../contract/paths.ts';
import { CniError, CODE } from './errors.ts';
import { checkPrevResult } from './prev-result.ts';
import { isSupportedSpec, SUPPORTED_SPECS } from './version.ts';

export interface GcAttachment {
  readonly containerId: string;
  readonly ifName: string;
}

export interface NetConf {
  readonly cniVersion: string;
  readonly name: string;
  readonly type: string;
  /** The socket ipamd serves the plugin on (contract/plugin-protocol.ts), next to its gRPC socket. */
  readonly socket: string;
  /** Where DEL leaves release notes when ipamd cannot be reached (ipamd replays them at start). */
  readonly releaseNotesDir: string;
  /** Host veth name prefix (ipamd's AWS_VPC_K8S_CNI_VETHPREFIX), for a DEL that has no prevResult. */
  readonly vethPrefix: string;
  /** Deadline of each call to ipamd. */
  readonly deadlineMs: number;
  /**
   * Optional: one JSON line per invocation (verb, container, outcome, phase timings), to an
   * absolute path or `stderr`; never stdout, which carries the result (upstream refuses it too).
   */
  readonly logFile: string | undefined;
  /** Which invocations are logged and how much of each (main.ts / log.ts); default debug. */
  readonly logLevel: LogLevel;
  /** The log file's rotation: size in MiB (fractions allowed) and rotated files kept. */
  readonly logMaxSizeMb: number;
  readonly logMaxFiles: number;
  /** The previous plugin's (or our ADD's) result, as given: parsed by result.ts when needed. */
  readonly prevResult: Record<string, unknown> | undefined;
  /** GC: the attachments the runtime still has (spec 1.1 §GC). */
  readonly validAttachments: readonly GcAttachment[] | undefined;
}

export const DEFAULTS = {
  socket: DEFAULT_PLUGIN_SOCKET,
  releaseNotesDir: DEFAULT_RELEASE_NOTES_DIR,
  deadlineMs: 10_000,
  vethPrefix: 'eni',
} as const;

const bad = (msg: string): CniError => new CniError(CODE.INVALID_CONFIG, `invalid network configuration: ${msg}`);

function optString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') throw bad(`"${key}" must be a non-empty string, got ${describe(v)}`);
  return v;
}

function optNumber(o: Record<string, unknown>, key: string, dflt: number, range: { min: number; max: number }, integer: boolean): number {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < range.min || v > range.max) {
    throw bad(`"${key}" must be ${integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}, got ${describe(v)}`);
  }
  return v;
}

function absPath(o: Record<string, unknown>, key: string, dflt: string): string {
  const v = optString(o, key) ?? dflt;
  if (!v.startsWith('/')) throw bad(`"${key}" must be an absolute path, got ${shown(v)}`);
  return v;
}

/** GC: `cni.dev/valid-attachments`, or the older `cni.dev/attachments` (DESIGN.md §5). */
function attachments(o: Record<string, unknown>): GcAttachment[] | undefined {
  const key = 'cni.dev/valid-attachments' in o ? 'cni.dev/valid-attachments' : 'cni.dev/attachments' in o ? 'cni.dev/attachments' : undefined;
  if (key === undefined) return undefined;
  const list = o[key];
  if (!Array.isArray(list)) throw bad(`"${key}" must be a list of {"containerID", "ifname"}`);
  return list.map((a: unknown, i) => {
    const r = a as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || typeof r.containerID !== 'string' || typeof r.ifname !== 'string') {
      throw bad(`"${key}"[${i}] must be {"containerID": string, "ifname": string}, got ${describe(a)}`);
    }
    return { containerId: r.containerID, ifName: r.ifname };
  });
}

export function parseNetConf(stdin: string): NetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (e) {
    // V8's message quotes the input around the fault; cut, so a huge input is not echoed back.
    throw new CniError(CODE.DECODE_FAILURE, `the network configuration on stdin is not JSON: ${cut((e as Error).message, 200)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('expected a JSON object on stdin');
  const o = raw as Record<string, unknown>;
  const cniVersion = o.cniVersion;
  if (typeof cniVersion !== 'string' || cniVersion === '') throw bad(`"cniVersion" is required (a string), got ${describe(cniVersion)}`);
  if (!isSupportedSpec(cniVersion)) {
    throw new CniError(CODE.INCOMPATIBLE_VERSION, `incompatible CNI version ${shown(cniVersion)}: vpcwire supports ${SUPPORTED_SPECS.join(', ')}`);
  }
  const name = o.name;
  if (typeof name !== 'string') throw bad(`"name" must be a string, got ${describe(name)}`);
  // libcni's rule for network names, as ipamd applies it (contract/cni-input.ts).
  const nameProblem = networkNameProblem(name);
  if (nameProblem !== undefined) throw bad(`"name" ${nameProblem}`);
  const type = optString(o, 'type') ?? 'vpcwire';
  const deadline = o.deadlineMs ?? DEFAULTS.deadlineMs;
  if (typeof deadline !== 'number' || !Number.isInteger(deadline) || deadline < 1 || deadline > 600_000) {
    throw bad(`"deadlineMs" must be an integer from 1 to 600000, got ${describe(o.deadlineMs)}`);
  }
  const prev = o.prevResult;
  if (prev !== undefined && prev !== null) {
    const problem = checkPrevResult(prev);
    if (problem !== undefined) throw bad(problem);
  }
  const vethPrefix = optString(o, 'vethPrefix') ?? DEFAULTS.vethPrefix;
  // ipamd's rule for AWS_VPC_K8S_CNI_VETHPREFIX (ipamd/config.ts).
  if (!/^[a-zA-Z0-9]{1,4}$/.test(vethPrefix) || ['eth', 'lo', 'vlan'].includes(vethPrefix)) {
    throw bad(`"vethPrefix" must be 1-4 letters or digits and not eth, lo or vlan; got ${shown(vethPrefix)}`);
  }
  const logFile = optString(o, 'logFile');
  if (logFile !== undefined && !logFile.startsWith('/') && logFile !== 'stderr') {
    throw bad(`"logFile" must be an absolute path or "stderr" (stdout carries the result), got ${shown(logFile)}`);
  }
  const levelRaw = optString(o, 'logLevel');
  const logLevel = levelRaw === undefined ? DEFAULT_LOG_LEVEL : logLevelOf(levelRaw);
  if (logLevel === undefined) throw bad(`"logLevel" must be one of debug, info, warn, error (any case), got ${shown(levelRaw!)}`);
  return Object.freeze({
    cniVersion,
    name,
    type,
    socket: absPath(o, 'socket', DEFAULTS.socket),
    releaseNotesDir: absPath(o, 'releaseNotesDir', DEFAULTS.releaseNotesDir),
    vethPrefix,
    deadlineMs: deadline,
    logFile,
    logLevel,
    logMaxSizeMb: optNumber(o, 'logMaxSizeMb', DEFAULT_LOG_MAX_SIZE_MB, LOG_MAX_SIZE_MB_RANGE, false),
    logMaxFiles: optNumber(o, 'logMaxFiles', DEFAULT_LOG_MAX_FILES, LOG_MAX_FILES_RANGE, true),
    prevResult: (prev ?? undefined) as Record<string, unknown> | undefined,
    validAttachments: attachments(o),
  });
}
