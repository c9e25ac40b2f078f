import { lstat } from 'node:fs/promises';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { DEFAULT_GRPC_SOCKET } from '../contract/paths.ts';
import { connectIpam } from './api/client.ts';
import type { StatusReport } from './api/handlers.ts';
import { table } from './text-table.ts';

export const STATUS_USAGE = `vpcwire status options:
  --socket PATH   ipamd's socket (default $VPCWIRE_SOCKET or /run/vpcwire/ipamd.sock)
  --json          print the raw status as JSON`;

/** A human view of a node's pool: ENIs and their addresses, allocations, targets. */
export function formatStatus(s: StatusReport): string {
  const lines: string[] = [];
  const count = (state: string) => s.enis.reduce((n, e) => n + e.addresses.filter((a) => a.state === state).length
    + e.prefixes.reduce((m, p) => m + p.addresses.filter((a) => a.state === state).length, 0), 0);
  lines.push(
    `node ${s.instanceId}  mode ${s.prefixMode ? 'prefix (/28)' : 'secondary IP'}  ${s.serving ? 'SERVING' : 'NOT SERVING'}  api ${s.apiVersion}`,
    `addresses: ${count('assigned')} assigned, ${count('free')} free, ${count('cooling')} cooling`,
    `targets: ${Object.entries(s.poolTargets).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    '',
    'ENIs:',
  );
  for (const e of [...s.enis].sort((a, b) => a.deviceIndex - b.deviceIndex)) {
    lines.push(`  ${e.id}  device ${e.deviceIndex}${e.isPrimary ? ' (primary)' : ''}  ${e.mac}  ${e.primaryIp}  ${e.subnetCidr}`);
    for (const a of e.addresses) lines.push(`    ${a.ip.padEnd(15)} ${a.state}`);
    for (const p of e.prefixes) {
      const used = p.addresses.filter((a) => a.state !== 'free').length;
      lines.push(`    ${p.prefix.padEnd(18)} prefix, ${used}/16 in use`);
    }
  }
  lines.push('', 'allocations:');
  if (s.allocations.length === 0) lines.push('  (none)');
  else {
    const rows = s.allocations.map((a) => {
      const pod = a.recovered
        ? `(recovered from the kernel: veth ${a.hostVethName ?? '?'})`
        : a.pod.namespace || a.pod.name
          ? `${a.pod.namespace ?? ''}/${a.pod.name ?? ''}`
          : '(no pod: runtime passed no K8S_POD_*)';
      const attachment = a.recovered ? '-' : `${a.key.networkName}/${a.key.containerId.slice(0, 12)}/${a.key.ifName}`;
      return [a.ipv4Address, pod, attachment, a.eniId];
    });
    lines.push(table(['ADDRESS', 'POD', 'ATTACHMENT', 'ENI'], rows));
  }
  return `${lines.join('\n')}\n`;
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;
const WHERE = '(start ipamd, or point --socket or VPCWIRE_SOCKET at its socket)';
const AS_WHOM = "run vpcwire status as root or as ipamd's user";

/**
 * Why nothing answers on the socket, in plain words (no socket, nothing listening, permission
 * denied, not a socket), or undefined when something accepts connections there.
 */
export async function socketProblem(path: string): Promise<string | undefined> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return `ipamd is not running: there is no socket at ${path} ${WHERE}`;
    if (errno(e) === 'EACCES') return `permission denied looking up ${path}: its directory is private to ipamd; ${AS_WHOM}`;
    return `cannot look up ${path}: ${(e as Error).message}`;
  }
  if (!isSocket) return `${path} is not a socket (point --socket or VPCWIRE_SOCKET at ipamd's socket)`;
  const code = await new Promise<string | undefined>((resolve) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(undefined);
    });
    sock.once('error', (e) => resolve(errno(e) ?? e.message));
  });
  if (code === undefined) return undefined;
  if (code === 'ECONNREFUSED') return `ipamd is not running: nothing listens on ${path} (a socket left by an ipamd that did not shut down cleanly) ${WHERE}`;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied connecting to ${path} (the socket is 0600); ${AS_WHOM}`;
  return `cannot connect to ${path}: ${code}`;
}

export async function runStatusCommand(args: string[]): Promise<number> {
  let values: { socket?: string; json?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args,
      options: { socket: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (e) {
    process.stderr.write(`vpcwire status: ${(e as Error).message}\n\n${STATUS_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${STATUS_USAGE}\n`);
    return 0;
  }
  const socket = values.socket ?? process.env.VPCWIRE_SOCKET ?? DEFAULT_GRPC_SOCKET;
  const client = connectIpam(socket, { deadlineMs: 3000 });
  try {
    const s = await client.getStatus();
    process.stdout.write(values.json ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s));
    return 0;
  } catch (e) {
    // gRPC says UNAVAILABLE for all of them, with an empty "Resolution note:"; say which it is.
    const problem = await socketProblem(socket);
    const answer = (e as Error).message.replace(/\s*Resolution note:\s*$/, '');
    process.stderr.write(`vpcwire status: ${problem ?? `cannot read ipamd's status at ${socket}: ${answer}`}\n`);
    return 1;
  } finally {
    client.close();
  }
}
