/**
 * A durable release note (DESIGN.md §5): when DEL cannot reach ipamd, the address must still be
 * given back, so the plugin leaves a note in ipamd's release-notes dir (the format is the
 * contract's: contract/release-note.ts) and ipamd replays it at start. Written to a dot-named
 * temp file, fsynced, renamed into place, directory fsynced: a crash leaves either no note or a
 * whole one. One file per triple, so repeated DELs write the same note.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeReleaseNote, RELEASE_NOTE_SUFFIX } from '../contract/release-note.ts';
import type { TripleKey } from './ports.ts';

export function writeReleaseNote(dir: string, key: TripleKey): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = createHash('sha256').update(`${key.networkName}\n${key.containerId}\n${key.ifName}`).digest('hex').slice(0, 32);
  const path = join(dir, `${id}${RELEASE_NOTE_SUFFIX}`);
  const tmp = join(dir, `.${id}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`);
  const body = encodeReleaseNote(key, new Date());
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
  return path;
}
