/**
 * The address history's records (issue 13): who held which address on this node, from when to
 * when, and how each holding began and ended. One JSON object per line, appended; the line format
 * is versioned by `v` so a newer reader can still read old files.
 *
 * Lines:
 * - `start`: an allocation began at `at` (how: `add`; or found at start-up without a record:
 *   `recovered-checkpoint`, `at` the checkpoint's allocation time; `recovered-kernel`, `at` when
 *   the kernel showed a live veth routing it, so the real start is at or before `at`).
 * - `end`: the holding `ip`/`since`/`cid` ended at `at` (how: `del`, `gc`, `veth-gone` (a recovered
 *   allocation whose veth vanished), `adopted` (a recovered allocation taken over by its pod's
 *   ADD), `restart-gone` (ipamd found it gone at start: the real end is between `notBefore`, the
 *   last sign of life, and `at`), `aborted` (the checkpoint write failed: it never happened)).
 * - `snapshot`: the holdings open when a file begins (rotation), so deleting older files never
 *   loses who holds an address now. A holding open before it and left out of it ended without its
 *   end line reaching the files (the pending cap, a directory unreadable at start-up): the reader
 *   closes it there as `snapshot-gone`, somewhere between its last sign of life and the snapshot.
 * - `seen`: at `at`, the kernel showed the veth of every open holding except those in `missing`
 *   (the last sign of life a later `restart-gone` reports).
 */

export const HISTORY_LINE_VERSION = 1;

export type StartHow = 'add' | 'recovered-checkpoint' | 'recovered-kernel';
export type EndHow = 'del' | 'gc' | 'veth-gone' | 'adopted' | 'restart-gone' | 'aborted' | 'snapshot-gone';

/** A holding as a `start` line records it. */
export interface Holding {
  readonly ip: string;
  /** Epoch ms; for `recovered-kernel` the latest time it can have begun. */
  readonly at: number;
  readonly how: StartHow;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly network: string;
  readonly containerId: string;
  readonly ifName: string;
  readonly eniId: string;
  readonly hostVeth: string;
  /** The last time the kernel showed its veth (kept across rotation); absent = never checked. */
  readonly lastSeen?: number;
}

export interface EndLine {
  readonly ip: string;
  /** The `at` of the holding it ends, with `containerId`: which holding. */
  readonly since: number;
  readonly containerId: string;
  readonly at: number;
  readonly how: EndHow;
  /** For `restart-gone` (and `snapshot-gone`, which only the reader makes): the last sign of life; the real end lies in [notBefore, at]. */
  readonly notBefore?: number;
}

export type HistoryLine =
  | ({ readonly e: 'start' } & Holding)
  | ({ readonly e: 'end' } & EndLine)
  | { readonly e: 'snapshot'; readonly at: number; readonly open: readonly Holding[] }
  | { readonly e: 'seen'; readonly at: number; readonly missing: readonly string[] };

export const holdingId = (h: { ip: string; at?: number; since?: number; containerId: string }): string =>
  `${h.ip}|${h.since ?? h.at}|${h.containerId}`;

export function encodeLine(line: HistoryLine): string {
  return `${JSON.stringify({ v: HISTORY_LINE_VERSION, ...line })}\n`;
}

const START_HOW = new Set<string>(['add', 'recovered-checkpoint', 'recovered-kernel']);
// Not `snapshot-gone`: the reader's conclusion, never a line written.
const END_HOW = new Set<string>(['del', 'gc', 'veth-gone', 'adopted', 'restart-gone', 'aborted']);
const isTime = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isStr = (x: unknown): x is string => typeof x === 'string';

function holding(o: Record<string, unknown>): Holding | undefined {
  const strings = ['ip', 'namespace', 'name', 'uid', 'network', 'containerId', 'ifName', 'eniId', 'hostVeth'] as const;
  if (!strings.every((k) => isStr(o[k])) || !isTime(o.at) || !START_HOW.has(o.how as string)) return undefined;
  if (o.lastSeen !== undefined && !isTime(o.lastSeen)) return undefined;
  const h = Object.fromEntries(strings.map((k) => [k, o[k]])) as Record<(typeof strings)[number], string>;
  return { ...h, at: o.at, how: o.how as StartHow, ...(o.lastSeen === undefined ? {} : { lastSeen: o.lastSeen as number }) };
}

/** One line's record, or why it is not one (a torn write, another program's bytes). */
export function decodeLine(text: string): HistoryLine | { error: string } {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    return { error: `not JSON (${(e as Error).message})` };
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { error: 'not a JSON object' };
  const r = o as Record<string, unknown>;
  if (r.v !== HISTORY_LINE_VERSION) return { error: `unknown version ${JSON.stringify(r.v)}` };
  switch (r.e) {
    case 'start': {
      const h = holding(r);
      return h ? { e: 'start', ...h } : { error: 'a start line without its fields' };
    }
    case 'end': {
      if (!isStr(r.ip) || !isStr(r.containerId) || !isTime(r.since) || !isTime(r.at) || !END_HOW.has(r.how as string)) return { error: 'an end line without its fields' };
      if (r.notBefore !== undefined && !isTime(r.notBefore)) return { error: 'an end line with a bad notBefore' };
      return {
        e: 'end', ip: r.ip, containerId: r.containerId, since: r.since, at: r.at, how: r.how as EndHow,
        ...(r.notBefore === undefined ? {} : { notBefore: r.notBefore as number }),
      };
    }
    case 'snapshot': {
      if (!isTime(r.at) || !Array.isArray(r.open)) return { error: 'a snapshot line without its fields' };
      const open = r.open.map((x) => (typeof x === 'object' && x !== null ? holding(x as Record<string, unknown>) : undefined));
      if (open.some((h) => h === undefined)) return { error: 'a snapshot line with a bad holding' };
      return { e: 'snapshot', at: r.at, open: open as Holding[] };
    }
    case 'seen':
      if (!isTime(r.at) || !Array.isArray(r.missing) || !r.missing.every(isStr)) return { error: 'a seen line without its fields' };
      return { e: 'seen', at: r.at, missing: r.missing as string[] };
    default:
      return { error: `unknown record ${JSON.stringify(r.e)}` };
  }
}
