/**
 * The plugin's private files (issue 9 item 5), with the real binary: its log file (one line per
 * call, naming pods and containers) is created 0600 and an existing 0644 one narrowed to 0600;
 * release notes are 0600 in a 0700 directory. STATUS against a socket nobody serves touches no
 * kernel state; the DEL runs inside a network namespace this test creates.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execPlugin } from '../../cluster/plugin-exec.ts';
import { ip } from '../../sim/dataplane/ip.ts';
import { kernelTestsSkipReason } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const mode = (path: string) => statSync(path).mode & 0o7777;
const kernelSkip = await kernelTestsSkipReason();

describe('vpcwire CNI plugin file modes', () => {
  let plugin: string;
  let dir: string;
  const config = (extra: Record<string, unknown> = {}) => ({
    cniVersion: '1.1.0',
    name: 'vpcwire',
    type: 'vpcwire',
    socket: join(dir, 'no-ipamd.sock'),
    releaseNotesDir: join(dir, 'notes'),
    logFile: join(dir, 'plugin.log'),
    ...extra,
  });
  before(async () => {
    plugin = await pluginBinary();
    dir = mkdtempSync(join(tmpdir(), 'vpcwire-plugin-modes-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the log file is created 0600, and an existing 0644 one is narrowed to 0600', async () => {
    const r = await execPlugin({ plugin, command: 'STATUS', config: config() });
    assert.equal(r.json?.code, 50, r.stdout);
    assert.equal(mode(join(dir, 'plugin.log')), 0o600);

    const old = join(dir, 'old.log');
    writeFileSync(old, '{"earlier":true}\n');
    chmodSync(old, 0o644);
    await execPlugin({ plugin, command: 'STATUS', config: config({ logFile: old }) });
    assert.equal(mode(old), 0o600);
    const lines = readFileSync(old, 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, 2, 'appended, not replaced');
    assert.equal((JSON.parse(lines[1]!) as { verb: string }).verb, 'STATUS');
  });

  test('a release note left by DEL with ipamd down is 0600 in a 0700 directory', { skip: kernelSkip }, async () => {
    const ns = `vpcw-modes-${randomBytes(3).toString('hex')}`;
    await ip(['netns', 'add', ns]);
    try {
      const r = await execPlugin({
        plugin,
        nodeNetns: ns,
        command: 'DEL',
        containerId: 'c-modes',
        netns: `/run/netns/${ns}-gone`,
        ifName: 'eth0',
        config: config({ cniVersion: '1.0.0' }),
      });
      assert.equal(r.exitCode, 0, r.stdout);
      const notes = join(dir, 'notes');
      assert.equal(mode(notes), 0o700);
      const files = readdirSync(notes);
      assert.equal(files.length, 1);
      assert.equal(mode(join(notes, files[0]!)), 0o600);
    } finally {
      await ip(['netns', 'del', ns]);
    }
  });
});
