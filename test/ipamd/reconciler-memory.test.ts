/**
 * The reconciler on the in-memory EC2 port (issue 10 item 7): the emulator's state model with no
 * HTTP, SigV4 or SDK between, and timers injected, so pool behaviour is checked in milliseconds
 * and scheduling without waiting. The same behaviour over the real SDK and HTTP is covered by
 * pool-vectors.test.ts and pool-behaviour.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseAddress } from '../../warm-pool/index.ts';
import { parseConfig } from '../../ipamd/config.ts';
import { Datastore } from '../../ipamd/datastore/datastore.ts';
import { EniManager } from '../../ipamd/eni-manager.ts';
import { disabledHostNetwork } from '../../ipamd/host-network/host-network.ts';
import { silentLogger } from '../../ipamd/logger.ts';
import { Reconciler } from '../../ipamd/reconciler.ts';
import type { TimerHandle, Timers } from '../../ipamd/timers.ts';
import { startEmulator } from '../../sim/emulator.ts';
import type { Topology } from '../../sim/topology.ts';
import { MemoryEc2, memoryImds } from '../helpers/memory-ec2.ts';

const topology: Topology = {
  vpc: { cidrs: ['10.87.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.87.0.0/20', az: 'us-west-2a' }] },
  instances: [{ name: 'node', type: 't3.small', subnet: 'nodes' }],
};

/** Timers a test fires by hand: nothing runs until `fire` is called. */
class ManualTimers implements Timers {
  readonly pending = new Map<number, { fn: () => void; ms: number; every: boolean }>();
  #next = 1;
  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.pending.set(this.#next, { fn, ms, every: false });
    return this.#next++;
  }
  clearTimeout(h: TimerHandle): void {
    this.pending.delete(h as number);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    this.pending.set(this.#next, { fn, ms, every: true });
    return this.#next++;
  }
  clearInterval(h: TimerHandle): void {
    this.pending.delete(h as number);
  }
  /** Runs every timer due now (one-shots are removed), then lets their promises settle. */
  async fire(): Promise<void> {
    for (const [id, t] of [...this.pending]) {
      if (!t.every) this.pending.delete(id);
      t.fn();
    }
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  }
}

async function node(env: Record<string, string>, clock = { t: 1_700_000_000_000 }, timers?: Timers) {
  const sim = await startEmulator({ topology, profile: 'instant', throttling: false });
  const instanceId = sim.instance('node').id;
  const ec2 = new MemoryEc2(sim.state);
  const imds = memoryImds(sim.state, instanceId, sim.region);
  const identity = await imds.identity();
  const instanceType = await ec2.instanceType(identity.instanceType);
  const primaryEni = (await imds.enis()).find((e) => e.mac === identity.primaryMac)!;
  const logger = silentLogger();
  const config = parseConfig({ VPCWIRE_HOST_NETWORK: 'false', ...env });
  const now = () => clock.t;
  const store = new Datastore({ checkpoint: { write: async () => {} }, chooseAddress, logger, cooldownMs: 0, now });
  const enis = new EniManager({ ec2, imds, config, logger, identity, instanceType, primaryEni, now, waits: { minTimeoutMs: 1, maxTimeoutMs: 5 } });
  const reconciler = new Reconciler({
    store, enis, ec2, hostNetwork: disabledHostNetwork, config, instanceType, instanceId, logger, now,
    ...(timers ? { timers } : {}),
  });
  await reconciler.resync({ waitForAttaching: true });
  await store.restore({ allocations: [], cooling: [] }, { vethExists: async () => true });
  const inEc2 = () => {
    const attached = sim.state.enisOf(instanceId).filter((e) => e.attachment?.status === 'attached');
    return { enis: attached.length, ips: attached.reduce((s, e) => s + e.secondaryIps.length, 0) };
  };
  return { sim, ec2, store, reconciler, inEc2, clock };
}

describe('reconciler on the in-memory EC2 port', () => {
  // DESIGN.md §3, upstream's documented outcomes (t3.small: 3 ENIs, 3 secondary IPs each).
  const vectors: { env: Record<string, string>; rows: [pods: number, enis: number, ips: number][] }[] = [
    { env: { WARM_ENI_TARGET: '1' }, rows: [[0, 1, 3], [5, 3, 9], [9, 3, 9]] },
    { env: { WARM_IP_TARGET: '1', MINIMUM_IP_TARGET: '1' }, rows: [[0, 1, 1], [5, 2, 6], [9, 3, 9]] },
    { env: { WARM_IP_TARGET: '2', MINIMUM_IP_TARGET: '5' }, rows: [[0, 2, 5], [5, 3, 7], [9, 3, 9]] },
  ];
  for (const v of vectors) {
    test(`upstream's vector ${JSON.stringify(v.env)}: pods 0/5/9 -> ENIs and IPs`, async () => {
      const n = await node(v.env);
      try {
        let pods = 0;
        for (const [want, enis, ips] of v.rows) {
          for (; pods < want; pods++) {
            await n.reconciler.settle();
            await n.store.assign({ networkName: 'vpcwire', containerId: `c${pods}`, ifName: 'eth0' }, { namespace: 'd', name: `p${pods}`, uid: '' });
          }
          await n.reconciler.settle();
          assert.deepEqual(n.inEc2(), { enis, ips }, `${want} pods`);
        }
      } finally {
        await n.sim.stop();
      }
    });
  }

  test('the loop runs on the injected timers: nothing before they fire, a resync at each resync interval', async () => {
    const timers = new ManualTimers();
    const n = await node({ WARM_IP_TARGET: '2', MINIMUM_IP_TARGET: '2', VPCWIRE_RESYNC_INTERVAL_MS: '60000' }, undefined, timers);
    try {
      const describes = () => n.ec2.calls.get('DescribeNetworkInterfaces') ?? 0;
      const before = describes();
      n.reconciler.start(5000);
      assert.equal(n.inEc2().ips, 0, 'nothing happens until a timer fires');
      await timers.fire();
      assert.equal(n.inEc2().ips, 2, 'the first pass fills the pool');
      assert.equal(describes(), before + 1, 'and resyncs once');
      await timers.fire();
      assert.equal(describes(), before + 1, 'no resync before the interval has passed on the clock');
      n.clock.t += 60_000;
      await timers.fire();
      assert.equal(describes(), before + 2, 'one resync once it has');
      await n.reconciler.stop();
      assert.equal(timers.pending.size, 0, 'stop leaves no timer behind');
    } finally {
      await n.sim.stop();
    }
  });
  test('growth that needs several ENIs creates them in one step, each on its own device index', async () => {
    // MINIMUM_IP_TARGET 8 on a t3.small: the primary's 3 slots, then two ENIs of 3 and 2.
    const n = await node({ MINIMUM_IP_TARGET: '8', WARM_IP_TARGET: '1' });
    try {
      assert.equal((await n.reconciler.step()).kind, 'assign', 'the primary ENI first');
      const step = await n.reconciler.step();
      assert.equal(step.kind, 'create-eni');
      assert.deepEqual(n.inEc2(), { enis: 3, ips: 8 }, 'both ENIs in the one step');
      const devices = n.sim.state.enisOf(n.sim.instance('node').id).map((e) => e.attachment?.deviceIndex).sort();
      assert.deepEqual(devices, [0, 1, 2]);
      assert.equal((await n.reconciler.step()).kind, 'none');
      assert.equal(n.store.enis().length, 3, 'both in the datastore');
    } finally {
      await n.sim.stop();
    }
  });
});
