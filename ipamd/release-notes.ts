import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Release notes: when ipamd is down, the CNI plugin's DEL leaves a small JSON file
 * `{ network, containerId, ifName }` here (DESIGN.md §5); ipamd replays them at start.
 */
export interface ReleaseNote {
  readonly file: string;
  readonly network: string;
  readonly containerId: string;
  readonly ifName: string;
}

export async function readReleaseNotes(dir: string): Promise<{ notes: ReleaseNote[]; bad: string[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { notes: [], bad: [] };
    throw e;
  }
  const notes: ReleaseNote[] = [];
  const bad: string[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      const v = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      if (typeof v.network !== 'string' || typeof v.containerId !== 'string' || typeof v.ifName !== 'string') {
        bad.push(file);
        continue;
      }
      notes.push({ file, network: v.network, containerId: v.containerId, ifName: v.ifName });
    } catch {
      bad.push(file);
    }
  }
  return { notes, bad };
}

export const removeReleaseNote = (note: ReleaseNote): Promise<void> => rm(note.file, { force: true });
