/**
 * The README's main command runs to the end (issue 4 item 5): as root the whole demo (pods wired
 * by the plugin, pings, CHECK, teardown) with nothing left behind; as an unprivileged user the part
 * that needs no kernel, after saying what the rest needs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { kernelTestsSkipReason } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const BIN = new URL('../../bin/vpcwire.ts', import.meta.url).pathname;
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' };
const kernelSkip = await kernelTestsSkipReason();

describe('vpcwire demo', () => {
  test('as root: pods on two nodes reach each other, CHECK passes, teardown leaves nothing', { skip: kernelSkip }, async () => {
    await pluginBinary(); // built once for the run
    const r = spawnSync(process.execPath, [BIN, 'demo', '--pods', '4'], { env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /every pod is as ADD left it/);
    assert.doesNotMatch(r.stdout, /NO REPLY/);
    assert.match(r.stdout, /eth1 /, 'a pod on a secondary ENI is in the table');
    assert.match(r.stdout, /nothing left behind\n\ndemo passed\n$/);
    const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    for (const line of r.stdout.matchAll(/netns (vpcw-[a-z0-9]+-)/g)) assert.doesNotMatch(ns, new RegExp(line[1]!), 'no namespace of the demo left');
  });

  test('unprivileged: says what the kernel part needs and runs the rest', {
    skip: process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv') ? 'needs root to drop to nobody with setpriv' : undefined,
  }, () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'demo', '--pods', '2'], { env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /needs root/);
    assert.match(r.stdout, /shop\/web-2 +node-1 +10\.0\.\d+\.\d+ +eni-/);
    assert.match(r.stdout, /teardown: ipamd stopped, emulator stopped/);
  });
});
