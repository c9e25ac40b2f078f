/**
 * What every answer of the plugin must be, whatever it was given (issue 9 item 4): exit 0 with a
 * valid result (ADD), a VERSION report or nothing; or exit 1 with the spec's error object, a code
 * from the spec's table or vpcwire's documented ones (cni/README.md), a message, no stack trace,
 * bounded; nothing on stderr. Plus the shape of an ADD result in every spec version.
 */
import { hostVethFor } from '../../../ipamd/veth.ts';
import type { PluginRun } from '../../../cluster/plugin-exec.ts';

export const SUPPORTED = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
/** CNI 1.1's table (1-7, 11, 50, 51) and vpcwire's own (cni/README.md). */
export const DOCUMENTED_CODES = new Set([1, 2, 3, 4, 5, 6, 7, 11, 50, 51, 100, 101, 102, 103, 104]);
const ERROR_KEYS = new Set(['cniVersion', 'code', 'msg', 'details']);
const STACK = /\n\s+at |\bat [\w$.<>]+ \(|node:internal|\.cjs:\d+:\d+|\.ts:\d+:\d+/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
export const MAX_ANSWER_BYTES = 8 * 1024;

/** Problems with an answer (empty: fine). `expected` lists the acceptable codes, 0 for success. */
export function answerProblems(r: PluginRun & { timedOut?: boolean }, verb: string, expected: readonly number[]): string[] {
  const p: string[] = [];
  if (r.timedOut) return [`${verb}: no answer in time (killed)`];
  if (r.stderr !== '') p.push(`${verb}: wrote to stderr: ${JSON.stringify(r.stderr.slice(0, 300))}`);
  if (r.exitCode !== 0 && r.exitCode !== 1) p.push(`${verb}: exit ${r.exitCode}`);
  if (Buffer.byteLength(r.stdout) > MAX_ANSWER_BYTES) p.push(`${verb}: answer of ${Buffer.byteLength(r.stdout)} bytes`);
  if (r.exitCode === 0) {
    if (!expected.includes(0)) p.push(`${verb}: succeeded, expected code ${expected.join('/')}`);
    if (verb === 'VERSION') {
      const j = r.json as { cniVersion?: unknown; supportedVersions?: unknown } | undefined;
      if (!j || !SUPPORTED.includes(String(j.cniVersion)) || JSON.stringify(j.supportedVersions) !== JSON.stringify(SUPPORTED)) {
        p.push(`VERSION: bad report ${JSON.stringify(r.stdout.slice(0, 200))}`);
      }
    } else if (verb === '') {
      if (!/^CNI vpcwire plugin v\S+\nCNI protocol versions supported: /.test(r.stdout)) p.push(`about: ${JSON.stringify(r.stdout.slice(0, 100))}`);
    } else if (verb !== 'ADD' && r.stdout !== '') p.push(`${verb}: printed ${JSON.stringify(r.stdout.slice(0, 200))} on success`);
    return p;
  }
  const j = r.json;
  if (!j || typeof j !== 'object') return [...p, `${verb}: error answer is not a JSON object: ${JSON.stringify(r.stdout.slice(0, 300))}`];
  const extra = Object.keys(j).filter((k) => !ERROR_KEYS.has(k));
  if (extra.length) p.push(`${verb}: error has keys ${extra.join(', ')}`);
  if (!SUPPORTED.includes(String(j.cniVersion))) p.push(`${verb}: error cniVersion ${JSON.stringify(String(j.cniVersion).slice(0, 40))}`);
  if (typeof j.code !== 'number' || !DOCUMENTED_CODES.has(j.code)) p.push(`${verb}: undocumented code ${JSON.stringify(j.code)}`);
  else if (!expected.includes(j.code)) p.push(`${verb}: code ${j.code} (${String(j.msg).slice(0, 200)}), expected ${expected.join('/')}`);
  if (typeof j.msg !== 'string' || j.msg === '') p.push(`${verb}: no msg`);
  if (j.details !== undefined && typeof j.details !== 'string') p.push(`${verb}: details is not a string`);
  if (STACK.test(String(j.msg)) || STACK.test(String(j.details ?? ''))) p.push(`${verb}: stack trace in the error: ${JSON.stringify(r.stdout.slice(0, 300))}`);
  return p;
}

export interface Attached {
  readonly ip: string;
  readonly hostVeth: string;
}

/** An ADD result as vpcwire builds it for `cniVersion` (cni/result.ts, DESIGN.md §2, §5). */
export function resultProblems(
  json: Record<string, unknown> | undefined,
  want: { cniVersion: string; ifName: string; netnsPath: string; containerId: string; pod: { namespace?: string; name?: string }; vpcCidrPrefix: string },
): { problems: string[]; attached?: Attached } {
  const p: string[] = [];
  if (!json) return { problems: ['ADD: succeeded without a JSON result'] };
  if (json.cniVersion !== want.cniVersion) p.push(`result cniVersion ${String(json.cniVersion)}, asked ${want.cniVersion}`);
  const v11 = want.cniVersion === '1.1.0';
  const pre1 = want.cniVersion.startsWith('0.');
  const ifaces = json.interfaces as { name?: string; mac?: string; mtu?: number; sandbox?: string }[] | undefined;
  const [host, pod] = ifaces ?? [];
  const hostVeth = hostVethFor('eni', want.pod, { containerId: want.containerId, ifName: want.ifName });
  if (ifaces?.length !== 2 || !host || !pod) return { problems: [...p, `result interfaces ${JSON.stringify(ifaces)}`] };
  if (host.name !== hostVeth) p.push(`host veth ${host.name}, expected ${hostVeth} (ipamd/veth.ts hostVethFor)`);
  if (pod.name !== want.ifName || pod.sandbox !== want.netnsPath) p.push(`container interface ${JSON.stringify(pod)}`);
  for (const i of [host, pod]) {
    if (!MAC.test(i.mac ?? '')) p.push(`interface ${i.name} without a MAC`);
    if (v11 !== (i.mtu !== undefined)) p.push(`interface ${i.name} mtu ${i.mtu} in ${want.cniVersion}`);
  }
  if (host.sandbox !== undefined) p.push('host interface has a sandbox');
  const ips = json.ips as { address?: string; gateway?: string; interface?: number; version?: string }[] | undefined;
  const ip = ips?.[0];
  const addr = /^(\d+\.\d+\.\d+\.\d+)\/32$/.exec(ip?.address ?? '');
  if (ips?.length !== 1 || !addr || !addr[1]!.startsWith(want.vpcCidrPrefix)) p.push(`result ips ${JSON.stringify(ips)}`);
  if (ip && (ip.gateway !== '169.254.1.1' || ip.interface !== 1 || (ip.version === '4') !== pre1)) p.push(`result ip ${JSON.stringify(ip)}`);
  if (JSON.stringify(json.routes) !== JSON.stringify([{ dst: '0.0.0.0/0', gw: '169.254.1.1' }])) p.push(`result routes ${JSON.stringify(json.routes)}`);
  return { problems: p, ...(addr && host.name ? { attached: { ip: addr[1]!, hostVeth: host.name } } : {}) };
}
