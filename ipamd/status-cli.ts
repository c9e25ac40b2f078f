import { parseArgs } from 'node:util';
import { connectIpam } from './api/client.ts';
import type { StatusReport } from './api/handlers.ts';

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
  for (const a of s.allocations) {
    const pod = a.pod.namespace || a.pod.name ? `${a.pod.namespace ?? ''}/${a.pod.name ?? ''}` : '(no pod: runtime passed no K8S_POD_*)';
    lines.push(`  ${a.ipv4Address.padEnd(15)} ${pod}  ${a.key.networkName}/${a.key.containerId.slice(0, 12)}/${a.key.ifName}  ${a.eniId}`);
  }
  return `${lines.join('\n')}\n`;
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
  const socket = values.socket ?? process.env.VPCWIRE_SOCKET ?? '/run/vpcwire/ipamd.sock';
  const client = connectIpam(socket, { deadlineMs: 3000 });
  try {
    const s = await client.getStatus();
    process.stdout.write(values.json ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s));
    return 0;
  } catch (e) {
    process.stderr.write(`vpcwire status: cannot read ipamd's status at ${socket}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    client.close();
  }
}
