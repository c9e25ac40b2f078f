/**
 * The socket directory is ipamd's alone (issue 9 item 5): a pre-existing 0777 directory would let
 * any local user replace ipamd's socket and answer the root-run plugin in its place. Owned by
 * ipamd: narrowed to 0700 before binding, said in the log. Owned by another user, a symbolic link,
 * a shared sticky directory or one under a directory others can write: refused with a message
 * naming the path, and a real ipamd exits 1 with that one line.
 */
import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../../ipamd/api/errors.ts';
import { startApiServer } from '../../ipamd/api/server.ts';
import { startEmulator } from '../../sim/emulator.ts';
import { capture, FakeCore } from '../helpers/fake-ipam-handlers.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';

const asRoot = process.getuid?.() === 0 ? undefined : 'needs root to give a directory to another user';
const NOBODY = 65534;

describe('the socket directory', () => {
  let root: string;
  let n = 0;
  const fresh = async (mode: number): Promise<string> => {
    const d = join(root, `d${++n}`);
    await mkdir(d);
    await chmod(d, mode);
    return d;
  };
  const refused = (dir: string, why: RegExp) => async () => {
    // A server that did start is closed again, so a failing test does not hold the process.
    const e = await startApiServer({ socketPath: join(dir, 'ipamd.sock'), handlers: new FakeCore(1) }).then(
      (server) => server.close().then(() => 'a server that started'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof ApiError && e.code === 'IPAMD_API_SOCKET_PATH_INVALID', `expected a refusal, got ${String(e)}`);
    assert.ok(e.message.startsWith(`refusing the socket directory ${dir}: `), e.message);
    assert.match(e.message, why);
  };
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'vw-sockdir-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('0777 and owned by ipamd: narrowed to 0700 before binding, and the log says so', async () => {
    const dir = await fresh(0o777);
    const log = capture();
    const server = await startApiServer({ socketPath: join(dir, 'ipamd.sock'), handlers: new FakeCore(1), logger: log.logger });
    try {
      assert.equal((await stat(dir)).mode & 0o7777, 0o700);
      const line = log.entries.find((e) => e.level === 'warn' && /socket directory was writable by others; narrowed it to 0700/.test(e.message));
      assert.deepEqual(line?.meta, { dir, from: '0777', to: '0700' });
    } finally {
      await server.close();
    }
  });

  test('owned by another user: refused, nothing bound in it', { skip: asRoot }, async () => {
    const dir = await fresh(0o700);
    await chown(dir, NOBODY, NOBODY);
    await refused(dir, new RegExp(`owned by uid ${NOBODY}, not by ipamd's uid 0`))();
    assert.deepEqual(await readdir(dir), []);
  });

  test('a symbolic link to a directory: refused, the target untouched', async () => {
    const target = await fresh(0o777);
    const link = join(root, `link${++n}`);
    await symlink(target, link);
    await refused(link, /it is a symbolic link/)();
    assert.equal((await stat(target)).mode & 0o7777, 0o777);
    assert.ok((await lstat(link)).isSymbolicLink());
  });

  test('a shared sticky directory is refused, never chmodded', async () => {
    const dir = await fresh(0o1777);
    await refused(dir, /shared directory \(mode 1777\)/)();
    assert.equal((await stat(dir)).mode & 0o7777, 0o1777);
  });

  test('a directory under one that others can write is refused, naming that one', async () => {
    const parent = await fresh(0o777);
    const dir = join(parent, 'run');
    await refused(dir, new RegExp(`${parent} above it is writable by others \\(mode 0777\\)`))();
  });

  test('a real ipamd given a directory another user owns exits 1 with one line naming it', { skip: asRoot }, async () => {
    const dir = await fresh(0o700);
    await chown(dir, NOBODY, NOBODY);
    const sim = await startEmulator({ profile: 'fast', throttling: false });
    try {
      const e = await startIpamdProcess(sim, sim.instance('node-1').id, { VPCWIRE_SOCKET: join(dir, 'ipamd.sock') }).then(
        (p) => p.stop().then(() => new Error('ipamd started')),
        (err: Error) => err,
      );
      const [exit, ...lines] = e.message.split('\n').filter(Boolean);
      assert.match(exit!, new RegExp(`^ipamd exited 1: ipamd: refusing the socket directory ${dir}: it is owned by uid ${NOBODY}`));
      assert.deepEqual(lines, [], 'one line, no stack');
    } finally {
      await sim.stop();
    }
  });
});
