/**
 * Whole-file replacement that a reader never sees half done, for every file vpcwire writes that
 * someone else reads: ipamd's checkpoint, plugin binary and conflist, and the plugin's release
 * notes (the synchronous variant: a one-shot process has nothing else to do meanwhile). The
 * runtime watches the CNI conf dir
 * (containerd reloads on every inotify event) and execs plugins from the bin dir at any moment, so
 * both files appear by rename(2) of a complete, fsynced temp file in the same directory, and the
 * directory is fsynced so the rename itself survives a power loss.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** fsync of a file, or of a directory so that a rename or unlink inside it is durable. */
export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `data` to `path` atomically with `mode`. The default temp name starts with a dot and does
 * not end in .conf/.conflist/.json, so libcni never loads it while it is being written; `tmpName`
 * (a name in the same directory) lets a caller find its own leftovers after a crash (the checkpoint).
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode: number, opts: { tmpName?: string } = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, opts.tmpName ?? `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    try {
      await fh.writeFile(data);
      await fh.chmod(mode); // the umask may have narrowed the mode given to open()
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncPath(dir);
}

/** Removes `path` durably; false when it was not there. */
export async function removeFileDurably(path: string): Promise<boolean> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  await fsyncPath(dirname(path));
  return true;
}

/**
 * writeFileAtomic for a process that does nothing else meanwhile (the CNI plugin): the same dot-named
 * temp file, fsync, rename and directory fsync, without a promise in sight.
 */
export function writeFileAtomicSync(path: string, data: string, mode: number): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
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
}
