/**
 * The plugin's only way into the kernel: iproute2's `ip -batch -`, one process per network
 * namespace touched (DESIGN.md §6: two batches cost about 6 ms here; Node has no netlink socket).
 * Commands are given as words, never as text: each word is spelled for ip's batch reader, or the
 * commands run one `ip` each when a word cannot be (issue 9 item 4: '#' in CNI_IFNAME).
 * The node side runs in the plugin's own netns (the runtime execs it in the node's root netns);
 * the pod side in CNI_NETNS, through `ip -n <name>` when the path is under /run/netns (one exec),
 * else through `nsenter --net=<path>`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { failedBatchLines } from '../../iproute/batch-output.ts';
import { PluginError } from '../errors.ts';

/** Runtimes exec plugins with a sparse PATH; look where Debian and the EKS AMI keep these. */
function locate(name: string, dirs: readonly string[]): string {
  for (const d of dirs) {
    const p = `${d}/${name}`;
    if (existsSync(p)) return p;
  }
  return name; // let PATH decide; a missing binary then fails with ENOENT naming it
}

let ipPath: string | undefined;
let nsenterPath: string | undefined;
export const ipBin = (): string => (ipPath ??= locate('ip', ['/usr/sbin', '/sbin', '/usr/bin', '/bin']));
const nsenterBin = (): string => (nsenterPath ??= locate('nsenter', ['/usr/bin', '/bin', '/usr/sbin', '/sbin']));

export interface BatchOutcome {
  readonly stdout: string;
  /** 1-based batch line -> the kernel's complaint (only with `force`; otherwise the batch throws). */
  readonly failed: ReadonlyMap<number, string>;
}

/** `ip -batch` could not run or a line failed; wire/pod.ts says which step in a WireError. */
export type IpBatchErrorCode = 'CNI_WIRE_IP_BATCH_FAILED';

export class IpBatchError extends PluginError {
  declare readonly code: IpBatchErrorCode;
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super('CNI_WIRE_IP_BATCH_FAILED', message);
    this.name = 'IpBatchError';
    this.stderr = stderr;
  }
}

const RUN_NETNS = '/run/netns';
const named = new Map<string, boolean>();

/**
 * The name `ip netns` knows a namespace by, when `path` is a named one: in iproute2's /run/netns,
 * directly or through a link such as Debian's /var/run -> /run (containerd names sandboxes
 * /var/run/netns/cni-...). Anything else (a /proc path, another mount) goes through nsenter.
 */
export function netnsName(path: string): string | undefined {
  const dir = dirname(path);
  let ok = named.get(dir);
  if (ok === undefined) {
    try {
      ok = dir === RUN_NETNS || realpathSync(dir) === RUN_NETNS;
    } catch {
      ok = false;
    }
    named.set(dir, ok);
  }
  return ok ? basename(path) : undefined;
}

/** argv for running `ip` in the netns at `path` (undefined: the plugin's own netns). */
function argvFor(path: string | undefined, ipArgs: string[]): [string, string[]] {
  if (path === undefined) return [ipBin(), ipArgs];
  const name = netnsName(path);
  if (name) return [ipBin(), ['-n', name, ...ipArgs]];
  return [nsenterBin(), [`--net=${path}`, ipBin(), ...ipArgs]];
}

/** One `ip` command as its words, without "ip" itself: ['link', 'set', 'dev', name, 'up']. */
export type IpCommand = readonly string[];

/**
 * A word as a batch line must spell it for iproute2 to read it back unchanged (lib/utils.c:
 * getcmdline cuts a line at its first '#' even inside quotes; makeargs splits at " \t\r\n" and
 * reads a word that *starts* with ' or " up to the next same quote, with no escapes; a backslash
 * that ends a line joins the next one). Undefined when no spelling exists: a '#' or a line break,
 * or both quote characters in a word that needs quoting.
 */
export function batchWord(word: string): string | undefined {
  if (word === '' || /[#\r\n]/.test(word)) return undefined;
  if (!/[ \t]/.test(word) && word[0] !== "'" && word[0] !== '"' && !word.endsWith('\\')) return word;
  if (!word.includes("'")) return `'${word}'`;
  if (!word.includes('"')) return `"${word}"`;
  return undefined;
}

/** The batch line for a command, or undefined when one of its words cannot be spelled in a batch. */
export function batchLine(cmd: IpCommand): string | undefined {
  const words: string[] = [];
  for (const w of cmd) {
    const b = batchWord(w);
    if (b === undefined) return undefined;
    words.push(b);
  }
  return words.join(' ');
}

/** How a command reads in messages: its words, the odd ones JSON-quoted. */
export const showCommand = (cmd: IpCommand): string => cmd.map((w) => (/^[\w./:@%+-]+$/.test(w) ? w : JSON.stringify(w))).join(' ');

/**
 * Runs `cmds` as one `ip -batch -`. Without `force` ip stops at the first failing command, and the
 * call fails (or, with `report`, resolves with that one command in `failed`: the ones before it ran,
 * none after). With `force` every command runs and the failures come back per command (1-based),
 * so callers can accept "already gone" and nothing else. A command with a word no batch line can
 * hold (an interface or netns name with '#', say: valid in Linux) makes the whole call run one `ip`
 * per command instead, with the same outcome; names like that are rare enough to pay for it.
 */
export async function ipBatch(
  cmds: readonly IpCommand[],
  opts: { netns?: string; force?: boolean; report?: boolean; json?: boolean } = {},
): Promise<BatchOutcome> {
  const lines = cmds.map(batchLine);
  if (lines.some((l) => l === undefined)) return ipEach(cmds, opts);
  const args = [...(opts.json ? ['-j'] : []), ...(opts.force ? ['-force'] : []), '-batch', '-'];
  const [bin, argv] = argvFor(opts.netns, args);
  // spawnSync: a fresh process's first asynchronous spawn costs 7-20 ms here (stream objects,
  // loop turns); the synchronous one about 5. Nothing else waits on the plugin's event loop while
  // it wires (a pending ipamd reply simply waits in its socket).
  const r = spawnSync(bin, argv, { input: `${lines.join('\n')}\n`, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new IpBatchError(`cannot run ${bin}: ${r.error.message}`, '');
  const stdout = r.stdout.toString();
  const stderr = r.stderr.toString();
  const failed = failedBatchLines(stderr);
  if (r.status === 0) return { stdout, failed };
  if ((opts.force || opts.report) && failed.size > 0) return { stdout, failed };
  const [line] = [...failed.keys()];
  const what = line !== undefined ? `"${showCommand(cmds[line - 1]!)}"` : 'a batch';
  throw failure(what, opts.netns, (failed.get(line ?? -1) ?? stderr).trim() || `exit ${r.status ?? r.signal}`, stderr);
}

const failure = (what: string, netns: string | undefined, why: string, stderr: string): IpBatchError =>
  new IpBatchError(`ip ${what}${netns ? ` in ${netns}` : ''}: ${why}`, stderr);

/** ipBatch's semantics with one `ip` per command: each word is its own argv entry, nothing is parsed. */
function ipEach(cmds: readonly IpCommand[], opts: { netns?: string; force?: boolean; report?: boolean; json?: boolean }): BatchOutcome {
  let stdout = '';
  const failed = new Map<number, string>();
  for (let i = 0; i < cmds.length; i++) {
    const [bin, argv] = argvFor(opts.netns, [...(opts.json ? ['-j'] : []), ...cmds[i]!]);
    const r = spawnSync(bin, argv, { maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw new IpBatchError(`cannot run ${bin}: ${r.error.message}`, '');
    stdout += r.stdout.toString();
    if (r.status === 0) continue;
    const stderr = r.stderr.toString();
    const why = stderr.trim().split('\n').join('; ') || `exit ${r.status ?? r.signal}`;
    if (!opts.force && !opts.report) throw failure(`"${showCommand(cmds[i]!)}"`, opts.netns, why, stderr);
    failed.set(i + 1, why);
    if (!opts.force) break;
  }
  return { stdout, failed };
}

/** Kernel answers that mean "it is already gone": fine for DEL and for undoing. */
export const isGone = (message: string): boolean =>
  /No such file or directory|Cannot find device|No such process|does not exist|Cannot assign requested address/.test(message);
