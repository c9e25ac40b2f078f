/**
 * A full disk for real, without filling a real filesystem: a tiny tmpfs of the test's own under
 * /tmp/vpcwire-tmpfs-*, unmounted when the test ends. Writes there fail with ENOSPC or come back short,
 * as on a node whose /var/lib is full. Mounting needs root (CAP_SYS_ADMIN): elsewhere the test is
 * skipped, saying why.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export interface TinyTmpfs {
  readonly path: string;
  /** Takes every free byte left (a filler file); returns what gives the space back. */
  fill(): () => void;
  /** Runs before the unmount (close the journal's handle first). */
  beforeUnmount(fn: () => Promise<void> | void): void;
}

/** `size` as mount(8) takes it (64k: 16 pages). Undefined (and the test skipped) when it cannot mount. */
export function tinyTmpfs(t: TestContext, opts: { size?: string; inodes?: number } = {}): TinyTmpfs | undefined {
  if (process.getuid?.() !== 0) {
    t.skip('mounting a tmpfs needs root');
    return undefined;
  }
  const path = mkdtempSync('/tmp/vpcwire-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${opts.size ?? '64k'},nr_inodes=${opts.inodes ?? 256},mode=0700`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (e) {
    rmdirSync(path);
    t.skip(`cannot mount a tmpfs here: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
  const before: (() => Promise<void> | void)[] = [];
  t.after(async () => {
    for (const fn of before) await fn();
    try {
      execFileSync('umount', [path], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', path], { stdio: 'pipe' }); // a handle still open: detach now, gone once closed
    }
    rmdirSync(path);
  });
  return {
    path,
    fill() {
      const filler = join(path, 'filler');
      try {
        writeFileSync(filler, Buffer.alloc(1 << 20));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
      return () => unlinkSync(filler);
    },
    beforeUnmount: (fn) => void before.push(fn),
  };
}
