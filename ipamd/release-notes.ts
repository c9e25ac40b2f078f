import { chmod, lstat, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeReleaseNote, RELEASE_NOTE_SUFFIX } from '../contract/release-note.ts';

/**
 * Release notes: when ipamd is down, the CNI plugin's DEL leaves a small JSON file here (DESIGN.md
 * §5; the format is the contract's, contract/release-note.ts); ipamd replays them at start.
 *
 * A note makes ipamd give an address back, so only notes the plugin (root, like ipamd) could have
 * written count: a note owned by another user is left in place, never replayed, and a directory
 * others can write is narrowed to 0700 when it is ipamd's own (said so in the log).
 */
export interface ReleaseNote {
  readonly file: string;
  readonly network: string;
  readonly containerId: string;
  readonly ifName: string;
}

interface NotesLogger {
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

const RELEASE_NOTES_DIR_MODE = 0o700;

async function secureDir(dir: string, logger?: NotesLogger): Promise<boolean> {
  const st = await stat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!st) return false;
  const mode = st.mode & 0o7777;
  if (!(mode & 0o022)) return true;
  // A shared directory (sticky, like /tmp) or someone else's is never chmodded: warn, and let the
  // owner check on each note do the protecting.
  if (st.uid === process.getuid?.() && !(mode & 0o1000)) {
    await chmod(dir, RELEASE_NOTES_DIR_MODE);
    logger?.warn('narrowed the release-notes directory to 0700: others could write notes that make ipamd release addresses', { dir, from: mode.toString(8) });
  } else {
    logger?.warn('others can write the release-notes directory; only notes owned by ipamd are replayed', { dir, mode: mode.toString(8), owner: st.uid });
  }
  return true;
}

export async function readReleaseNotes(dir: string, logger?: NotesLogger): Promise<{ notes: ReleaseNote[]; bad: string[] }> {
  if (!(await secureDir(dir, logger))) return { notes: [], bad: [] };
  const names = (await readdir(dir)).filter((n) => n.endsWith(RELEASE_NOTE_SUFFIX)).sort();
  const notes: ReleaseNote[] = [];
  const bad: string[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      const st = await lstat(file);
      if (!st.isFile()) {
        bad.push(file);
        continue;
      }
      if (st.uid !== process.getuid?.()) {
        logger?.warn('release note not replayed: owned by another user, left in place', { file, owner: st.uid });
        continue;
      }
      const key = decodeReleaseNote(await readFile(file, 'utf8'));
      if (!key) {
        bad.push(file);
        continue;
      }
      notes.push({ file, network: key.networkName, containerId: key.containerId, ifName: key.ifName });
    } catch {
      bad.push(file);
    }
  }
  return { notes, bad };
}

export const removeReleaseNote = (note: ReleaseNote): Promise<void> => rm(note.file, { force: true });
