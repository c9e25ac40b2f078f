/**
 * The plugin's stdin and stdout as a runtime sees them (issue 9 item 4): the configuration read
 * whole (up to a bound), and the answer written whole before the process exits. A runtime reads
 * stdout through a pipe that holds 64 KiB; Node's process.stdout may hand a large write to the event
 * loop, and exiting then cuts it, so the runtime got truncated, invalid JSON. Here every byte is
 * written synchronously, waiting out EAGAIN when the runtime's end made the pipe non-blocking, and
 * error answers are bounded (errors.ts) so they never approach the pipe's size anyway.
 */
import { readSync, writeSync } from 'node:fs';

/** A conflist entry with a prevResult and a GC attachment list of a full node is tens of KiB. */
export const MAX_STDIN_BYTES = 16 * 1024 * 1024;

const napCell = new Int32Array(new SharedArrayBuffer(4));
/** Sleeps the thread (nothing else runs in a plugin while it waits on a pipe). */
const nap = (ms: number): void => void Atomics.wait(napCell, 0, 0, ms);

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code;

/**
 * Writes all of `text` to `fd` before returning. EAGAIN (a full non-blocking pipe) is waited out
 * for up to `timeoutMs`; EPIPE means nobody reads any more, and there is no one left to tell.
 */
export function writeAll(fd: number, text: string, timeoutMs = 30_000): void {
  const buf = Buffer.from(text);
  const deadline = Date.now() + timeoutMs;
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if (code(e) === 'EAGAIN' && Date.now() < deadline) {
        nap(1);
        continue;
      }
      return;
    }
  }
}

/** All of `fd` up to `limit` bytes; `tooLarge` when there was more. Throws the read's error (EBADF...). */
export function readAll(fd: number, limit = MAX_STDIN_BYTES): { text: string; tooLarge: boolean } {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      if (code(e) === 'EAGAIN') {
        nap(1);
        continue;
      }
      if (code(e) === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > limit) return { text: '', tooLarge: true };
  }
  return { text: Buffer.concat(chunks, total).toString('utf8'), tooLarge: false };
}
