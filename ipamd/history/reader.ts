/**
 * Reading the address history back (issue 13): the files of a history directory, oldest first,
 * folded into holdings with their ends. Used by `vpcwire history` and the introspection route
 * (which read the files directly, so they answer with ipamd down) and by ipamd at start (the
 * holdings still open). Never fatal on bad bytes: a line that is not a record is skipped and
 * reported, the last line of a file cut short by a crash as `torn`.
 */
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HistoryFold, type HistoryRecord } from './fold.ts';
import { decodeLine, HISTORY_LINE_VERSION } from './record.ts';

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

export type { HistoryRecord };

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
 *
 * Files are read a chunk at a time, never whole: memory stays at a chunk and the answer, and the
 * event loop turns between chunks, so a query over a full history (256 MiB) never holds up an ADD.
 */
export async function readHistory(dir: string, opts: { ip?: string; openOnly?: boolean } = {}): Promise<HistoryRead> {
  let files = await listHistoryFiles(dir);
  if (opts.openOnly) files = files.slice(await lastSnapshotFile(dir, files));
  const fold = new HistoryFold(opts);
  const problems: ReadProblem[] = [];
  const wanted = opts.ip === undefined ? undefined : `"${opts.ip}"`;
  for (const file of files) {
    await forEachLine(join(dir, file), (raw, n, last) => {
      if (raw.trim() === '') return;
      // (The last line is always decoded: a torn one is reported whatever it was about.)
      if (wanted && !last && !mayConcern(raw, wanted)) return;
      const line = decodeLine(raw);
      if ('error' in line) problems.push({ file: join(dir, file), line: n, error: line.error, torn: last });
      else fold.apply(line);
    });
  }
  return { records: fold.records(), problems, files };
}

const PREFIX = `{"v":${HISTORY_LINE_VERSION},"e":"`;

/**
 * Cheap pre-filter for a query by address: a line that names neither the address nor is a `seen`
 * mark or a snapshot (which closes what it leaves out) is not ours. The record kind is read where
 * encodeLine puts it; a line laid out otherwise is decoded to be sure.
 */
function mayConcern(raw: string, wanted: string): boolean {
  if (!raw.startsWith(PREFIX)) return true;
  return raw.startsWith('se', PREFIX.length) || raw.startsWith('sn', PREFIX.length) || raw.includes(wanted);
}

/** Bytes read at a time: ~1,000 lines, well under a millisecond of work between two reads. */
const CHUNK = 256 * 1024;

/**
 * Calls `each` with every line of the file (1-based number; `last`: the bytes after the final
 * newline, a line cut short), awaiting a read between chunks. A file pruned meanwhile is skipped.
 */
async function forEachLine(path: string, each: (text: string, n: number, last: boolean) => void): Promise<void> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined; // pruned while we read
    throw e;
  });
  if (!fh) return;
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry = Buffer.alloc(0);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      const end = chunk.lastIndexOf(0x0a);
      // Cut at a newline only: a UTF-8 character never spans two decoded pieces.
      if (end >= 0) for (const text of chunk.toString('utf8', 0, end).split('\n')) each(text, ++n, false);
      carry = Buffer.from(chunk.subarray(end + 1)); // a copy: `buf` is read into again
    }
    if (carry.length > 0) each(carry.toString('utf8'), ++n, true);
  } finally {
    await fh.close();
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

