/**
 * The plugin's log with the real binary, exec'd as a runtime execs it (issue 13 item 6): the level
 * from the conflist decides which invocations leave a line and how much of each; `stderr` is a
 * target and stdout never is; and 40 plugin processes started at once against a log that rotates
 * every few lines leave every line exactly once, in 0600 files, bounded in number.
 *
 * No ipamd and no kernel work: STATUS against a socket nobody serves answers 50 (a warn line), and
 * ADD into a netns that does not exist answers 3 (an error line) before anything else; one DEL
 * (a success, an info line) runs inside a network namespace this test creates.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execPlugin, type PluginRun } from '../../cluster/plugin-exec.ts';
import { rotatedFiles } from '../../durable/rotating-log.ts';
import { ip } from '../../sim/dataplane/ip.ts';
import { kernelTestsSkipReason } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const kernelSkip = await kernelTestsSkipReason();
type Line = Record<string, unknown> & { level: string; message: string; verb: string };

describe('vpcwire CNI plugin log', () => {
  let plugin: string;
  let dir: string;
  let seq = 0;
  const config = (extra: Record<string, unknown>) => ({
    cniVersion: '1.1.0',
    name: 'vpcwire',
    type: 'vpcwire',
    socket: join(dir, 'no-ipamd.sock'),
    releaseNotesDir: join(dir, 'notes'),
    ...extra,
  });
  const status = (extra: Record<string, unknown>) => execPlugin({ plugin, command: 'STATUS', config: config(extra) });
  /** ADD into a netns that does not exist: code 3, before ipamd or the kernel is asked anything. */
  const addNowhere = (extra: Record<string, unknown>, containerId = `c${++seq}`) =>
    execPlugin({ plugin, command: 'ADD', containerId, netns: `/run/netns/vpcw-log-none-${containerId}`, ifName: 'eth0', config: config(extra) });
  const lines = (path: string): Line[] =>
    readFileSync(path, { encoding: 'utf8', flag: 'a+' }).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

  before(async () => {
    plugin = await pluginBinary();
    dir = mkdtempSync(join(tmpdir(), 'vpcwire-plugin-log-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('levels: DEBUG and INFO log every invocation (DEBUG with phases), WARN failures only, ERROR those a retry will not cure', async () => {
    for (const level of ['DEBUG', 'info', 'Warn', 'ERROR']) {
      const logFile = join(dir, `level-${level}.log`);
      assert.equal((await status({ logFile, logLevel: level })).json?.code, 50);
      assert.equal((await addNowhere({ logFile, logLevel: level })).json?.code, 3);
      const got = lines(logFile);
      const expected = { DEBUG: ['warn', 'error'], info: ['warn', 'error'], Warn: ['warn', 'error'], ERROR: ['error'] }[level]!;
      assert.deepEqual(got.map((l) => l.level), expected, level);
      for (const l of got) {
        assert.match(String(l.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'RFC 3339, UTC, milliseconds');
        assert.equal(typeof l.tookMs, 'number');
        assert.deepEqual(Object.keys(l).slice(0, 4), ['level', 'message', 'component', 'timestamp'], 'the four keys of ipamd\'s lines, first');
        assert.equal(l.component, 'cni-plugin');
        assert.equal('ms' in l, level === 'DEBUG', `${level}: phases only at DEBUG`);
      }
      const add = got.find((l) => l.verb === 'ADD')!;
      assert.equal(add.message, 'ADD failed');
      assert.equal(add.code, 3);
      assert.match(String(add.containerId), /^c\d+$/);
    }
  });

  test('a success is an info line: logged at INFO, not at WARN', { skip: kernelSkip }, async () => {
    const ns = `vpcw-log-${randomBytes(3).toString('hex')}`;
    await ip(['netns', 'add', ns]);
    try {
      for (const level of ['info', 'warn']) {
        const logFile = join(dir, `del-${level}.log`);
        const r = await execPlugin({ plugin, nodeNetns: ns, command: 'DEL', containerId: `c-del-${level}`, netns: `/run/netns/${ns}-gone`, ifName: 'eth0', config: config({ cniVersion: '1.0.0', logFile, logLevel: level }) });
        assert.equal(r.exitCode, 0, r.stdout);
        assert.deepEqual(lines(logFile).map((l) => [l.level, l.message]), level === 'info' ? [['info', 'DEL succeeded']] : []);
      }
    } finally {
      await ip(['netns', 'del', ns]);
    }
  });

  test('stderr is a target, stdout never: the result channel stays the result alone', async () => {
    const r = await addNowhere({ logFile: 'stderr', logLevel: 'debug' });
    assert.deepEqual(Object.keys(r.json ?? {}).sort(), ['cniVersion', 'code', 'msg']);
    const line = JSON.parse(r.stderr.trim()) as Line;
    assert.equal(line.level, 'error');
    assert.equal(line.verb, 'ADD');
    for (const bad of ['stdout', 'plugin.log']) {
      const refused = await addNowhere({ logFile: bad });
      assert.equal(refused.json?.code, 7, refused.stdout);
      assert.match(String(refused.json?.msg), /"logFile" must be an absolute path or "stderr"/);
    }
    const level = await addNowhere({ logFile: join(dir, 'x.log'), logLevel: 'trace' });
    assert.equal(level.json?.code, 7);
    assert.match(String(level.json?.msg), /"logLevel" must be one of debug, info, warn, error/);
    const size = await addNowhere({ logFile: join(dir, 'x.log'), logMaxSizeMb: 0 });
    assert.match(String(size.json?.msg), /"logMaxSizeMb" must be a number from 0.001/);
  });

  for (const keep of [100, 3]) {
    test(`40 plugins at once, rotating every few lines, ${keep === 100 ? 'all files kept: every line exactly once' : 'three rotated files kept: bounded'}`, async () => {
      const sub = mkdtempSync(join(dir, 'many-'));
      const logFile = join(sub, 'plugin.log');
      const extra = { logFile, logLevel: 'debug', logMaxSizeMb: 0.002, logMaxFiles: keep }; // 2 KiB: about 6 lines
      const ids: string[] = [];
      for (let round = 0; round < 3; round++) {
        const batch = Array.from({ length: 40 }, () => `c${++seq}`);
        ids.push(...batch);
        const runs: PluginRun[] = await Promise.all(batch.map((id) => addNowhere(extra, id)));
        for (const r of runs) assert.equal(r.json?.code, 3, r.stdout + r.stderr);
      }
      const files = [...rotatedFiles(logFile), logFile];
      assert.deepEqual(readdirSync(sub).sort(), files.map((f) => f.slice(sub.length + 1)).sort(), 'only the log and its rotated files');
      const got = files.flatMap((f) => lines(f));
      const seen = got.map((l) => String(l.containerId));
      assert.equal(new Set(seen).size, seen.length, 'a line written twice');
      const lineBytes = Math.max(...got.map((l) => Buffer.byteLength(JSON.stringify(l)) + 1));
      for (const f of files) {
        assert.equal(statSync(f).mode & 0o7777, 0o600, f);
        assert.ok(statSync(f).size <= 0.002 * 1024 * 1024 + 40 * lineBytes, `${f}: ${statSync(f).size} bytes`);
      }
      if (keep === 100) {
        assert.deepEqual([...seen].sort(), [...ids].sort(), 'lines lost');
        const total = files.reduce((n, f) => n + statSync(f).size, 0);
        assert.ok(files.length >= (0.75 * total) / (0.002 * 1024 * 1024), `${files.length} files for ${total} bytes: the log did not rotate as often as it should`);
      } else {
        assert.ok(files.length <= 4, `${files.length} files`);
        assert.ok(got.length >= 3 * 4, `${got.length} lines kept`);
      }
    });
  }
});
