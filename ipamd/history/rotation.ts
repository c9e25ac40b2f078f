/**
 * Bounding the address history (issue 13 item 3): by size per file, by number of files and by age.
 * A new file begins with a snapshot of the holdings open at that moment (journal.ts), so removing
 * any older file loses only holdings that had ended: who holds an address now is always in the
 * newest file.
 *
 * Defaults, for a busy node. A holding costs two lines of about 330 bytes (pod name, namespace,
 * UID, a 64-character container ID, veth, ENI): ~0.65 KB per pod lifecycle. A CI node churning one
 * pod every 2 s all day writes 43,200 x 0.65 KB = ~28 MB a day; a typical node (a pod a minute)
 * under 1 MB. 16 files of 16 MiB = 256 MiB on disk at most: 9 days at that extreme churn, and the
 * 30-day age limit (what Flow Logs and GuardDuty investigations usually look back over) for any
 * node under ~8.7 MB a day (~13,000 pods a day). A snapshot at max pods (737 on the largest
 * types) is ~250 KB, small against 16 MiB. Files also rotate once they are a quarter of the age
 * limit old, so a quiet node's history ages out in steps of ~7 days instead of never.
 */
import { type FileHandle, mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncPath } from '../../durable/atomic-file.ts';
import { beginsWithSnapshot, fileBegan, historyFileName, listHistoryFiles } from './reader.ts';

/** `history/` beside the checkpoint (/var/lib/vpcwire/history with the default checkpoint). */
export const historyDirBeside = (checkpointPath: string): string => join(dirname(checkpointPath), 'history');
export const DEFAULT_HISTORY_DIR = '/var/lib/vpcwire/history';
export const DEFAULT_MAX_FILE_MB = 16;
export const DEFAULT_MAX_FILES = 16;
export const DEFAULT_MAX_AGE_DAYS = 30;
export const DAY_MS = 86_400_000;

export interface RotationLimits {
  /** VPCWIRE_HISTORY_MAX_SIZE_MB in bytes: a file past this is closed and a new one begun. */
  readonly maxFileBytes: number;
  /** VPCWIRE_HISTORY_MAX_FILES: the newest this many files are kept (the current one always). */
  readonly maxFiles: number;
  /** VPCWIRE_HISTORY_MAX_AGE_DAYS in ms: a file whose every record is older than this goes. */
  readonly maxAgeMs: number;
}

/** A write that came back short (ENOSPC part-way: the kernel took what fitted, and no error). */
export const shortWrite = (wrote: number, of: number): Error =>
  Object.assign(new Error(`short write: ${wrote} of ${of} bytes written (the disk is full?)`), { code: 'ESHORTWRITE' });

/**
 * A new history file, 0600, holding `snapshot` durably (and its directory entry: old files are
 * removed only after it exists, so the open holdings are never in no file). If the snapshot
 * cannot be written the file is closed and removed: no empty file, no open handle.
 */
export async function beginHistoryFile(dir: string, now: number, snapshot: string): Promise<{ fh: FileHandle; name: string; bytes: number }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = new Set(await listHistoryFiles(dir));
  let seq = 0;
  while (existing.has(historyFileName(now, seq))) seq++;
  const name = historyFileName(now, seq);
  const path = join(dir, name);
  const fh = await open(path, 'a', 0o600);
  const data = Buffer.from(snapshot);
  try {
    await fh.chmod(0o600); // the umask may have narrowed the mode given to open()
    const { bytesWritten } = await fh.write(data);
    if (bytesWritten < data.length) throw shortWrite(bytesWritten, data.length);
    await fh.datasync();
    await fsyncPath(dir);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw e;
  }
  return { fh, name, bytes: data.length };
}

export function shouldRotate(file: { began: number; bytes: number }, now: number, limits: RotationLimits): boolean {
  return file.bytes >= limits.maxFileBytes || now - file.began >= limits.maxAgeMs / 4;
}

/**
 * Removes files past the limits, never `current`. A file holds records from its own start to the
 * next file's start, so it is past the age limit once the next file began before now - maxAge.
 * Only files that begin with a whole snapshot count towards maxFiles, and only files older than
 * the oldest of those kept go for it: empty files (a crash between creating a file and writing its
 * snapshot, or an older vpcwire on a full disk, which left one per failed batch) hold nothing and
 * are removed, and never push a file of real history out.
 */
export async function pruneHistory(dir: string, current: string, now: number, limits: RotationLimits): Promise<string[]> {
  const doomed = new Set<string>();
  const files: string[] = [];
  for (const name of await listHistoryFiles(dir)) {
    const size = await stat(join(dir, name)).then((s) => s.size, () => undefined);
    if (size === undefined) continue; // gone meanwhile
    if (size === 0 && name !== current) doomed.add(name);
    else files.push(name);
  }
  files.forEach((name, i) => {
    const next = files[i + 1];
    if (name !== current && next !== undefined && fileBegan(next) <= now - limits.maxAgeMs) doomed.add(name);
  });
  const kept = files.filter((n) => !doomed.has(n));
  const counted: string[] = [];
  for (const name of kept) if (name === current || (await beginsWithSnapshot(join(dir, name)))) counted.push(name);
  const oldestKept = counted[Math.max(0, counted.length - limits.maxFiles)];
  for (const name of kept) if (oldestKept !== undefined && name < oldestKept && name !== current) doomed.add(name);
  for (const name of doomed) {
    await unlink(join(dir, name)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
  if (doomed.size > 0) await fsyncPath(dir);
  return [...doomed];
}
