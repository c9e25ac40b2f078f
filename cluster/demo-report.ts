/**
 * What the demo prints: the pods with their node, address and ENI, who reaches whom, and each
 * node's warm pool, as plain aligned text tables.
 */
import type { StatusReport } from '../ipamd/api/handlers.ts';
import { table } from '../ipamd/text-table.ts';


export interface PodRow {
  readonly pod: string;
  readonly node: string;
  readonly ip: string;
  readonly eni: string;
  readonly device: number;
  readonly hostVeth: string;
  readonly addMs: number | undefined;
}

export function podTable(rows: readonly PodRow[]): string {
  return table(
    ['POD', 'NODE', 'ADDRESS', 'ENI', 'DEVICE', 'HOST VETH', 'CNI ADD'],
    rows.map((r) => [r.pod, r.node, r.ip, r.eni, `eth${r.device}`, r.hostVeth, r.addMs === undefined ? '-' : `${r.addMs.toFixed(0)} ms`]),
  );
}

/** One line per ENI: its addresses by state; then the node's targets. */
export function poolSummary(node: string, s: StatusReport): string {
  const lines = [`  ${node} (${s.instanceId}), ${s.prefixMode ? 'prefix' : 'secondary-IP'} mode:`];
  for (const e of [...s.enis].sort((a, b) => a.deviceIndex - b.deviceIndex)) {
    const addrs = [...e.addresses, ...e.prefixes.flatMap((p) => p.addresses)];
    const n = (st: string) => addrs.filter((a) => a.state === st).length;
    lines.push(
      `    eth${e.deviceIndex} ${e.id}${e.isPrimary ? ' (primary)' : ''}: ${addrs.length} addresses, ${n('assigned')} assigned, ${n('free')} free, ${n('cooling')} cooling`,
    );
  }
  lines.push(`    targets: ${Object.entries(s.poolTargets).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  return lines.join('\n');
}
