/**
 * The only place ipamd runs kernel commands (`ip`, `iptables-save`, `iptables-restore`). Every
 * command goes to one network namespace: ipamd's own (production, a hostNetwork pod) or the one
 * VPCWIRE_HOST_NETNS names (the local emulator, where ipamd runs in the host netns beside its
 * loopback EC2/IMDS but the node is a netns). Nothing here ever targets another namespace.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { failedBatchLines } from '../../iproute/batch-output.ts';
import { IpamdError } from '../errors.ts';
import type { IpSnapshot } from './snapshot.ts';
import { parseSnapshot } from './snapshot.ts';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** Runs a program with arguments (no shell) and stdin; the seam tests replace. */
export type Exec = (file: string, args: readonly string[], input?: string) => Promise<CommandResult>;

export const spawnExec: Exec = (file, args, input) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.on('error', () => {}); // EPIPE when the program exits early; its exit code tells
    child.stdin.end(input ?? '');
  });

/** One failed line of an `ip -batch` run. */
export interface BatchFailure {
  readonly line: string;
  readonly message: string;
}

/** What ipamd asks of the kernel, in one namespace. */
export interface KernelCommands {
  /** Where the commands go, for logs: the netns name or path, or "own netns". */
  readonly where: string;
  /** Links with their addresses, all routes of all tables, all rules (one `ip -batch`). */
  snapshot(): Promise<IpSnapshot>;
  /**
   * `ip -batch`. Without `force` the first failing line throws; with it every line runs and the
   * failures are returned for the caller to judge (deleting what is already gone).
   */
  ipBatch(lines: readonly string[], opts?: { force?: boolean }): Promise<BatchFailure[]>;
  /** The names of the links (pod veths are looked up in this, once, at restore). */
  linkNames(): Promise<Set<string>>;
  iptablesSave(): Promise<string>;
  /** `iptables-restore --noflush`: each table in the input is committed atomically. */
  iptablesRestore(input: string): Promise<void>;
  /** A sysctl of this namespace, by its path under /proc/sys (e.g. net/ipv4/conf/eth0/rp_filter). */
  readSysctl(key: string): Promise<string>;
  writeSysctl(key: string, value: string): Promise<void>;
}

/** /proc/sys/net resolves to the netns of the process that opens it: a helper enters the netns. */
function sysctlPath(key: string, value?: string): string {
  if (!/^net\/[A-Za-z0-9_./-]+$/.test(key) || key.split('/').includes('..') || (value !== undefined && !/^[0-9]+$/.test(value))) {
    throw new IpamdError('IPAMD_INTERNAL', `refusing sysctl ${key}=${value ?? ''}`);
  }
  return `/proc/sys/${key}`;
}

/**
 * Commands for the namespace `netns` names: undefined = the calling process's own; a name =
 * /run/netns/<name> (`ip -n`, `nsenter --net=/run/netns/<name>`); an absolute path = that file.
 */
export function kernelCommands(netns: string | undefined, exec: Exec = spawnExec): KernelCommands {
  const nsPath = netns === undefined ? undefined : netns.startsWith('/') ? netns : `/run/netns/${netns}`;
  const ipCmd = (args: readonly string[]): [string, string[]] => {
    if (netns === undefined) return ['ip', [...args]];
    if (!netns.startsWith('/')) return ['ip', ['-n', netns, ...args]];
    return ['nsenter', [`--net=${nsPath}`, 'ip', ...args]];
  };
  const inNs = (file: string, args: readonly string[]): [string, string[]] =>
    nsPath === undefined ? [file, [...args]] : ['nsenter', [`--net=${nsPath}`, file, ...args]];
  const run = async ([file, args]: [string, string[]], input?: string): Promise<CommandResult> => {
    try {
      return await exec(file, args, input);
    } catch (e) {
      throw new IpamdError('IPAMD_INTERNAL', `cannot run ${file}: ${(e as Error).message}`, { cause: e });
    }
  };
  const failed = (cmd: [string, string[]], r: CommandResult, detail = ''): IpamdError =>
    new IpamdError(
      'IPAMD_INTERNAL',
      `\`${[cmd[0], ...cmd[1]].join(' ')}\` failed (exit ${r.code}): ${r.stderr.trim().replaceAll('\n', '; ')}${detail}`,
    );

  return {
    where: netns ?? 'own netns',
    async snapshot() {
      const cmd = ipCmd(['-j', '-batch', '-']);
      const r = await run(cmd, 'addr show\nroute show table all\nrule show\n');
      if (r.code !== 0) throw failed(cmd, r);
      return parseSnapshot(r.stdout);
    },
    async ipBatch(lines, opts = {}) {
      if (lines.length === 0) return [];
      const cmd = ipCmd([...(opts.force ? ['-force'] : []), '-batch', '-']);
      const r = await run(cmd, `${lines.join('\n')}\n`);
      if (r.code === 0) return [];
      const failures = batchFailures(r.stderr, lines);
      if (!opts.force || failures.length === 0) {
        const first = failures[0];
        throw failed(cmd, r, first ? ` at \`${first.line}\`` : ` running:\n${lines.join('\n')}`);
      }
      return failures;
    },
    async linkNames() {
      const cmd = ipCmd(['-j', 'link', 'show']);
      const r = await run(cmd);
      if (r.code !== 0) throw failed(cmd, r);
      return new Set((JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname));
    },
    async iptablesSave() {
      const cmd = inNs('iptables-save', []);
      const r = await run(cmd);
      if (r.code !== 0) throw failed(cmd, r);
      return r.stdout;
    },
    async iptablesRestore(input) {
      // -w: wait for the xtables lock (legacy backend) instead of failing beside kube-proxy.
      const cmd = inNs('iptables-restore', ['-w', '5', '--noflush']);
      const r = await run(cmd, input);
      if (r.code !== 0) throw failed(cmd, r, ` applying:\n${input}`);
    },
    async readSysctl(key) {
      const path = sysctlPath(key);
      if (nsPath === undefined) return (await readFile(path, 'utf8')).trim();
      const cmd = inNs('cat', [path]);
      const r = await run(cmd);
      if (r.code !== 0) throw failed(cmd, r);
      return r.stdout.trim();
    },
    async writeSysctl(key, value) {
      const path = sysctlPath(key, value);
      if (nsPath === undefined) return writeFile(path, `${value}\n`);
      const cmd = inNs('sh', ['-c', `echo ${value} > ${path}`]);
      const r = await run(cmd);
      if (r.code !== 0) throw failed(cmd, r);
    },
  };
}

/** Reads `ip -batch` stderr (iproute/batch-output.ts) into the failed lines with their complaint. */
export function batchFailures(stderr: string, lines: readonly string[]): BatchFailure[] {
  return [...failedBatchLines(stderr)].map(([n, message]) => ({ line: lines[n - 1] ?? '?', message }));
}
