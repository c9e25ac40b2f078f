/**
 * A durable release note (DESIGN.md §5): when DEL cannot reach ipamd, the address must still be
 * given back, so the plugin leaves `{network, containerId, ifName}` in ipamd's release-notes dir
 * and ipamd replays it at start (ipamd/release-notes.ts reads `*.json`). Written to a dot-named
 * temp file, fsynced, renamed into place, directory fsynced: a crash leaves either no note or a
 * whole one. One file per triple, so repeated DELs write the same note.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TripleKey } from './ports.ts';

export function writeReleaseNote(dir: string, key: TripleKey): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = createHash('sha256').update(`${key.networkName}\n${key.containerId}\n${key.ifName}`).digest('hex').slice(0, 32);
  const path = join(dir, `${id}.json`);
  const tmp = join(dir, `.${id}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`);
  const body = JSON.stringify({ network: key.networkName, containerId: key.containerId, ifName: key.ifName, at: new Date().toISOString() });
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
