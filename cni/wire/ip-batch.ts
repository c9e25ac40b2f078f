/**
 * The plugin's only way into the kernel: iproute2's `ip -batch -`, one process per network
 * namespace touched (DESIGN.md §6: two batches cost about 6 ms here; Node has no netlink socket).
 * The node side runs in the plugin's own netns (the runtime execs it in the node's root netns);
 * the pod side in CNI_NETNS, through `ip -n <name>` when the path is under /run/netns (one exec),
 * else through `nsenter --net=<path>`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname } from 'node:path';

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

export class IpBatchError extends Error {
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
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

/**
 * Runs `lines` as one `ip -batch -`. Without `force` ip stops at the first failing line, and the
 * call fails (or, with `report`, resolves with that one line in `failed`: the lines before it ran,
 * none after). With `force` every line runs and the failures come back per line, so callers can
 * accept "already gone" and nothing else.
 */
export async function ipBatch(
  lines: readonly string[],
  opts: { netns?: string; force?: boolean; report?: boolean; json?: boolean } = {},
): Promise<BatchOutcome> {
  const args = [...(opts.json ? ['-j'] : []), ...(opts.force ? ['-force'] : []), '-batch', '-'];
  const [bin, argv] = argvFor(opts.netns, args);
  // spawnSync: a fresh process's first asynchronous spawn costs 7-20 ms here (stream objects,
  // loop turns); the synchronous one about 5. Nothing else waits on the plugin's event loop while
  // it wires (a pending ipamd reply simply waits in its socket).
  const r = spawnSync(bin, argv, { input: `${lines.join('\n')}\n`, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new IpBatchError(`cannot run ${bin}: ${r.error.message}`, '');
  const stdout = r.stdout.toString();
  const stderr = r.stderr.toString();
  const failed = failedLines(stderr);
  if (r.status === 0) return { stdout, failed };
  if ((opts.force || opts.report) && failed.size > 0) return { stdout, failed };
  const where = opts.netns ? ` in ${opts.netns}` : '';
  const [line] = [...failed.keys()];
  const what = line !== undefined ? `"${lines[line - 1]}"` : 'a batch';
  throw new IpBatchError(`ip ${what}${where}: ${(failed.get(line ?? -1) ?? stderr).trim() || `exit ${r.status ?? r.signal}`}`, stderr);
}

/** `RTNETLINK answers: File exists\nCommand failed -:3` -> {3: "RTNETLINK answers: File exists"}. */
function failedLines(stderr: string): Map<number, string> {
  const failed = new Map<number, string>();
  let pending: string[] = [];
  for (const text of stderr.split('\n')) {
    const m = /^Command failed -:(\d+)$/.exec(text.trim());
    if (m) {
      failed.set(Number(m[1]), pending.join('; ') || 'failed');
      pending = [];
    } else if (text.trim()) pending.push(text.trim());
  }
  return failed;
}

/** Kernel answers that mean "it is already gone": fine for DEL and for undoing. */
export const isGone = (message: string): boolean =>
  /No such file or directory|Cannot find device|No such process|does not exist|Cannot assign requested address/.test(message);
