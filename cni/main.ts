#!/usr/bin/env node
/**
 * The vpcwire CNI plugin (CNI 1.1, DESIGN.md §5), exec'd by the container runtime once per pod.
 * Start-up is most of its cost, so this file loads only what the verb needs: VERSION and the
 * no-command "about" line touch nothing but constants; the verbs share the lean gRPC client in
 * ipam/ (node:net, no http2 or grpc-js) and the `ip` batches in wire/.
 *
 * Output: the result (ADD) or nothing on stdout and exit 0; an error as the spec's JSON on stdout
 * and exit 1, whatever the input (issue 9 item 4): bounded, without stack traces, written whole
 * before the process exits (output.ts). At most one JSON line per invocation goes to `logFile` when
 * the config names one, as its `logLevel` says (log.ts).
 */
import { cut } from '../contract/cni-input.ts';
import { parseNetConf, type NetConf } from './config.ts';
import { type CniEnv, parseEnv, verbOf, type Verb } from './env.ts';
import { CniError, CODE } from './errors.ts';
import { lineLevel, shapeLine, writeLine } from './log.ts';
import { MAX_STDIN_BYTES, readAll, writeAll } from './output.ts';
import { Phases } from './verbs/phases.ts';
import { ABOUT, CURRENT_SPEC, isSupportedSpec, versionReport } from './version.ts';

function readStdin(): { text: string; tooLarge: boolean } {
  try {
    return readAll(0);
  } catch (e) {
    // A runtime always gives stdin; a closed or unreadable one is an I/O failure, said plainly.
    throw new CniError(CODE.IO_FAILURE, `cannot read the network configuration from stdin: ${(e as Error).message}`);
  }
}

/**
 * The version answers are given in: the runtime's cniVersion when this plugin speaks it (VERSION's
 * stdin may be empty or partial), else the current one; never an arbitrary string echoed back.
 */
function askedVersion(stdin: string): string {
  try {
    const v = (JSON.parse(stdin) as { cniVersion?: unknown } | null)?.cniVersion;
    return isSupportedSpec(v) ? v : CURRENT_SPEC;
  } catch {
    return CURRENT_SPEC;
  }
}

/** An error in the log line, bounded as on stdout. */
function errorFields(err: CniError): Record<string, unknown> {
  const j = err.toJSON('') as { msg: string; details?: string };
  return { code: err.cniCode, error: j.msg, details: j.details };
}

/** Anything that is not a CniError is a bug: said in one line, its stack only in the log. */
function internalError(e: unknown): CniError {
  const message = e instanceof Error ? e.message : String(e);
  return new CniError(CODE.IO_FAILURE, `internal error: ${cut(message, 300)}`);
}

interface Outcome {
  stdout: string;
  exitCode: number;
  /** What DEBUG logs of this invocation (log.ts trims it for other levels), with its CNI code if it failed. */
  log?: { fields: Record<string, unknown>; cniCode?: number };
}

const phases = new Phases();
/** The configuration the log line is written under, once run() parsed it. */
let logConf: NetConf | undefined;

async function run(): Promise<Outcome> {
  let verb: Verb | undefined;
  let cniVersion = CURRENT_SPEC;
  let conf: NetConf | undefined;
  let env: CniEnv | undefined;
  try {
    verb = verbOf(process.env);
    if (verb === undefined) return { stdout: ABOUT, exitCode: 0 };
    const stdin = readStdin();
    cniVersion = askedVersion(stdin.text); // errors answer in the runtime's version even before the config is checked
    if (verb === 'VERSION') return { stdout: versionReport(cniVersion), exitCode: 0 };
    env = parseEnv(verb, process.env);
    if (stdin.tooLarge) {
      throw new CniError(CODE.INVALID_CONFIG, `invalid network configuration: larger than ${MAX_STDIN_BYTES / 1024 / 1024} MiB on stdin`);
    }
    conf = parseNetConf(stdin.text);
    logConf = conf;
    cniVersion = conf.cniVersion;
    phases.mark('input');
    // Loaded only now (the bundle keeps them as lazily initialised modules): VERSION and errors in
    // the input never pay for the gRPC client, crypto or child processes.
    const ipam = (await import('./ipam-port.ts')).ipamPort(conf);
    phases.mark('loaded');
    let result: Record<string, unknown> | undefined;
    switch (verb) {
      case 'ADD':
        result = await (await import('./verbs/add.ts')).cmdAdd(env, conf, ipam, phases);
        break;
      case 'DEL':
        await (await import('./verbs/del.ts')).cmdDel(env, conf, ipam, phases);
        break;
      case 'CHECK':
        await (await import('./verbs/check.ts')).cmdCheck(env, conf, ipam, phases);
        break;
      case 'GC':
        await (await import('./verbs/gc.ts')).cmdGc(env, conf, ipam, phases);
        break;
      case 'STATUS':
        await (await import('./verbs/status.ts')).cmdStatus(conf, ipam);
        break;
    }
    return { stdout: result ? JSON.stringify(result) : '', exitCode: 0, log: logLine(verb, env, phases, result) };
  } catch (e) {
    const err = e instanceof CniError ? e : internalError(e);
    const log = logLine(verb, env, phases, undefined, err);
    if (!(e instanceof CniError)) log.fields.stack = cut(String((e as Error)?.stack ?? e), 4096);
    return { stdout: JSON.stringify(err.toJSON(cniVersion)), exitCode: 1, log };
  }

  function logLine(v: Verb | undefined, e: CniEnv | undefined, p: Phases, result: Record<string, unknown> | undefined, err?: CniError): NonNullable<Outcome['log']> {
    if (conf === undefined) return { fields: {} }; // no configuration, so no log to write to
    const fields: Record<string, unknown> = {
      verb: v,
      containerId: e && cut(e.containerId, 256),
      ifName: e?.ifName,
      netns: e && cut(e.netns, 256),
      pod: e?.pod.namespace || e?.pod.name ? `${e.pod.namespace ?? ''}/${e.pod.name ?? ''}` : undefined,
      ...(err ? errorFields(err) : { ok: true }),
      ...(result ? { result } : {}),
      ms: p,
    };
    return err ? { fields, cniCode: err.cniCode } : { fields };
  }
}

function finish(outcome: Outcome): never {
  // Whole and synchronous (output.ts), so exiting right after cannot cut it.
  writeAll(1, outcome.stdout);
  if (logConf?.logFile && outcome.log) {
    phases.mark('done');
    const { fields, cniCode } = outcome.log;
    const level = lineLevel(cniCode);
    const line = shapeLine(logConf, level, `${String(fields.verb)} ${cniCode === undefined ? 'succeeded' : 'failed'}`, fields, process.uptime() * 1000);
    if (line) writeLine(logConf, line);
  }
  // Nothing is left to do: exit now rather than wait for the loop to drain.
  process.exit(outcome.exitCode);
}

void run().then(finish, (e: unknown) => finish({ stdout: JSON.stringify(internalError(e).toJSON(CURRENT_SPEC)), exitCode: 1 }));
