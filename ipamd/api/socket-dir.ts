/**
 * The socket directory must be ipamd's alone (DESIGN.md §4: a 0700 directory that ipamd owns):
 * whoever can write it, or any directory above it, can replace ipamd's socket with their own and
 * answer the root-run CNI plugin in ipamd's place (issue 9 item 5). So before binding:
 * - a symbolic link, or a directory owned by another user, is refused;
 * - a directory ipamd owns that others can write is narrowed to 0700, and the log says so; a
 *   shared one (sticky, like /tmp) is refused rather than chmodded;
 * - every directory above it, as written and as resolved, must belong to root or ipamd and be
 *   writable by others only if sticky (others can then not rename what ipamd owns).
 */
import { chmod, lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ApiError } from './errors.ts';
import type { ApiLogger } from './handlers.ts';

const DIR_MODE = 0o700;
const STICKY = 0o1000;

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

function refuse(dir: string, why: string): never {
  throw new ApiError(
    'IPAMD_API_SOCKET_PATH_INVALID',
    `refusing the socket directory ${dir}: ${why}; anyone who can change it could replace ipamd's socket. ` +
      'Use a directory of its own that ipamd owns, e.g. /run/vpcwire (VPCWIRE_SOCKET)',
  );
}

/** Creates the directory 0700, or checks and if needed narrows an existing one. */
export async function secureSocketDir(dir: string, logger?: ApiLogger): Promise<void> {
  const uid = process.getuid?.();
  const exists = await lstat(dir).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    },
  );
  if (!exists) {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    await chmod(dir, DIR_MODE); // mkdir's mode is filtered by the umask
    logger?.info('created the socket directory', { dir, mode: '0700' });
  }
  const st = await lstat(dir);
  if (st.isSymbolicLink()) refuse(dir, 'it is a symbolic link');
  if (!st.isDirectory()) refuse(dir, 'it is not a directory');
  if (uid !== undefined && st.uid !== uid) refuse(dir, `it is owned by uid ${st.uid}, not by ipamd's uid ${uid}`);
  const mode = st.mode & 0o7777;
  if (mode & 0o022) {
    if (mode & STICKY) refuse(dir, `it is a shared directory (mode ${octal(mode)})`);
    await chmod(dir, DIR_MODE);
    logger?.warn('the socket directory was writable by others; narrowed it to 0700 before binding', { dir, from: octal(mode), to: '0700' });
  }
  const above = dirname(dir);
  for (const [path, look] of [[above, lstat], [await realpath(above), stat]] as const) {
    const problem = await unsafeAncestor(path, look, uid);
    if (problem) refuse(dir, problem);
  }
}

/** The first directory from `path` up to / that others could change, with why; else undefined. */
async function unsafeAncestor(path: string, look: typeof lstat, uid: number | undefined): Promise<string | undefined> {
  for (let p = path; ; p = dirname(p)) {
    const st = await look(p);
    if (st.uid !== 0 && st.uid !== uid) return `${p} above it is owned by uid ${st.uid}`;
    if (!st.isSymbolicLink() && st.mode & 0o022 && !(st.mode & STICKY)) {
      return `${p} above it is writable by others (mode ${octal(st.mode)})`;
    }
    if (p === dirname(p)) return undefined;
  }
}
