/**
 * kill -9 in the middle of allocation bursts, against a real ipamd process and the emulator
 * (issue 3, "Done when": the ledger, the checkpoint and EC2 agree; no address lost or doubled;
 * over at least 50 randomized kill points).
 *
 * One emulator and one ipamd (same files throughout) per test. Each round fires a burst of
 * concurrent ADDs of new pods and DELs of live ones, SIGKILLs ipamd after a random 0-150 ms (so
 * kills land before, during and after checkpoint writes, and during the pool's EC2 calls: the short
 * cooldown, release interval and ENI age make the pool grow and shrink all the time), restarts it on
 * the same files and checks:
 *   (a) every acknowledged ADD whose pod was not deleted is still allocated, with the same address,
 *       and a repeated ADD returns it; nothing else is allocated (every other pod's veth is gone);
 *   (b) no address is allocated to two keys;
 *   (c) every allocated address is a secondary IP of the ENI ipamd names, attached to the node;
 *   (d) the checkpoint on disk holds exactly what ipamd reports;
 *   (e) ipamd's ENIs and addresses are exactly those attached to the node in EC2, within the
 *       instance's limits; an ENI left `available` by a kill is swept within the run; after the
 *       last pod leaves, the node holds WARM_IP_TARGET addresses and nothing else.
 * Random delays rarely hit the few-millisecond gaps between the EC2 calls of one pool step, so a
 * second test kills ipamd exactly as EC2 answers each mutating action, and a third right after
 * AttachNetworkInterface while EC2 is still attaching when ipamd comes back: an ENI the killed
 * ipamd attached must end up with DeleteOnTermination=true (or be freed), or it outlives the node.
 *
 * Acknowledged = the call resolved successfully: ipamd answers only once the change is on disk, so
 * even a reply that raced the kill counts. The pod model follows the CNI plugin and the kernel: a
 * pod's host veth (a file in netDir) exists before its ADD, and is gone once an ADD fails or a DEL
 * is attempted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../../sim/faults/seeded-random.ts';
import { cycleUntil, killOn, MUTATING, STEP_ACTIONS } from '../helpers/crash-kills.ts';
import { Node, SEED } from '../helpers/crash-node.ts';
import { podOf } from '../helpers/crash-pods.ts';

const ROUNDS = Number(process.env.VPCWIRE_CRASH_ROUNDS ?? 50);
const MAX_LIVE_PODS = 18; // m5.large: 3 ENIs x 9 pod addresses; WARM_IP_TARGET=3 on top

test(`kill -9 at ${ROUNDS} random points of allocation bursts (seed ${SEED}): the ledger, the checkpoint and EC2 agree`, { timeout: 180_000 }, async (t) => {
  const rnd = seededRandom(SEED);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const node = await Node.start();
  await node.run(t, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const delay = rnd() * 150;
      node.label = `round ${round} (kill after ${delay.toFixed(1)} ms)`;
      const nDel = Math.min(node.live.size, int(0, 4));
      const nAdd = Math.min(int(1, 6), MAX_LIVE_PODS - node.live.size + nDel);
      const pool = [...node.live.keys()];
      const dels = Array.from({ length: nDel }, () => podOf(pool.splice(int(0, pool.length - 1), 1)[0]!));
      const adds = Array.from({ length: nAdd }, () => node.newPod());
      const seq = node.sim.log.lastSeq;
      // Settled from the start: a refusal (POOL_EMPTY) may come before the kill.
      const burst = Promise.allSettled([...adds.map((pod) => node.add(pod)), ...dels.map((pod) => node.del(pod))]);
      await sleep(delay);
      const killedAt = Date.now();
      await node.kill();
      const mutations = node.sim.log.entries({ service: 'ec2', sinceSeq: seq }).filter((e) => MUTATING.has(e.action) && e.at <= killedAt);
      node.cover.rounds++;
      if (mutations.length > 0) node.cover.ec2Rounds++;
      if (mutations.some((e) => killedAt - e.at < 20)) node.cover.ec2Within20ms++;
      // The plugin has rolled back every ADD cut short (its veth is gone) before ipamd is back.
      for (const r of await burst) {
        // Only assertion failures matter here; refused and cut-short calls are accounted for in add/del.
        if (r.status === 'rejected' && r.reason instanceof assert.AssertionError) throw r.reason;
      }
      await node.restart();
      await node.verify(rnd);
    }
    await node.drain();
  });
});

test('kill -9 just as EC2 answers each mutating call of a pool step: the restarted ipamd adopts or sweeps what it left', { timeout: 120_000 }, async (t) => {
  const rnd = seededRandom(SEED);
  const node = await Node.start();
  await node.run(t, async () => {
    for (const action of STEP_ACTIONS) {
      node.label = `kill as EC2 answers ${action}`;
      const k = killOn(node, action);
      try {
        await cycleUntil(node, () => k.killed, 20_000, action);
      } finally {
        k.off();
      }
      await node.kill();
      await node.restart();
      // Whether the ENI attached here keeps DeleteOnTermination=false depends on whether ipamd
      // frees it soon (ENI age 0): the third test checks that deterministically.
      await node.verify(rnd);
    }
    await node.drain();
  });
});

test('kill -9 right after AttachNetworkInterface, EC2 still attaching when ipamd is back: the ENI is adopted, with DeleteOnTermination', { timeout: 60_000 }, async (t) => {
  const rnd = seededRandom(SEED);
  // Longer than a restart takes here (about 1 s), as on AWS (1-2 s); the ENI age keeps ipamd from
  // freeing the adopted ENI (it would hide what state it was left in).
  const attachDelayMs = 2500;
  const node = await Node.start({ timings: { attachDelayMs }, env: { VPCWIRE_ENI_MIN_AGE_MS: '60000' } });
  await node.run(t, async () => {
    node.label = 'kill as EC2 answers AttachNetworkInterface (attach takes 2.5 s)';
    const k = killOn(node, 'AttachNetworkInterface');
    try {
      await cycleUntil(node, () => k.killed, 20_000, 'AttachNetworkInterface');
    } finally {
      k.off();
    }
    await node.kill();
    const seq = node.sim.log.lastSeq;
    await node.restart();
    const created = node.sim.log.entries({ action: 'CreateNetworkInterface', sinceSeq: seq }).length;
    t.diagnostic(
      `${k.eniId} was ${node.sim.state.enis.get(k.eniId)?.attachment?.status ?? 'gone'} when ipamd was serving again, ${node.restartMs.at(-1)} ms after its start; it created ${created} ENI(s) meanwhile`,
    );
    await node.verify(rnd, attachDelayMs + 3000);
    await node.assertDeleteOnTermination(k.eniId);
  });
});
