/**
 * The README's main command runs to the end (issue 4 item 5): as root the whole demo (pods wired
 * by the plugin, pings, CHECK, teardown) with nothing left behind; as an unprivileged user the part
 * that needs no kernel, after saying what the rest needs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { kernelTestsSkipReason } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const BIN = new URL('../../bin/vpcwire-dev.ts', import.meta.url).pathname;
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
    // The last step: node-1's metrics, introspection and address history after shop/web-4's DEL.
    assert.match(r.stdout, /\n {4}awscni_assigned_ip_addresses 3\n/);
    assert.match(r.stdout, /\n {4}awscni_del_ip_req_count\{reason="cni-del"\} 1\n/);
    assert.match(r.stdout, /\/v1\/pool: \d+ free, 3 assigned, 1 cooling\n/);
    assert.match(r.stdout, /\$ vpcwire history (10\.0\.\d+\.\d+) [^\n]+\n {4}\1: 1 holding\(s\)[^]*?\(del\) +shop\/web-4 /);
    assert.match(r.stdout, /nothing left behind\n\ndemo passed\n$/);
    const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    for (const line of r.stdout.matchAll(/netns (vpcw-[a-z0-9]+-)/g)) assert.doesNotMatch(ns, new RegExp(line[1]!), 'no namespace of the demo left');
  });

  test('as root on a machine without ping: installs iputils-ping with apt-get, then runs the whole demo', { skip: kernelSkip }, async () => {
    await pluginBinary();
    // This machine's programs minus ping, plus an apt-get that records its arguments and
    // "installs" ping by linking the real one in: nothing on the machine itself changes.
    const dir = mkdtempSync(join(tmpdir(), 'vpcwire-demo-path-'));
    try {
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
        for (const name of existsSync(d) ? readdirSync(d) : []) {
          if (name !== 'ping' && name !== 'apt-get' && !existsSync(join(bin, name))) symlinkSync(join(d, name), join(bin, name));
        }
      }
      const log = join(dir, 'apt.log');
      writeFileSync(join(bin, 'apt-get'), `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> ${log}\ncase "$*" in *install*) ln -s /usr/bin/ping ${bin}/ping ;; esac\n`, { mode: 0o755 });
      const r = spawnSync(process.execPath, [BIN, 'demo', '--pods', '1'], { env: { PATH: bin, HOME: '/tmp' }, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^vpcwire demo: the kernel part needs iputils-ping; installing them with apt-get \(running as root; --no-install skips this\)\.\.\.\n/);
      assert.deepEqual(readFileSync(log, 'utf8').split('\n').filter(Boolean), [
        'noninteractive -q update',
        'noninteractive -q install -y --no-install-recommends iputils-ping',
      ]);
      assert.match(r.stdout, /demo passed\n$/);

      // --no-install on the same machine: explains and runs the partial demo.
      rmSync(join(bin, 'ping'));
      const n = spawnSync(process.execPath, [BIN, 'demo', '--pods', '1', '--no-install'], { env: { PATH: bin, HOME: '/tmp' }, encoding: 'utf8', timeout: 120_000 });
      assert.equal(n.status, 0, n.stdout + n.stderr);
      assert.match(n.stdout, /the kernel part \(pod network namespaces, the VPC data plane\) needs ping \(Debian packages iputils-ping\)\.\n {2}Not installing them \(--no-install\); install them with: sudo apt-get install -y iputils-ping\n/);
      assert.match(n.stdout, /teardown: ipamd stopped, emulator stopped/);
      assert.equal(readFileSync(log, 'utf8').split('\n').filter(Boolean).length, 2, 'apt-get not run again');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('unprivileged: says what the kernel part needs and runs the rest', {
    skip: process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv') ? 'needs root to drop to nobody with setpriv' : undefined,
  }, () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'demo', '--pods', '2'], { env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /needs root/);
    assert.match(r.stdout, /shop\/web-2 +node-1 +10\.0\.\d+\.\d+ +eni-/);
    assert.match(r.stdout, /\n {4}awscni_assigned_ip_addresses 1\n/);
    assert.match(r.stdout, /\(del\) +shop\/web-2 /, 'the address history names the released pod');
    assert.match(r.stdout, /teardown: ipamd stopped, emulator stopped/);
  });
});
