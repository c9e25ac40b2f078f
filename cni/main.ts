#!/usr/bin/env node
/**
 * The vpcwire CNI plugin (CNI 1.1, DESIGN.md §5), exec'd by the container runtime once per pod.
 * Start-up is most of its cost, so this file loads only what the verb needs: VERSION and the
 * no-command "about" line touch nothing but constants; the verbs share the lean gRPC client in
 * ipam/ (node:net, no http2 or grpc-js) and the `ip` batches in wire/.
 *
 * Output: the result (ADD) or nothing on stdout and exit 0; an error as the spec's JSON on stdout
 * and exit 1. One JSON line per invocation goes to `logFile` when the config names one.
 */
import { closeSync, fchmodSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { parseNetConf, type NetConf } from './config.ts';
import { type CniEnv, parseEnv, verbOf, type Verb } from './env.ts';
import { CniError, CODE } from './errors.ts';
import { Phases } from './verbs/phases.ts';
import { ABOUT, CURRENT_SPEC, versionReport } from './version.ts';

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (e) {
    // A runtime always gives stdin; a closed or unreadable one is an I/O failure, said plainly.
    throw new CniError(CODE.IO_FAILURE, `cannot read the network configuration from stdin: ${(e as Error).message}`);
  }
}

/** VERSION's stdin may be empty or partial: the runtime's cniVersion is used when it is there. */
function askedVersion(stdin: string): string {
  try {
    const v = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    return typeof v === 'string' && v ? v : CURRENT_SPEC;
  } catch {
    return CURRENT_SPEC;
  }
}

interface Outcome {
  stdout: string;
  exitCode: number;
  log?: Record<string, unknown>;
}

const phases = new Phases();

async function run(): Promise<Outcome> {
  let verb: Verb | undefined;
  let cniVersion = CURRENT_SPEC;
  let conf: NetConf | undefined;
  let env: CniEnv | undefined;
  try {
    verb = verbOf(process.env);
    if (verb === undefined) return { stdout: ABOUT, exitCode: 0 };
    const stdin = readStdin();
    cniVersion = askedVersion(stdin); // errors answer in the runtime's version even before the config is checked
    if (verb === 'VERSION') return { stdout: versionReport(cniVersion), exitCode: 0 };
    env = parseEnv(verb, process.env);
    conf = parseNetConf(stdin);
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
    const err =
      e instanceof CniError ? e : new CniError(CODE.IO_FAILURE, `internal error: ${(e as Error)?.message ?? String(e)}`, (e as Error)?.stack ?? '');
    return { stdout: JSON.stringify(err.toJSON(cniVersion)), exitCode: 1, log: logLine(verb, env, phases, undefined, err) };
  }

  function logLine(v: Verb | undefined, e: CniEnv | undefined, p: Phases, result: Record<string, unknown> | undefined, err?: CniError): Record<string, unknown> {
    return {
      time: new Date().toISOString(),
      verb: v,
      containerId: e?.containerId,
      ifName: e?.ifName,
      netns: e?.netns,
      pod: e?.pod.namespace && e.pod.name ? `${e.pod.namespace}/${e.pod.name}` : undefined,
      ...(err ? { code: err.code, error: err.message, details: err.details || undefined } : { ok: true }),
      ...(result ? { result } : {}),
      ms: p,
      logFile: conf?.logFile,
    };
  }
}

/**
 * Appends to the log, which names pods and containers: created 0600, and a file left with a wider
 * mode (an older plugin wrote 0644) is narrowed to 0600 (issue 9 item 5).
 */
function appendPrivate(path: string, line: string): void {
  const fd = openSync(path, 'a', 0o600);
  try {
    if (fstatSync(fd).mode & 0o077) fchmodSync(fd, 0o600);
    writeSync(fd, line);
  } finally {
    closeSync(fd);
  }
}

void run().then((outcome) => {
  process.stdout.write(outcome.stdout);
  const logFile = outcome.log?.logFile as string | undefined;
  if (logFile && outcome.log) {
    delete outcome.log.logFile;
    phases.mark('done');
    try {
      appendPrivate(logFile, `${JSON.stringify(outcome.log)}\n`);
    } catch {
      // The log is for people; a full or read-only disk must not fail the pod.
    }
  }
  // Nothing is left to do: exit now rather than wait for the loop to drain (stdout to a pipe is
  // written synchronously on Linux).
  process.exit(outcome.exitCode);
});
