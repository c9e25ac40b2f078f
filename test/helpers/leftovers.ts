/**
 * Finding and removing what a container runtime started by a test can leave on the host when it
 * dies or is stopped half-way (DESIGN.md §7): its processes, its mounts, its cgroups, libcni's
 * cached results. Shared by the
 * containerd and podman harnesses; each removes only what is provably its own (its own socket or
 * directory in a process's arguments, mounts under its own paths, its own cgroup parent).
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../sim/dataplane/ip.ts';

/** Processes with `needle` as one of their arguments (containerd's shims carry `-address <ours>`). */
export function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd.includes(needle)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** SIGKILL to every process with `needle` as one of its arguments. */
export function killMentioning(needle: string): void {
  for (const pid of pidsMentioning(needle)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Mount points at or under any of `prefixes`, deepest first. */
export function mountsUnder(prefixes: readonly string[]): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\040/g, ' '));
  return points
    .filter((p) => prefixes.some((pre) => p === pre || p.startsWith(`${pre}/`)))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts `path`, lazily if it is busy. */
export async function unmount(path: string): Promise<void> {
  if ((await run('umount', [path])).code !== 0) await run('umount', ['-l', path]);
}

/**
 * Removes the cgroup `parent` (e.g. "/vpcwire-podman-1a2b") and everything below it in every
 * mounted cgroup hierarchy (v1 controllers and v2 alike), deepest first. A cgroup directory goes
 * with rmdir once no process is in it; what cannot be removed is returned.
 */
export function removeCgroupTree(parent: string): string[] {
  const roots = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => {
      const dash = f.indexOf('-');
      return dash > 0 && (f[dash + 1] === 'cgroup' || f[dash + 1] === 'cgroup2');
    })
    .map((f) => f[4]!);
  const failures: string[] = [];
  const remove = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) remove(join(dir, e.name));
    try {
      rmdirSync(dir);
    } catch (e) {
      failures.push(`${dir}: ${(e as Error).message}`);
    }
  };
  for (const root of new Set(roots)) {
    const dir = join(root, parent);
    if (existsSync(dir)) remove(dir);
  }
  return failures;
}

/**
 * Where libcni caches each attachment's result, `<network>-<container ID>-<ifname>` (what the
 * runtime hands DEL as prevResult). containerd 1.6 and podman 4.3 both use this default and
 * cannot be told otherwise; a sandbox that never got its DEL (its runtime was killed) leaves its
 * files here.
 */
export const CNI_CACHE_DIR = '/var/lib/cni/results';

/** libcni's cached result of one attachment (what the runtime hands DEL as prevResult, with the CNI_ARGS it sent). */
export function cniCacheFile(network: string, containerId: string, ifName = 'eth0'): string {
  return join(CNI_CACHE_DIR, `${network}-${containerId}-${ifName}`);
}

/** Removes libcni's cached results of the given containers (IDs are 64 hex digits: no clash). */
export function removeCniCache(containerIds: Iterable<string>): string[] {
  const ids = [...containerIds];
  if (!ids.length || !existsSync(CNI_CACHE_DIR)) return [];
  const failures: string[] = [];
  for (const f of readdirSync(CNI_CACHE_DIR)) {
    if (!ids.some((id) => f.includes(`-${id}-`))) continue;
    try {
      rmSync(join(CNI_CACHE_DIR, f), { force: true });
    } catch (e) {
      failures.push(`${f}: ${(e as Error).message}`);
    }
  }
  return failures;
}
