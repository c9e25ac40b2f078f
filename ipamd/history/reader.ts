/**
 * Reading the address history back (issue 13): the files of a history directory, oldest first,
 * folded into holdings with their ends. Used by `vpcwire history` and the introspection route
 * (which read the files directly, so they answer with ipamd down) and by ipamd at start (the
 * holdings still open). Never fatal on bad bytes: a line that is not a record is skipped and
 * reported, the last line of a file cut short by a crash as `torn`.
 */
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeLine, type EndHow, type Holding, holdingId } from './record.ts';

/** `history-<UTC yyyymmddThhmmssmmmZ>-<nn>.jsonl`: fixed width, so name order is time order. */
export const HISTORY_FILE = /^history-(\d{8}T\d{9}Z)-(\d{2})\.jsonl$/;

export function historyFileName(at: number, seq = 0): string {
  const stamp = new Date(at).toISOString().replace(/[-:.]/g, '');
  return `history-${stamp}-${String(seq).padStart(2, '0')}.jsonl`;
}

/** When a history file began, from its name. */
export function fileBegan(name: string): number {
  const m = HISTORY_FILE.exec(name);
  if (!m) return NaN;
  const s = m[1]!;
  return Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(9, 11), +s.slice(11, 13), +s.slice(13, 15), +s.slice(15, 18));
}

/** One holding of one address, as far as the files tell. */
export interface HistoryRecord extends Holding {
  /** Epoch ms it ended; absent while open. For `restart-gone`, when ipamd found out. */
  readonly end?: number;
  readonly endHow?: EndHow;
  /** For `restart-gone` and `snapshot-gone`: the last sign of life (the real end is in [notBefore, end]). */
  readonly notBefore?: number;
}

export interface ReadProblem {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly error: string;
  /** The file's last line, cut short (a crash mid-write). */
  readonly torn: boolean;
}

export interface HistoryRead {
  /** Oldest first, by start. */
  readonly records: readonly HistoryRecord[];
  readonly problems: readonly ReadProblem[];
  /** The history files, oldest first. */
  readonly files: readonly string[];
}

export async function listHistoryFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => HISTORY_FILE.test(n)).sort();
}

/**
 * Reads every history file in `dir`. `ip`: keep only that address's holdings (a query over
 * months of files need not hold every pod in memory). `openOnly`: drop holdings as they end, and
 * start at the newest file that begins with a whole snapshot (every file does, unless a crash cut
 * it): what is open now is there, so ipamd's start does not read the whole history.
 */
export async function readHistory(dir: string, opts: { ip?: string; openOnly?: boolean } = {}): Promise<HistoryRead> {
  let files = await listHistoryFiles(dir);
  if (opts.openOnly) files = files.slice(await lastSnapshotFile(dir, files));
  const all = new Map<string, Mutable<HistoryRecord>>();
  const open = new Map<string, Mutable<HistoryRecord>>();
  const problems: ReadProblem[] = [];
  // Cheap pre-filter: a line that names neither the address nor is a `seen` mark or a snapshot
  // (which closes what it leaves out) is not ours.
  const wanted = opts.ip === undefined ? undefined : `"${opts.ip}"`;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(join(dir, file), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // pruned while we read
      throw e;
    }
    const lines = text.split('\n');
    lines.forEach((raw, i) => {
      if (raw.trim() === '') return;
      // (The last line is always decoded: a torn one is reported whatever it was about.)
      if (wanted && i < lines.length - 1 && !raw.includes(wanted) && !raw.includes('"e":"seen"') && !raw.includes('"e":"snapshot"')) return;
      const line = decodeLine(raw);
      if ('error' in line) {
        problems.push({ file: join(dir, file), line: i + 1, error: line.error, torn: i === lines.length - 1 });
        return;
      }
      const mine = (h: { ip: string }) => opts.ip === undefined || h.ip === opts.ip;
      switch (line.e) {
        case 'start':
        case 'snapshot':
          if (line.e === 'snapshot') closeLeftOut(open, line, opts.openOnly ? all : undefined);
          for (const h of line.e === 'start' ? [line] : line.open) {
            if (!mine(h)) continue;
            const id = holdingId(h);
            const known = all.get(id);
            if (known && known.end !== undefined && line.e === 'start') {
              // Started anew after its end: a batch whose checkpoint write failed took the end back.
              delete known.end;
              delete known.endHow;
              delete known.notBefore;
              open.set(id, known);
              continue;
            }
            if (known) {
              // A snapshot repeats a holding: it may carry a later sign of life.
              if (h.lastSeen !== undefined && (known.lastSeen ?? -1) < h.lastSeen) known.lastSeen = h.lastSeen;
              continue;
            }
            const { e: _e, ...rest } = { e: '', ...h };
            const rec: Mutable<HistoryRecord> = { ...rest };
            all.set(id, rec);
            open.set(id, rec);
          }
          break;
        case 'end': {
          if (!mine(line)) break;
          const id = holdingId(line);
          // Closed by a snapshot written just before this end (the batch that rotated): the end
          // line is exact, the snapshot's close only a bound.
          const closed = all.get(id);
          const rec = open.get(id) ?? (closed?.endHow === 'snapshot-gone' ? closed : undefined);
          if (!rec) break; // its start was in a pruned file and it ended before the next snapshot
          open.delete(id);
          delete rec.notBefore;
          if (line.how === 'aborted' || opts.openOnly) all.delete(id);
          if (line.how === 'aborted') break; // never happened
          rec.end = line.at;
          rec.endHow = line.how;
          if (line.notBefore !== undefined) rec.notBefore = line.notBefore;
          break;
        }
        case 'seen': {
          const missing = new Set(line.missing);
          for (const rec of open.values()) if (!missing.has(rec.ip) && (rec.lastSeen ?? -1) < line.at) rec.lastSeen = line.at;
          break;
        }
      }
    });
  }
  const records = [...all.values()].sort((a, b) => a.at - b.at);
  return { records, problems, files };
}

/**
 * A snapshot lists every holding open when its file began. One open before it and left out ended
 * without its end line reaching the files (the pending cap, a directory unreadable at start-up, a
 * write lost on a full disk): it is closed at the snapshot, the real end somewhere between its
 * last sign of life and then. A start after the snapshot's time (a clock that stepped back) is
 * left alone. `all`, with openOnly: closed holdings are dropped.
 */
function closeLeftOut(open: Map<string, Mutable<HistoryRecord>>, snap: { at: number; open: readonly Holding[] }, all: Map<string, unknown> | undefined): void {
  const listed = new Set(snap.open.map(holdingId));
  for (const [id, rec] of open) {
    if (listed.has(id) || rec.at > snap.at) continue;
    open.delete(id);
    all?.delete(id);
    rec.end = snap.at;
    rec.endHow = 'snapshot-gone';
    rec.notBefore = Math.min(Math.max(rec.lastSeen ?? rec.at, rec.at), snap.at);
  }
}

/** The index of the newest file whose first line is a snapshot; 0 if none is. */
async function lastSnapshotFile(dir: string, files: readonly string[]): Promise<number> {
  for (let i = files.length - 1; i > 0; i--) if (await beginsWithSnapshot(join(dir, files[i]!))) return i;
  return 0;
}

/**
 * Whether a file begins with a whole snapshot line, as every file rotation made does: not an empty
 * file, nor one whose snapshot a crash or a full disk cut short. False if it cannot be read.
 */
export async function beginsWithSnapshot(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return false;
  try {
    // A snapshot at max pods is ~250 KB; read until its newline.
    const chunks: Buffer[] = [];
    for (let pos = 0; ; ) {
      const { bytesRead, buffer } = await fh.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, pos);
      if (bytesRead === 0) return false;
      const at = buffer.subarray(0, bytesRead).indexOf(0x0a);
      chunks.push(buffer.subarray(0, at >= 0 ? at : bytesRead));
      if (at >= 0) break;
      pos += bytesRead;
    }
    const first = decodeLine(Buffer.concat(chunks).toString('utf8'));
    return !('error' in first) && first.e === 'snapshot';
  } finally {
    await fh.close();
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
