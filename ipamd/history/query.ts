/**
 * Answering "who held this address?" from the history (issue 13 item 4), shared by the CLI and
 * the introspection route, so both give the same answer at the same boundaries:
 *
 * - A holding covers the half-open interval [start, end): held at t if start <= t < end, and an
 *   open holding has no end. So at the instant one pod released an address and another took it,
 *   the answer is the new one (the old one's end is not included).
 * - A holding ipamd found gone at start-up (`restart-gone`, or a DEL replayed from a release note),
 *   or whose end line was lost and a later file's snapshot left out (`snapshot-gone`), ended
 *   somewhere in [notBefore, end]: at t < notBefore it was held; in [notBefore, end) it was
 *   `possibly` held ("held until somewhere between X and Y").
 * - A holding recovered from the kernel (`recovered-kernel`) began at or before its start: only
 *   times from its start on are answered.
 */
import { parseIpv4 } from '../datastore/ipv4.ts';
import { IpamdError } from '../errors.ts';
import type { HistoryRecord } from './reader.ts';

/** A bad address or time in a history query (the CLI exits 2, the route answers 400). */
export class HistoryQueryError extends IpamdError {
  constructor(message: string) {
    super('IPAMD_HISTORY_BAD_QUERY', message);
    this.name = 'HistoryQueryError';
  }
}

export interface HeldAnswer {
  readonly record: HistoryRecord;
  /** `held`: certainly; `possibly`: inside the uncertain end of a holding found gone at start-up. */
  readonly certainty: 'held' | 'possibly';
}

export function parseAddress(text: string | undefined | null): string {
  if (text === undefined || text === null || text === '') throw new HistoryQueryError('an address is required (an IPv4 address such as 10.0.3.7)');
  if (parseIpv4(text) === undefined) throw new HistoryQueryError(`invalid address ${JSON.stringify(text)}: expected an IPv4 address such as 10.0.3.7`);
  return text;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** RFC 3339 (`2026-12-02T21:14:05Z`, fractions and offsets allowed) or `now`, to epoch ms. */
export function parseTime(text: string, now: () => number = Date.now): number {
  if (text === 'now') return now();
  const m = RFC3339.exec(text);
  const bad = (why: string) => new HistoryQueryError(`invalid time ${JSON.stringify(text)}: ${why}`);
  if (!m) throw bad('expected RFC 3339 (such as 2026-12-02T21:14:05Z) or now');
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysIn = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn || h > 23 || mi > 59 || s > 59) throw bad('a field is out of range');
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) throw bad('the offset is out of range');
  // Milliseconds are the history's resolution: finer fractions are cut, never rounded up.
  const frac = (m[7] ?? '').slice(0, 4).padEnd(4, '0');
  const iso = `${m.slice(1, 4).join('-')}T${m.slice(4, 7).join(':')}${frac === '0000' ? '' : frac}${m[8]!.toUpperCase()}`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw bad('not a time');
  return t;
}

/** Who held the address at `t`, newest holding first (normally one, or none). */
export function heldAt(records: readonly HistoryRecord[], t: number): HeldAnswer[] {
  const out: HeldAnswer[] = [];
  for (const r of records) {
    if (t < r.at) continue;
    if (r.end === undefined || t < (r.notBefore ?? r.end)) out.push({ record: r, certainty: 'held' });
    else if (t < r.end) out.push({ record: r, certainty: 'possibly' });
  }
  return out.sort((a, b) => b.record.at - a.record.at);
}

/** Newest first. */
export function newestFirst(records: readonly HistoryRecord[]): HistoryRecord[] {
  return [...records].sort((a, b) => b.at - a.at);
}

export const iso = (t: number): string => new Date(t).toISOString();

/** "from X" / "until Y" as a person reads them, with the uncertain parts said so. */
export function describeSpan(r: HistoryRecord): { from: string; until: string } {
  const from = r.how === 'recovered-kernel' ? `${iso(r.at)} at the latest (found running)` : iso(r.at);
  let until: string;
  if (r.end === undefined) until = 'now (still held)';
  else if (r.notBefore !== undefined) until = `somewhere between ${iso(r.notBefore)} and ${iso(r.end)} (${uncertainEnd(r.endHow)})`;
  else until = `${iso(r.end)} (${r.endHow})`;
  return { from, until };
}

function uncertainEnd(how: HistoryRecord['endHow']): string {
  if (how === 'restart-gone') return 'ipamd found it gone at start-up';
  if (how === 'snapshot-gone') return "its end was not recorded; gone by the next file's snapshot";
  if (how === 'del') return "its DEL, replayed at start-up from the plugin's release note";
  return `${how} at start-up`;
}

/** The pod as a person reads it: namespace/name, or what is known instead. */
export function podLabel(r: HistoryRecord): string {
  if (r.namespace || r.name) return `${r.namespace}/${r.name}`;
  return r.how === 'recovered-kernel' ? `(unknown pod: recovered from the kernel, veth ${r.hostVeth})` : '(no pod: runtime passed no K8S_POD_*)';
}

/**
 * A record for machines. `withContainer`: the container ID and interface (the CLI, root on the
 * node); the introspection route leaves them out, as upstream's introspection scrubs container IDs.
 */
export function recordJson(r: HistoryRecord, opts: { withContainer: boolean }): Record<string, unknown> {
  return {
    ip: r.ip,
    pod: { namespace: r.namespace, name: r.name, uid: r.uid },
    ...(opts.withContainer ? { network: r.network, containerId: r.containerId, ifName: r.ifName, hostVeth: r.hostVeth } : {}),
    eniId: r.eniId,
    start: iso(r.at),
    startHow: r.how,
    ...(r.end === undefined ? {} : { end: iso(r.end), endHow: r.endHow }),
    ...(r.notBefore === undefined ? {} : { endNotBefore: iso(r.notBefore) }),
  };
}
