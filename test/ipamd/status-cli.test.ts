import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { startEmulator } from '../../sim/emulator.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';
import { addPods, ec2Counts, settles } from '../helpers/pool.ts';

const BIN = new URL('../../bin/vpcwire.ts', import.meta.url).pathname;

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

  test('a missing ipamd is reported, not hung on', () => {
    const r = spawnSync(process.execPath, [BIN, 'status', '--socket', '/tmp/vpcwire-no-such.sock'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot read ipamd's status at \/tmp\/vpcwire-no-such\.sock/);
  });
});
