/**
 * The ledger's file (DESIGN.md §3 "Checkpoint"). Writes are atomic and durable: a temporary file
 * in the same directory, fsync, rename over the checkpoint, fsync the directory; a crash at any
 * point leaves either the previous file or the new one, never a mix.
 *
 * Loading never silently discards anything (issue 3, item 4): an unreadable or corrupt file is
 * copied aside to `<path>.corrupt-<time>`, reported through the logger and `onCorrupt` with every
 * reason, and the result carries what could be proven plus a `corrupt` report. If the file can be
 * neither read nor preserved, load throws IPAMD_DATASTORE_CHECKPOINT_CORRUPT rather than let a later write
 * replace it.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncPath, writeFileAtomic } from '../../durable/atomic-file.ts';
import { decodeCheckpoint, emptyCheckpointState, encodeCheckpoint } from './checkpoint-format.ts';
import { DatastoreArgumentError, DatastoreError } from './errors.ts';
import type { CheckpointState, DatastoreLogger } from './types.ts';

export interface CheckpointOptions {
  readonly path: string;
  readonly logger: DatastoreLogger;
  /** Clock for the name of a corrupt file's copy; Date.now by default. */
  readonly now?: () => number;
  /** Told about every corrupt or unreadable checkpoint, after its copy is safe. */
  readonly onCorrupt?: (report: CorruptReport) => void;
}

export interface CorruptReport {
  readonly path: string;
  /** One line: why the file is not trusted as a whole. */
  readonly reason: string;
  /** Each entry left out, with its field path. */
  readonly problems: readonly string[];
  /** Where the original bytes were preserved. */
  readonly keptAt: string;
  /** What was proven and returned. */
  readonly salvaged: { readonly allocations: number; readonly cooling: number };
}

export interface LoadResult {
  readonly state: CheckpointState;
  /** Set when the file was unreadable or corrupt: `state` holds only what could be proven. */
  readonly corrupt?: CorruptReport;
  /** Set when there was no checkpoint file at all (a new node, or a deleted file). */
  readonly missing?: true;
}

export class Checkpoint {
  readonly path: string;
  readonly #dir: string;
  readonly #tmpPrefix: string;
  readonly #logger: DatastoreLogger;
  readonly #now: () => number;
  readonly #onCorrupt: ((report: CorruptReport) => void) | undefined;
  #seq = 0;
  #dirReady = false;

  constructor(opts: CheckpointOptions) {
    if (typeof opts.path !== 'string' || opts.path === '') {
      throw new DatastoreArgumentError(`checkpoint path: expected a file path, got ${JSON.stringify(opts.path)}`);
    }
    this.path = opts.path;
    this.#dir = dirname(opts.path);
    this.#tmpPrefix = `${basename(opts.path)}.tmp-`;
    this.#logger = opts.logger;
    this.#now = opts.now ?? Date.now;
    this.#onCorrupt = opts.onCorrupt;
  }

  async load(): Promise<LoadResult> {
    await this.#removeUnfinishedWrites();
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyCheckpointState(), missing: true };
      return this.#unreadable(e as Error);
    }
    const decoded = decodeCheckpoint(text);
    if (decoded.fatal === undefined && decoded.problems.length === 0) return { state: decoded.state };
    const reason = decoded.fatal ?? `${decoded.problems.length} invalid entr${decoded.problems.length === 1 ? 'y' : 'ies'}`;
    const keptAt = await this.#preserve((dest) => copyFile(this.path, dest, constants.COPYFILE_EXCL), reason);
    return { state: decoded.state, corrupt: this.#report(reason, decoded.problems, keptAt, decoded.state) };
  }

  /** Replaces the checkpoint with `state`, durably; throws IPAMD_DATASTORE_CHECKPOINT_IO and leaves the old file otherwise. */
  async write(state: CheckpointState): Promise<void> {
    const text = encodeCheckpoint(state);
    // pid + sequence + random: unique even if a dead process with a reused pid left a temp file behind.
    const tmpName = `${this.#tmpPrefix}${process.pid}-${++this.#seq}-${randomBytes(4).toString('hex')}`;
    try {
      if (!this.#dirReady) {
        await mkdir(this.#dir, { recursive: true, mode: 0o700 });
        this.#dirReady = true;
      }
      await writeFileAtomic(this.path, text, 0o600, { tmpName });
    } catch (e) {
      throw new DatastoreError('IPAMD_DATASTORE_CHECKPOINT_IO', `writing checkpoint ${this.path} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** A temporary file left by a crash belongs to a call that never returned: it is never the truth. */
  async #removeUnfinishedWrites(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return; // no directory yet: nothing to clean, and readFile reports the rest
    }
    for (const name of names.filter((n) => n.startsWith(this.#tmpPrefix))) {
      await rm(join(this.#dir, name), { force: true });
      this.#logger.warn('removed an unfinished checkpoint write left by a crash; the checkpoint itself is intact', {
        file: join(this.#dir, name),
      });
    }
  }

  async #unreadable(error: Error): Promise<LoadResult> {
    const reason = `unreadable: ${error.message}`;
    // A file we cannot read we cannot copy either; moving it aside keeps its bytes all the same.
    const keptAt = await this.#preserve((dest) => rename(this.path, dest), reason);
    const state = emptyCheckpointState();
    return { state, corrupt: this.#report(reason, [], keptAt, state) };
  }

  async #preserve(store: (dest: string) => Promise<void>, reason: string): Promise<string> {
    const stamp = new Date(this.#now()).toISOString().replace(/[:.]/g, '-');
    for (let n = 0; ; n++) {
      const dest = `${this.path}.corrupt-${stamp}${n === 0 ? '' : `-${n}`}`;
      try {
        await store(dest);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST' && n < 100) continue;
        throw new DatastoreError(
          'IPAMD_DATASTORE_CHECKPOINT_CORRUPT',
          `checkpoint ${this.path} is not usable (${reason}) and could not be preserved at ${dest}: ${(e as Error).message}; refusing to continue so that it is not overwritten`,
          { cause: e, details: { path: this.path, reason } },
        );
      }
      try {
        await fsyncPath(dest).catch(() => undefined); // a directory moved aside cannot be fsynced as a file
        await fsyncPath(this.#dir);
      } catch (e) {
        this.#logger.warn('could not fsync the preserved copy of a corrupt checkpoint', { keptAt: dest, error: (e as Error).message });
      }
      return dest;
    }
  }

  #report(reason: string, problems: readonly string[], keptAt: string, state: CheckpointState): CorruptReport {
    const report: CorruptReport = Object.freeze({
      path: this.path,
      reason,
      problems: Object.freeze([...problems]),
      keptAt,
      salvaged: Object.freeze({ allocations: state.allocations.length, cooling: state.cooling.length }),
    });
    this.#logger.error(
      `CHECKPOINT CORRUPT: ${this.path} (${reason}); original kept at ${keptAt}; continuing with ${state.allocations.length} proven allocation(s) and ${state.cooling.length} cooldown(s)`,
      { code: 'IPAMD_DATASTORE_CHECKPOINT_CORRUPT', ...report },
    );
    this.#onCorrupt?.(report);
    return report;
  }
}
