/**
 * durable/rotating-log.ts (issue 13 item 6): size-based rotation with a bounded number of files,
 * 0600 files, and no line lost, duplicated or interleaved while many processes append and rotate
 * the same file at once (real child processes, each appending through the module).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { appendLine, rotatedFiles } from '../../durable/rotating-log.ts';

const MODULE = fileURLToPath(new URL('../../durable/rotating-log.ts', import.meta.url));
const mode = (p: string) => statSync(p).mode & 0o7777;

/** Every line of the active file and its rotated files, with the file each came from. */
function allLines(path: string): { file: string; line: string }[] {
  return [...rotatedFiles(path), path].flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    assert.ok(text === '' || text.endsWith('\n'), `${file} ends mid-line`);
    return text.split('\n').filter(Boolean).map((line) => ({ file, line }));
  });
}

/** `writers` processes, each appending `lines` numbered lines of about `pad` bytes, all at once. */
async function hammer(path: string, writers: number, lines: number, pad: number, limits: { maxBytes: number; maxFiles: number }): Promise<void> {
  const code = `
    const { appendLine } = await import(${JSON.stringify(MODULE)});
    const [path, w, n, pad, maxBytes, maxFiles] = process.argv.slice(1);
    for (let i = 0; i < Number(n); i++) {
      appendLine(path, JSON.stringify({ w: Number(w), i, pad: 'x'.repeat(Number(pad)) }) + '\\n', { maxBytes: Number(maxBytes), maxFiles: Number(maxFiles) });
    }`;
  await Promise.all(
    Array.from({ length: writers }, (_, w) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', code, path, String(w), String(lines), String(pad), String(limits.maxBytes), String(limits.maxFiles)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`writer ${w} exited ${c}: ${err}`))));
      }),
    ),
  );
}

describe('rotating log file', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'vpcwire-rotating-log-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('one writer: rotates before a line would pass the size, keeps maxFiles rotated files, all 0600', () => {
    const path = join(dir, 'one', 'ipamd.log');
    const sub = join(dir, 'one');
    mkdirSync(sub);
    const limits = { maxBytes: 1000, maxFiles: 3 };
    const line = (i: number) => `${JSON.stringify({ i, pad: 'y'.repeat(80) })}\n`; // about 100 bytes
    let rotations = 0;
    for (let i = 0; i < 200; i++) if (appendLine(path, line(i), limits, () => new Date(Date.UTC(2026, 11, 2, 21, 0, 0, i))).rotated) rotations++;
    assert.ok(rotations >= 19, `rotated ${rotations} times`);
    const rotated = rotatedFiles(path);
    assert.equal(rotated.length, 3, readdirSync(sub).join(' '));
    assert.deepEqual(readdirSync(sub).sort(), [...rotated.map((p) => p.slice(sub.length + 1)), 'ipamd.log'].sort(), 'nothing else in the directory');
    for (const f of [...rotated, path]) {
      assert.ok(statSync(f).size <= limits.maxBytes, `${f}: ${statSync(f).size} bytes`);
      assert.equal(mode(f), 0o600, f);
    }
    assert.match(rotated[0]!, /ipamd-2026-12-02T21-00-00\.\d{3}-\d+\.log$/, "lumberjack's naming, UTC, plus the pid");
    // The newest lines, in order, without a gap: what was pruned is only the oldest.
    const seen = allLines(path).map((l) => (JSON.parse(l.line) as { i: number }).i);
    assert.deepEqual(seen, Array.from({ length: seen.length }, (_, k) => 200 - seen.length + k));
    assert.ok(seen.length >= 3 * 9, `${seen.length} lines kept`);
  });

  test('an existing 0644 file is narrowed to 0600, and the caller is told', () => {
    const path = join(dir, 'old.log');
    writeFileSync(path, '{"earlier":true}\n');
    chmodSync(path, 0o644);
    assert.equal(appendLine(path, '{"later":true}\n').narrowedFrom, 0o644);
    assert.equal(mode(path), 0o600);
    assert.equal(appendLine(path, '{"again":true}\n').narrowedFrom, undefined);
    assert.equal(readFileSync(path, 'utf8').split('\n').filter(Boolean).length, 3);
  });

  test('a character device (a null device, as /dev/null is) is written as it is: its mode kept, never rotated', { skip: process.getuid?.() !== 0 ? 'mknod needs root' : undefined }, () => {
    // The device is made in the test's own directory (c 1 3 is the kernel's null device), never /dev's.
    const dev = join(dir, 'null');
    execFileSync('mknod', ['-m', '666', dev, 'c', '1', '3']);
    for (let i = 0; i < 20; i++) {
      const r = appendLine(dev, `{"i":${i}}\n`, { maxBytes: 8, maxFiles: 2 });
      assert.deepEqual(r, { rotated: false });
    }
    assert.equal(mode(dev), 0o666, 'not narrowed');
    assert.ok(statSync(dev).isCharacterDevice());
    assert.deepEqual(rotatedFiles(dev), [], 'nothing rotated');
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('null')), ['null']);
  });

  test('24 processes appending and rotating at once: no line lost, duplicated or cut; files bounded', async () => {
    const path = join(dir, 'many', 'plugin.log');
    mkdirSync(join(dir, 'many'));
    // Every few lines a rotation, so rotations race all the time; keep them all to count the lines.
    const limits = { maxBytes: 2048, maxFiles: 1000 };
    await hammer(path, 24, 100, 200, limits);
    const lines = allLines(path);
    const ids = lines.map((l) => {
      const o = JSON.parse(l.line) as { w: number; i: number };
      return `${o.w}:${o.i}`;
    });
    assert.equal(new Set(ids).size, ids.length, 'a line written twice');
    assert.equal(ids.length, 24 * 100, 'lines lost');
    // Within a file each writer's lines are in its order (one O_APPEND write each). Across files
    // only roughly: a writer that had a file open may still add to it after it was rotated.
    for (const f of new Set(lines.map((l) => l.file))) {
      for (let w = 0; w < 24; w++) {
        const mine = lines.filter((l) => l.file === f).map((l) => JSON.parse(l.line) as { w: number; i: number }).filter((o) => o.w === w).map((o) => o.i);
        assert.deepEqual(mine, [...mine].sort((a, b) => a - b), `writer ${w}'s lines out of order in ${f}`);
      }
    }
    const files = [...rotatedFiles(path), path];
    assert.ok(files.length > 50, `only ${files.length} files: rotation did not race`);
    const lineBytes = Buffer.byteLength(lines[0]!.line) + 1;
    for (const f of files) {
      assert.equal(mode(f), 0o600, f);
      // Past the size only by lines of writers that measured the file at the same moment.
      assert.ok(statSync(f).size <= limits.maxBytes + 24 * lineBytes, `${f}: ${statSync(f).size} bytes`);
    }
    assert.deepEqual(readdirSync(join(dir, 'many')).filter((n) => !files.includes(join(dir, 'many', n))), [], 'stray files left by a rotation');
  });

  test('bounded under the same race: at most maxFiles rotated files, the newest lines kept whole', async () => {
    const path = join(dir, 'bounded', 'plugin.log');
    mkdirSync(join(dir, 'bounded'));
    const limits = { maxBytes: 2048, maxFiles: 3 };
    await hammer(path, 24, 100, 200, limits);
    const rotated = rotatedFiles(path);
    assert.ok(rotated.length <= 3, `${rotated.length} rotated files`);
    assert.deepEqual(readdirSync(join(dir, 'bounded')).sort(), [...rotated, path].map((p) => p.slice(join(dir, 'bounded').length + 1)).sort());
    const lines = allLines(path);
    for (const l of lines) JSON.parse(l.line);
    const ids = lines.map((l) => l.line);
    assert.equal(new Set(ids).size, ids.length, 'a line written twice');
    // Pruning races too, but never takes more than the oldest: about three full files are kept.
    const perFile = Math.floor(limits.maxBytes / (Buffer.byteLength(lines[0]!.line) + 1));
    assert.ok(lines.length >= 3 * perFile, `${lines.length} lines kept, ${perFile} fit a file`);
    const lineBytes = Buffer.byteLength(lines[0]!.line) + 1;
    for (const f of [...rotated, path]) {
      assert.equal(mode(f), 0o600, f);
      assert.ok(statSync(f).size <= limits.maxBytes + 24 * lineBytes, `${f}: ${statSync(f).size} bytes`);
    }
  });
});

