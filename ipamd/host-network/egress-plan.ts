/**
 * Pure planning of node egress in iptables (DESIGN.md §2 "Node egress outside the VPC"): from
 * `iptables-save` and what should be, an `iptables-restore --noflush` input and a description of
 * each difference. Our chains are declared (which flushes them) and written whole; the jumps from
 * the built-in chains are made exactly one each; a table without drift is not touched at all.
 *
 * Rules are written exactly as iptables-save prints them (match order, `--nfmask/--ctmask`), so
 * "is it there" is a string comparison and a clean second pass plans nothing.
 *
 * Packet path, as upstream's AWS-SNAT-CHAIN-0 / AWS-CONNMARK-CHAIN-0 / "AWS, primary ENI":
 *  - nat PREROUTING, from pod veths: a new connection to a non-VPC, non-excluded destination gets
 *    connmark 0x80, copied to the packet mark, so rule `fwmark 0x80/0x80 lookup main` (1024) sends
 *    it out of the primary ENI even when the pod's address lives on a secondary ENI (rule 1536);
 *  - mangle PREROUTING: later packets from pod veths get the mark back from the connection (nat
 *    sees only the first); NodePort traffic arriving on the primary interface for a local address
 *    is marked too, so the pod's replies leave where the request came in;
 *  - nat POSTROUTING: whatever leaves for outside the VPC (and is not for a local address) is
 *    SNATed to the node's primary IP, the only address a NAT or internet gateway maps.
 */
import type { SnatRandomization } from '../config.ts';
import { EGRESS_MARK } from './ip-plan.ts';

export const SNAT_CHAIN = 'VPCWIRE-SNAT';
export const CONNMARK_CHAIN = 'VPCWIRE-CONNMARK';
const OUR_CHAIN = /^VPCWIRE-/;
const BUILT_IN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
const TABLES = ['nat', 'mangle'] as const;
type TableName = (typeof TABLES)[number];

export interface EgressSpec {
  readonly externalSnat: boolean;
  readonly vpcCidrs: readonly string[];
  readonly excludeSnatCidrs: readonly string[];
  readonly primaryIp: string;
  /** The primary ENI's link (found by MAC); no NodePort mark rule without it. */
  readonly primaryLink: string | undefined;
  readonly vethPrefix: string;
  readonly randomizeSnat: SnatRandomization;
}

interface TableSpec {
  /** Our chains and their rules (what follows `-A <chain> `). */
  readonly chains: ReadonlyMap<string, readonly string[]>;
  /** Jumps into our chains: built-in chain -> rule. */
  readonly jumps: readonly { readonly from: string; readonly rule: string }[];
}

const comment = (text: string): string => `-m comment --comment "vpcwire: ${text}"`;

export function desiredEgress(spec: EgressSpec): Record<TableName, TableSpec> {
  if (spec.externalSnat) return { nat: { chains: new Map(), jumps: [] }, mangle: { chains: new Map(), jumps: [] } };
  const mark = `${EGRESS_MARK}/${EGRESS_MARK}`;
  const restore = `-j CONNMARK --restore-mark --nfmask ${EGRESS_MARK} --ctmask ${EGRESS_MARK}`;
  const returns = [
    ...spec.vpcCidrs.map((c) => `-d ${c} ${comment('VPC CIDR')} -j RETURN`),
    ...spec.excludeSnatCidrs.map((c) => `-d ${c} ${comment('excluded CIDR')} -j RETURN`),
  ];
  const random = { prng: ' --random-fully', hashrandom: ' --random', none: '' }[spec.randomizeSnat];
  const pods = `-i ${spec.vethPrefix}+`;
  return {
    nat: {
      chains: new Map([
        [SNAT_CHAIN, [...returns, `${comment('SNAT to the node primary IP')} -m addrtype ! --dst-type LOCAL -j SNAT --to-source ${spec.primaryIp}${random}`]],
        [CONNMARK_CHAIN, [...returns, `${comment('mark pod connections leaving the VPC')} -j CONNMARK --set-xmark ${mark}`, `${comment('first packet routed by the mark')} ${restore}`]],
      ]),
      jumps: [
        { from: 'PREROUTING', rule: `${pods} ${comment('pod connections')} -j ${CONNMARK_CHAIN}` },
        { from: 'POSTROUTING', rule: `${comment('SNAT outside the VPC')} -j ${SNAT_CHAIN}` },
      ],
    },
    mangle: {
      chains: new Map([
        [
          CONNMARK_CHAIN,
          [
            ...(spec.primaryLink
              ? [`-i ${spec.primaryLink} ${comment('NodePort via the primary ENI')} -m addrtype --dst-type LOCAL --limit-iface-in -j CONNMARK --set-xmark ${mark}`]
              : []),
            `${pods} ${comment('pod packets get the connection mark')} ${restore}`,
          ],
        ],
      ]),
      jumps: [{ from: 'PREROUTING', rule: `${comment('egress connmark')} -j ${CONNMARK_CHAIN}` }],
    },
  };
}

export interface SavedTable {
  readonly chains: ReadonlySet<string>;
  /** Chain -> its rules in order (what follows `-A <chain> `). */
  readonly rules: ReadonlyMap<string, readonly string[]>;
}

/** Reads `iptables-save` output: per table, the declared chains and each chain's rules. */
export function parseIptablesSave(text: string): Map<string, SavedTable> {
  const out = new Map<string, { chains: Set<string>; rules: Map<string, string[]> }>();
  let cur: { chains: Set<string>; rules: Map<string, string[]> } | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      cur = { chains: new Set(), rules: new Map() };
      out.set(line.slice(1).trim(), cur);
    } else if (!cur || line.startsWith('#') || line.trim() === '') {
      continue;
    } else if (line.startsWith(':')) {
      cur.chains.add(line.slice(1).split(' ')[0]!);
    } else if (line.startsWith('-A ')) {
      const rest = line.slice(3);
      const sp = rest.indexOf(' ');
      const chain = sp === -1 ? rest : rest.slice(0, sp);
      const rule = sp === -1 ? '' : rest.slice(sp + 1);
      const list = cur.rules.get(chain) ?? [];
      list.push(rule);
      cur.rules.set(chain, list);
    } else if (line.trim() === 'COMMIT') {
      cur = undefined;
    }
  }
  return out;
}

export interface EgressPlan {
  /** Input for `iptables-restore --noflush`, or undefined when nothing differs. */
  readonly restore: string | undefined;
  readonly missing: readonly string[];
  readonly removed: readonly string[];
  /** Whether none of our chains or jumps existed (a fresh node rather than drift). */
  readonly fresh: boolean;
}

const jumpTarget = (rule: string): string | undefined => / -j (VPCWIRE-[A-Za-z0-9-]+)$|^-j (VPCWIRE-[A-Za-z0-9-]+)$/.exec(rule)?.slice(1).find(Boolean);

export function planEgress(saved: ReadonlyMap<string, SavedTable>, spec: EgressSpec): EgressPlan {
  const want = desiredEgress(spec);
  const missing: string[] = [];
  const removed: string[] = [];
  const sections: string[] = [];
  let anyOfOurs = false;
  for (const table of TABLES) {
    const t = saved.get(table) ?? { chains: new Set<string>(), rules: new Map<string, string[]>() };
    const w = want[table];
    let drift = false;
    const deletes: string[] = [];
    const appendJumps: string[] = [];
    for (const [chain, rules] of w.chains) {
      const have = t.rules.get(chain) ?? [];
      if (!t.chains.has(chain)) {
        missing.push(`${table} chain ${chain}`);
        drift = true;
        continue;
      }
      anyOfOurs = true;
      for (const r of rules) if (!have.includes(r)) missing.push(`${table} ${chain}: ${r}`);
      for (const r of have) if (!rules.includes(r)) removed.push(`${table} ${chain}: ${r}`);
      if (have.length !== rules.length || have.some((r, i) => r !== rules[i])) drift = true;
    }
    const unwanted = [...t.chains].filter((c) => OUR_CHAIN.test(c) && !w.chains.has(c));
    for (const c of unwanted) {
      anyOfOurs = true;
      removed.push(`${table} chain ${c}`);
      drift = true;
    }
    for (const from of BUILT_IN) {
      const found = (t.rules.get(from) ?? []).filter((r) => jumpTarget(r) !== undefined);
      if (found.length) anyOfOurs = true;
      const wanted = w.jumps.filter((j) => j.from === from).map((j) => j.rule);
      for (const rule of wanted) {
        const n = found.filter((r) => r === rule).length;
        if (n === 0) {
          missing.push(`${table} ${from}: ${rule}`);
          appendJumps.push(`-A ${from} ${rule}`);
        }
        for (let i = 1; i < n; i++) {
          removed.push(`${table} ${from}: duplicate ${rule}`);
          deletes.push(`-D ${from} ${rule}`);
        }
      }
      for (const rule of found.filter((r) => !wanted.includes(r))) {
        removed.push(`${table} ${from}: ${rule}`);
        deletes.push(`-D ${from} ${rule}`);
      }
    }
    if (!drift && deletes.length === 0 && appendJumps.length === 0) continue;
    sections.push(
      [
        `*${table}`,
        ...[...w.chains.keys(), ...unwanted].map((c) => `:${c} - [0:0]`),
        ...deletes,
        ...[...w.chains].flatMap(([c, rules]) => rules.map((r) => `-A ${c} ${r}`)),
        ...appendJumps,
        ...unwanted.map((c) => `-X ${c}`),
        'COMMIT',
      ].join('\n'),
    );
  }
  return { restore: sections.length ? `${sections.join('\n')}\n` : undefined, missing, removed, fresh: !anyOfOurs };
}
