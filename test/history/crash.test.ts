/**
 * The history is durable before an ADD is answered (issue 13 item 1), proven by killing ipamd
 * (SIGKILL) while ADDs and DELs are in flight: after each restart, every address the ledger holds
 * has exactly one open holding, for the same pod, and every ADD that was answered is recorded as
 * that ADD (`add`), never rebuilt at start (`recovered-checkpoint` would mean the checkpoint had it
 * and the history did not when the pod was answered).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { heldAt } from '../../ipamd/history/query.ts';
import { readHistory } from '../../ipamd/history/reader.ts';
import { hostVethName } from '../../ipamd/veth.ts';
import { startEmulator } from '../../sim/emulator.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';
import { podKey } from '../helpers/pool.ts';

test('killed mid-traffic: every answered ADD is recorded as itself; the ledger and the history agree after each restart', async (t) => {
  const sim = await startEmulator({ profile: 'fast', throttling: false, dataPlane: false });
  t.after(() => sim.stop());
  const p = await startIpamdProcess(sim, sim.instance('node-1').id, { WARM_IP_TARGET: '8', IP_COOLDOWN_PERIOD: '0' });
  t.after(() => p.stop());
  const dir = join(p.dir, 'state', 'history');
  const answered = new Map<string, string>(); // pod name -> address, ADDs answered and not DELeted
  let next = 0;
  for (let round = 0; round < 6; round++) {
    const inflight: Promise<unknown>[] = [];
    for (let i = 0; i < 12; i++) {
      const n = next++;
      const name = `pod-${n}`;
      // Created before the ADD, as the plugin wires the veth right after it: a restart keeps it.
      writeFileSync(join(p.netDir, hostVethName('eni', 'default', name)), '');
      inflight.push(
        p.client.addNetwork({ key: podKey(n), netns: `/x/${n}`, pod: { namespace: 'default', name, uid: `u${n}` } }).then(
          (r) => answered.set(name, r.ipv4Address),
          () => undefined,
        ),
      );
      const victim = [...answered.keys()][0];
      if (i % 4 === 3 && victim) {
        const k = podKey(Number(victim.slice(4)));
        answered.delete(victim); // its outcome is unknown if the kill comes first
        inflight.push(p.client.delNetwork({ key: k, reason: 'test' }).catch(() => undefined));
      }
    }
    await sleep(2 + round * 3);
    await p.kill('SIGKILL');
    await Promise.allSettled(inflight);
    await p.restart();

    const status = await p.client.getStatus();
    const now = Date.now();
    const read = await readHistory(dir);
    for (const a of status.allocations) {
      const holders = heldAt(read.records.filter((r) => r.ip === a.ipv4Address), now);
      assert.equal(holders.length, 1, `round ${round}: ${a.ipv4Address} has ${holders.length} open holdings`);
      assert.equal(holders[0]!.record.name, a.pod.name, `round ${round}: ${a.ipv4Address}`);
    }
    const open = read.records.filter((r) => r.end === undefined).map((r) => r.ip).sort();
    assert.deepEqual(open, status.allocations.map((a) => a.ipv4Address).sort(), `round ${round}: open holdings are the ledger's`);
    for (const [name, ip] of answered) {
      const r = read.records.find((x) => x.ip === ip && x.name === name && x.end === undefined);
      assert.ok(r, `round ${round}: answered ${name} (${ip}) has an open holding`);
      assert.equal(r.how, 'add', `round ${round}: ${name} was recorded before its ADD was answered`);
    }
    assert.equal(read.problems.filter((x) => !x.torn).length, 0, 'only a torn last line, if any');
  }
});
