import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { startEmulator } from '../../sim/emulator.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';
import { addPods, ec2Counts, settles } from '../helpers/pool.ts';

const BIN = new URL('../../bin/vpcwire.ts', import.meta.url).pathname;
const status = (socket: string) => spawnSync(process.execPath, [BIN, 'status', '--socket', socket], { encoding: 'utf8' });

describe('vpcwire status', () => {
  test("prints a running ipamd's ENIs, addresses, allocations and targets", async () => {
    const sim = await startEmulator({ profile: 'fast', throttling: false });
    const node = sim.instance('node-1');
    const p = await startIpamdProcess(sim, node.id, { WARM_IP_TARGET: '2' });
    try {
      const [ip] = await addPods(p, 0, 1);
      await settles(() => ec2Counts(sim, node.id).ips, 3);
      const run = (...args: string[]) =>
        // spawnSync blocks this process's event loop, but ipamd is another process: fine.
        spawnSync(process.execPath, [BIN, 'status', '--socket', p.socket, ...args], { encoding: 'utf8' });
      const text = run();
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`node ${node.id}`));
      assert.match(text.stdout, /addresses: 1 assigned, 2 free, 0 cooling/);
      assert.match(text.stdout, /warmIpTarget=2/);
      assert.match(text.stdout, new RegExp(`${node.primaryEniId}\\s+device 0 \\(primary\\)`));
      assert.match(text.stdout, new RegExp(`${ip!.replaceAll('.', '\\.')}\\s+default/pod-0`));
      const json = JSON.parse(run('--json').stdout) as { allocations: { ipv4Address: string }[] };
      assert.deepEqual(json.allocations.map((a) => a.ipv4Address), [ip]);
    } finally {
      await p.stop();
      await sim.stop();
    }
  });

  test('without ipamd: a plain message naming the socket, exit 1 (no socket, stale socket, not a socket)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpcwire-status-'));
    try {
      const missing = status(join(dir, 'no-such.sock'));
      assert.equal(missing.status, 1);
      assert.equal(missing.stderr, `vpcwire status: ipamd is not running: there is no socket at ${dir}/no-such.sock (start ipamd, or point --socket or VPCWIRE_SOCKET at its socket)\n`);

      // A socket left by a killed server: the path exists, nothing listens.
      const stale = join(dir, 'stale.sock');
      const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
      await once(child.stdout!, 'data');
      child.kill('SIGKILL');
      await once(child, 'exit');
      const r = status(stale);
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`^vpcwire status: ipamd is not running: nothing listens on ${stale}`));

      writeFileSync(join(dir, 'file'), '');
      const file = status(join(dir, 'file'));
      assert.equal(file.status, 1);
      assert.match(file.stderr, new RegExp(`^vpcwire status: ${dir}/file is not a socket`));
      for (const x of [missing, r, file]) {
        assert.doesNotMatch(x.stderr, /Resolution note|UNAVAILABLE|^\s+at /m);
        assert.equal(x.stderr.split('\n').length, 2, 'one line');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('permission denied: says so and names the socket', {
    skip: process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv') ? 'needs root to drop to nobody with setpriv' : undefined,
  }, async () => {
    const sim = await startEmulator({ profile: 'fast', throttling: false });
    const p = await startIpamdProcess(sim, sim.instance('node-1').id);
    try {
      const asNobody = () => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'status', '--socket', p.socket], { encoding: 'utf8' });
      // ipamd's socket is 0600 in a 0700 directory: nobody cannot even look it up.
      const r = asNobody();
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr, `vpcwire status: permission denied looking up ${p.socket}: its directory is private to ipamd; run vpcwire status as root or as ipamd's user\n`);
      // With the directories opened up, the 0600 socket itself still refuses nobody.
      chmodSync(p.dir, 0o755);
      chmodSync(dirname(p.socket), 0o755);
      const c = asNobody();
      assert.equal(c.status, 1, c.stderr);
      assert.equal(c.stderr, `vpcwire status: permission denied connecting to ${p.socket} (the socket is 0600); run vpcwire status as root or as ipamd's user\n`);
    } finally {
      await p.stop();
      await sim.stop();
    }
  });
});
