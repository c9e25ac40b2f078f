/**
 * The socket file's lifecycle (issue 3 item 7; DESIGN.md §4): the directory ipamd's alone
 * (socket-dir.ts), a stale socket from a crashed ipamd replaced, a live one never stolen, the
 * socket 0600 before anyone can reach it, and on close only our own socket removed.
 *
 * The server binds a temporary name in the same directory, chmods it, then renames it over the
 * final path: rename(2) is atomic, so the path never shows a socket with umask-derived permissions
 * and a stale socket is replaced in one step. (libuv unlinks the bound name on close; that is the
 * temporary name, so it can never remove a successor's socket.)
 */
import { chmod, lstat, rename, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { ApiError } from './errors.ts';
import type { ApiLogger } from './handlers.ts';
import { secureSocketDir } from './socket-dir.ts';

/** sun_path is 108 bytes on Linux, the terminating NUL included. */
export const MAX_SOCKET_PATH_BYTES = 107;

const PROBE_TIMEOUT_MS = 1000;

let tempCounter = 0;

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** 'live' if something accepts connections on the path, 'stale' if nothing listens there. */
export function probeSocket(path: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<'live' | 'stale'> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const timer = setTimeout(() => {
      // A listener too busy to accept within a second is still a listener: never steal its path.
      sock.destroy();
      resolve('live');
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve('live');
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      const code = errno(err);
      if (code === 'ECONNREFUSED' || code === 'ENOENT') resolve('stale');
      else reject(new ApiError('IPAMD_API_SOCKET_PATH_INVALID', `cannot probe the socket ${path}: ${err.message}`, { cause: err }));
    });
  });
}

const checkPathShape = (path: string): void => {
  if (!isAbsolute(path)) throw new ApiError('IPAMD_API_INVALID_OPTION', `socketPath ${JSON.stringify(path)} must be absolute`);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new ApiError(
      'IPAMD_API_SOCKET_PATH_INVALID',
      `socketPath ${path} is ${Buffer.byteLength(path)} bytes long; a unix socket path allows ${MAX_SOCKET_PATH_BYTES}`,
    );
  }
};

/**
 * Makes the path ready to take a new socket and returns the temporary name to bind. Throws
 * IPAMD_API_SOCKET_IN_USE when a live server answers on the path, IPAMD_API_SOCKET_PATH_INVALID when the path holds
 * something other than a socket (never deleted: it is not ours).
 */
export async function prepareSocketPath(path: string, logger?: ApiLogger): Promise<string> {
  checkPathShape(path);
  const dir = dirname(path);
  await secureSocketDir(dir, logger);

  const existing = await lstat(path).catch((e: unknown) => {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  });
  if (existing) {
    if (!existing.isSocket()) {
      throw new ApiError('IPAMD_API_SOCKET_PATH_INVALID', `${path} exists and is not a socket; refusing to replace it`);
    }
    if ((await probeSocket(path)) === 'live') {
      throw new ApiError('IPAMD_API_SOCKET_IN_USE', `another server is listening on ${path} (is ipamd already running?)`);
    }
    logger?.warn('replacing a stale socket (a previous ipamd did not shut down cleanly)', { socketPath: path });
  }

  const temp = join(dir, `.${basename(path)}.${process.pid}.${++tempCounter}`);
  const short = join(dir, `.${process.pid}.${tempCounter}`);
  const chosen = Buffer.byteLength(temp) <= MAX_SOCKET_PATH_BYTES ? temp : short;
  if (Buffer.byteLength(chosen) > MAX_SOCKET_PATH_BYTES) {
    throw new ApiError('IPAMD_API_SOCKET_PATH_INVALID', `the directory of socketPath ${path} is too long for a temporary socket`);
  }
  await unlink(chosen).catch((e: unknown) => {
    if (errno(e) !== 'ENOENT') throw e;
  });
  return chosen;
}

/** The identity of a socket file, so close() removes ours and never a successor's. */
export interface SocketIdentity {
  readonly dev: number;
  readonly ino: number;
}

/** chmod 0600 the bound temporary socket, then atomically rename it to the final path. */
export async function publishSocket(temp: string, path: string): Promise<SocketIdentity> {
  await chmod(temp, 0o600);
  const st = await lstat(temp);
  await rename(temp, path);
  return { dev: st.dev, ino: st.ino };
}

/** Removes the socket file if it is still the one we published. */
export async function removeSocket(path: string, ours: SocketIdentity): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined);
  if (!st || st.dev !== ours.dev || st.ino !== ours.ino) return false;
  await unlink(path).catch((e: unknown) => {
    if (errno(e) !== 'ENOENT') throw e;
  });
  return true;
}

export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
