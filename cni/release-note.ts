/**
 * A durable release note (DESIGN.md §5): when DEL cannot reach ipamd, the address must still be
 * given back, so the plugin leaves a note in ipamd's release-notes dir (the format is the
 * contract's: contract/release-note.ts) and ipamd replays it at start. Written atomically
 * (durable/atomic-file.ts): a crash leaves either no note or a whole one. One file per triple, so
 * repeated DELs write the same note.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeReleaseNote, RELEASE_NOTE_SUFFIX } from '../contract/release-note.ts';
import { writeFileAtomicSync } from '../durable/atomic-file.ts';
import type { TripleKey } from './ports.ts';

export function writeReleaseNote(dir: string, key: TripleKey): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = createHash('sha256').update(`${key.networkName}\n${key.containerId}\n${key.ifName}`).digest('hex').slice(0, 32);
  const path = join(dir, `${id}${RELEASE_NOTE_SUFFIX}`);
  writeFileAtomicSync(path, encodeReleaseNote(key, new Date()), 0o600);
  return path;
}
