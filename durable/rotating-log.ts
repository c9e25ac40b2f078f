/**
 * Appending one log line to a private file that rotates by size and keeps a bounded number of
 * rotated files (issue 13 item 6), safe with many writers in many processes at once: ipamd writes
 * its log through it, and every CNI plugin process (dozens at once when a node starts many pods)
 * appends its one line per invocation to the same plugin log.
 *
 * Why not a library: the rotating streams for Node keep the file's size in memory and rotate
 * assuming they are its only writer (bunyan's rotating-file documents that processes must not
 * share a path; winston's File transport is known to lose logs under cluster, winstonjs/winston#267);
 * a plugin process lives for one line, so every one of them would be "the only writer". winston's
 * File transport, tested here (3.19), also lost lines across a rotation and overshot its size in a
 * burst, and, writing asynchronously, lost all 3,000 lines logged just before process.exit.
 *
 * The scheme, without locks (a lock file left by a killed process would stop rotation for good):
 * - every line is one write(2) on an O_APPEND descriptor, so concurrent lines never interleave and
 *   a line always lands whole in some file, even one renamed away meanwhile;
 * - a writer whose line would take the file past maxBytes rotates first: it checks that the path
 *   still names the file it measured (else someone rotated it already), renames it to a name no
 *   other process can pick (UTC time to the ms and the pid: rename never overwrites another's
 *   rotated file), and checks what it moved. If it lost a race and moved a newer file, it puts
 *   that back with link(2), which never replaces a file created meanwhile; failing that, the newer
 *   file simply stays as a small rotated file. No file is ever overwritten or lost to a race;
 * - then it prunes rotated files beyond maxFiles, oldest first (names sort by time); two pruners
 *   deleting the same file is harmless.
 * A file may exceed maxBytes by the lines of writers that measured it at the same moment.
 * Rotated names follow lumberjack's (upstream's rotation): `plugin-2026-12-02T21-36-01.123-4711.log`.
 */
import { closeSync, existsSync, fchmodSync, fstatSync, linkSync, openSync, readdirSync, renameSync, statSync, type Stats, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/** The log names pods, containers and addresses: only its writer's user reads it, rotated files too. */
export const LOG_FILE_MODE = 0o600;

export interface RotationLimits {
  /** Rotate before a line would take the file past this many bytes. */
  readonly maxBytes: number;
  /** Rotated files kept besides the active one (lumberjack's MaxBackups). */
  readonly maxFiles: number;
}

export interface AppendOutcome {
  /** The mode the file had when it was found readable by others and narrowed (an older writer's 0644). */
  readonly narrowedFrom?: number;
  /** True when this call rotated the file. */
  readonly rotated: boolean;
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

function parts(path: string): { dir: string; stem: string; ext: string } {
  const ext = extname(path);
  return { dir: dirname(path), stem: basename(path, ext), ext };
}

/** UTC as lumberjack writes it in rotated names: colons are awkward in file names. */
function stamp(now: Date): string {
  return now.toISOString().replace(/:/g, '-').replace(/Z$/, '');
}

/** The rotated files of `path`, oldest first. */
export function rotatedFiles(path: string): string[] {
  const { dir, stem, ext } = parts(path);
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^${esc(stem)}-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{3}-\\d+(-\\d+)?${esc(ext)}$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => re.test(n)).sort().map((n) => join(dir, n));
}

function prune(path: string, maxFiles: number): void {
  const rotated = rotatedFiles(path);
  for (const old of rotated.slice(0, Math.max(0, rotated.length - maxFiles))) {
    try {
      unlinkSync(old);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e; // another writer pruned it first
    }
  }
}

const sameFile = (a: Stats, b: Stats) => a.ino === b.ino && a.dev === b.dev;

/** Moves the file `measured` (opened through `path`) aside, unless another writer already did. */
function rotate(path: string, measured: Stats, limits: RotationLimits, clock: () => Date): boolean {
  let current: Stats;
  try {
    current = statSync(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw e;
  }
  if (!sameFile(current, measured)) return false;
  // Read the clock now, not when the line was made: names must sort in the order of rotation.
  const target = rotatedName(path, clock());
  try {
    renameSync(path, target);
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw e;
  }
  let moved: Stats | undefined;
  try {
    moved = statSync(target);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e; // else already pruned by a writer that rotated since
  }
  if (moved && !sameFile(moved, measured)) {
    // Another writer rotated between our check and our rename: we moved its fresh file. Put it
    // back unless yet another file took the name meanwhile (then it stays a rotated file), or a
    // later rotation pruned it already.
    try {
      linkSync(target, path);
      unlinkSync(target);
      return false;
    } catch (e) {
      if (errno(e) !== 'EEXIST' && errno(e) !== 'ENOENT') throw e;
    }
  }
  prune(path, limits.maxFiles);
  return true;
}

/**
 * A rotated name nobody else can take: rename(2) replaces silently, so the name carries the pid
 * (no other live process has it) and, when this process already rotated in the same millisecond
 * (a busy file fills in less), a counter. Only this process makes names with its pid, and it is
 * single-threaded, so checking first is not a race.
 */
function rotatedName(path: string, now: Date): string {
  const { dir, stem, ext } = parts(path);
  const base = join(dir, `${stem}-${stamp(now)}-${process.pid}`);
  for (let k = 0; ; k++) {
    const name = k === 0 ? `${base}${ext}` : `${base}-${k}${ext}`;
    if (!existsSync(name)) return name;
  }
}

/**
 * Appends `line` (one or more whole lines) to `path` in one write, creating it 0600 and narrowing a
 * wider mode; with `limits`, rotates first when the line would not fit. Throws what the file
 * system says (a full disk, a missing directory): callers decide whether that matters.
 */
export function appendLine(path: string, line: string, limits?: RotationLimits, clock: () => Date = () => new Date()): AppendOutcome {
  const data = Buffer.from(line);
  let narrowedFrom: number | undefined;
  let rotated = false;
  // Twice at most: after a rotation (ours or another's) the second open finds a fresh file.
  for (let attempt = 0; ; attempt++) {
    const fd = openSync(path, 'a', LOG_FILE_MODE);
    try {
      const st = fstatSync(fd);
      // A device or FIFO (/dev/null to discard, a pipe to a collector) is written as it is: its
      // mode is the system's (narrowing /dev/null would break every other user on the node) and
      // it has no size to rotate by.
      const regular = st.isFile();
      const mode = st.mode & 0o7777;
      if (regular && mode & ~LOG_FILE_MODE) {
        fchmodSync(fd, LOG_FILE_MODE);
        narrowedFrom ??= mode;
      }
      if (regular && limits && attempt === 0 && st.size > 0 && st.size + data.length > limits.maxBytes) {
        rotated = rotate(path, st, limits, clock);
        continue;
      }
      // One write(2) of the whole line: O_APPEND places it atomically after any other writer's.
      let off = writeSync(fd, data);
      while (off < data.length) off += writeSync(fd, data, off); // only after a short write (a full disk)
      return narrowedFrom === undefined ? { rotated } : { narrowedFrom, rotated };
    } finally {
      closeSync(fd);
    }
  }
}
