/**
 * Runs iproute2. Every change the data plane makes goes through `ip -n <netns> ...`, so the
 * calling process (in the host's root netns) never changes its own namespace's networking.
 * Batches (`ip -n NS -batch -`) keep one operation to one or two process starts (DESIGN.md §6).
 */
import { spawn } from 'node:child_process';
import { SimError } from '../errors.ts';
import type { IpCommandErrorCode } from './errors.ts';

export class IpCommandError extends SimError {
  declare readonly code: IpCommandErrorCode;
  /** the command line as a shell would show it (batch text appended after a newline) */
  readonly command: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  constructor(command: string, stderr: string, exitCode: number | null, detail?: string) {
    const why = stderr.trim().replaceAll('\n', '; ') || `exit code ${exitCode}`;
    super('SIM_DATAPLANE_IP_COMMAND_FAILED', `\`${command.split('\n')[0]}\` failed: ${why}${detail ? ` (${detail})` : ''}`);
    this.name = 'IpCommandError';
    this.command = command;
    this.stderr = stderr;
    this.exitCode = exitCode;
  }
}

interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Spawns without a shell; `input` is written to stdin. Rejects only when the program cannot start. */
export function run(file: string, args: readonly string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.on('error', () => {}); // EPIPE if `ip` exits early; its exit code tells the story
    child.stdin.end(input ?? '');
  });
}

const show = (args: readonly string[]): string => ['ip', ...args].join(' ');

/** `ip [-n netns] args...`; resolves to stdout, throws IpCommandError with the command and stderr. */
export async function ip(args: readonly string[], netns?: string): Promise<string> {
  const full = netns ? ['-n', netns, ...args] : [...args];
  const r = await run('ip', full);
  if (r.code !== 0) throw new IpCommandError(show(full), r.stderr, r.code);
  return r.stdout;
}

export interface BatchFailure {
  /** 1-based line number in the batch */
  lineNo: number;
  line: string;
  message: string;
}

/** Reads `ip -batch` stderr: error text followed by `Command failed -:N` for each failed line. */
export function parseBatchFailures(stderr: string, lines: readonly string[]): BatchFailure[] {
  const failures: BatchFailure[] = [];
  let pending: string[] = [];
  for (const text of stderr.split('\n')) {
    const m = /^Command failed -:(\d+)$/.exec(text.trim());
    if (!m) {
      if (text.trim()) pending.push(text.trim());
      continue;
    }
    const lineNo = Number(m[1]);
    failures.push({ lineNo, line: lines[lineNo - 1] ?? '?', message: pending.join('; ') });
    pending = [];
  }
  return failures;
}

/**
 * Runs `ip -n netns -batch -`. Without `force`, `ip` stops at the first failing line and this
 * throws naming that line. With `force`, every line runs and the failed ones are returned for the
 * caller to judge (e.g. deleting a link that is already gone).
 * Beware: `ip neigh add/del/replace` exits the whole batch on failure even with -force, without a
 * `Command failed` line; that shows up as an error here, never as a silent partial success.
 */
export async function ipBatch(
  netns: string,
  lines: readonly string[],
  opts: { force?: boolean } = {},
): Promise<BatchFailure[]> {
  if (lines.length === 0) return [];
  const args = ['-n', netns, ...(opts.force ? ['-force'] : []), '-batch', '-'];
  const r = await run('ip', args, `${lines.join('\n')}\n`);
  const command = `${show(args)}\n${lines.join('\n')}`;
  if (r.code === 0) return [];
  const failures = parseBatchFailures(r.stderr, lines);
  if (!opts.force || failures.length === 0) {
    const first = failures[0];
    throw new IpCommandError(
      command,
      r.stderr,
      r.code,
      first ? `batch line ${first.lineNo}: ${first.line}` : undefined,
    );
  }
  return failures;
}

/**
 * Writes IPv4/IPv6 sysctls inside a namespace. /proc/sys/net resolves to the netns of the process
 * that opens it, so a helper process must run inside the netns: `ip netns exec NS sh -c ...`
 * (sh rather than procps' sysctl, which minimal images lack).
 */
export async function writeSysctls(
  netns: string,
  settings: Readonly<Record<string, string | number>>,
): Promise<void> {
  const script = Object.entries(settings)
    .map(([key, value]) => {
      if (!/^[a-z0-9_.-]+$/i.test(key) || !/^[a-z0-9_.-]+$/i.test(String(value))) {
        throw new Error(`bad sysctl ${key}=${value}`);
      }
      return `echo ${value} > /proc/sys/${key.replaceAll('.', '/')}`;
    })
    .join(' && ');
  const args = ['netns', 'exec', netns, 'sh', '-ec', script];
  const r = await run('ip', args);
  if (r.code !== 0) throw new IpCommandError(`${show(args.slice(0, 5))} '${script}'`, r.stderr, r.code);
}

/** Names from `ip netns list` (lines look like `name (id: 3)` or just `name`). */
export async function listNetns(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

/** `ip netns del`, treating an already missing namespace as done. */
export async function deleteNetns(name: string): Promise<void> {
  const r = await run('ip', ['netns', 'del', name]);
  if (r.code !== 0 && !/No such file or directory/.test(r.stderr)) {
    throw new IpCommandError(show(['netns', 'del', name]), r.stderr, r.code);
  }
}

/** Deletes links (a veth's peer goes with it), treating links that are already gone as deleted. */
export async function ipDeleteLinks(netns: string, names: readonly string[]): Promise<void> {
  const lines = names.map((n) => `link del ${n}`);
  const failures = await ipBatch(netns, lines, { force: true });
  const real = failures.filter((f) => !/Cannot find device/.test(f.message));
  if (real.length > 0) {
    const stderr = real.map((f) => `${f.line}: ${f.message}`).join('\n');
    throw new IpCommandError(`ip -n ${netns} -force -batch -\n${lines.join('\n')}`, stderr, 1);
  }
}
