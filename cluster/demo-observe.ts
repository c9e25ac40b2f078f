/**
 * The demo's last look at a node (issue 13): what an operator sees of it without reading code. A
 * few of the Prometheus series ipamd serves (upstream's names), the pool as its introspection
 * endpoint shows it, and `vpcwire history` answering who held the address of a pod that is gone.
 */
import { runHistoryCommand } from '../ipamd/history/cli.ts';
import type { LocalNode } from './local-node.ts';

/** The series the demo shows: the pool as upstream's dashboards read it, and vpcwire's by state. */
const SHOWN = /^(awscni_eni_allocated|awscni_total_ip_addresses|awscni_assigned_ip_addresses|awscni_add_ip_req_count|awscni_del_ip_req_count|vpcwire_addresses)[{ ]/;

export interface GonePod {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
}

export async function observeNode(node: LocalNode, gone: GonePod): Promise<string> {
  const { metrics, introspection } = await node.endpoints();
  const exposition = await (await fetch(`http://${metrics}/metrics`)).text();
  const series = exposition.split('\n').filter((l) => SHOWN.test(l) && !/ 0$/.test(l));
  const pool = (await (await fetch(`http://${introspection}/v1/pool`)).json()) as { totals: Record<string, number> };
  const out: string[] = [
    `  ${node.name}: GET http://${metrics}/metrics (${exposition.split('\n').filter((l) => l && !l.startsWith('#')).length} series; those of the pool and its requests, non-zero):`,
    ...series.map((l) => `    ${l}`),
    `  ${node.name}: GET http://${introspection}/v1/pool: ${Object.entries(pool.totals).map(([k, v]) => `${v} ${k}`).join(', ')}`,
    `  $ vpcwire history ${gone.ip} --dir ${node.historyDir}     (${gone.namespace}/${gone.name} was deleted above)`,
  ];
  let text = '';
  const sink = { write: (s: string) => (text += s) };
  const code = await runHistoryCommand([gone.ip, '--dir', node.historyDir], sink, sink);
  out.push(...text.trimEnd().split('\n').map((l) => `    ${l}`));
  if (code !== 0) out.push(`    (exit ${code})`);
  return out.join('\n');
}
