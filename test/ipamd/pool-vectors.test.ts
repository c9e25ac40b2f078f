/**
 * ipamd as a real process on a real unix socket against the emulator: the warm pool reaches
 * exactly upstream's documented counts (DESIGN.md §3 test vectors, t3.small) as pods come and go.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Emulator } from '../../sim/emulator.ts';
import { startEmulator } from '../../sim/emulator.ts';
import type { Topology } from '../../sim/topology.ts';
import { type IpamdProcess, startIpamdProcess } from '../helpers/ipamd-process.ts';

const topology: Topology = {
  vpc: {
    cidrs: ['10.60.0.0/16'],
    subnets: [{ name: 'nodes', cidr: '10.60.0.0/20', az: 'us-west-2a' }],
    securityGroups: [{ name: 'node-sg' }],
  },
  instances: [{ name: 'node', type: 't3.small', subnet: 'nodes', securityGroups: ['node-sg'] }],
};

/** ENIs attached to the instance and their secondary IPs, as EC2 sees them. */
function ec2Counts(sim: Emulator, instanceId: string): { enis: number; ips: number } {
  const enis = sim.state.enisOf(instanceId).filter((e) => e.attachment?.status === 'attached');
  return { enis: enis.length, ips: enis.reduce((n, e) => n + e.secondaryIps.length, 0) };
}

/** Waits until EC2 holds `want` and stays there (the pool settled), or fails with what it saw. */
async function settlesAt(sim: Emulator, instanceId: string, want: { enis: number; ips: number }, ms = 15_000) {
  const deadline = Date.now() + ms;
  let stableSince = 0;
  let last = ec2Counts(sim, instanceId);
  while (Date.now() < deadline) {
    last = ec2Counts(sim, instanceId);
    if (last.enis === want.enis && last.ips === want.ips) {
      if (!stableSince) stableSince = Date.now();
      if (Date.now() - stableSince > 400) return;
    } else stableSince = 0;
    await sleep(50);
  }
  assert.deepEqual(last, want, 'the warm pool did not settle at the expected counts');
}

/** Adds pods as kubelet would: a POOL_EMPTY answer (CNI code 11) is retried after a moment. */
async function addPods(p: IpamdProcess, from: number, to: number) {
  for (let i = from; i < to; i++) {
    for (let attempt = 0; ; attempt++) {
      try {
        await p.client.addNetwork({
          key: { networkName: 'vpcwire', containerId: `c${String(i).padStart(8, '0')}`, ifName: 'eth0' },
          netns: `/var/run/netns/pod${i}`,
          pod: { namespace: 'default', name: `pod-${i}`, uid: `uid-${i}` },
        });
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== 'POOL_EMPTY' || attempt > 100) throw e;
        await sleep(100);
      }
    }
  }
}

const vectors: { name: string; env: Record<string, string>; rows: [pods: number, enis: number, ips: number][] }[] = [
  { name: 'WARM_ENI_TARGET=1', env: { WARM_ENI_TARGET: '1' }, rows: [[0, 1, 3], [5, 3, 9], [9, 3, 9]] },
  { name: 'WARM_IP_TARGET=1 MINIMUM_IP_TARGET=1', env: { WARM_IP_TARGET: '1', MINIMUM_IP_TARGET: '1' }, rows: [[0, 1, 1], [5, 2, 6], [9, 3, 9]] },
  { name: 'WARM_IP_TARGET=2 MINIMUM_IP_TARGET=5', env: { WARM_IP_TARGET: '2', MINIMUM_IP_TARGET: '5' }, rows: [[0, 2, 5], [5, 3, 7], [9, 3, 9]] },
];

describe('ipamd warm pool against the emulator (t3.small)', () => {
  for (const v of vectors) {
    test(`${v.name}: pods 0/5/9 -> ENIs ${v.rows.map((r) => r[1]).join('/')}, IPs ${v.rows.map((r) => r[2]).join('/')}`, async () => {
      const sim = await startEmulator({ topology, profile: 'fast', throttling: false });
      const inst = sim.instance('node');
      const p = await startIpamdProcess(sim, inst.id, v.env);
      try {
        let pods = 0;
        for (const [want, enis, ips] of v.rows) {
          await addPods(p, pods, want);
          pods = want;
          await settlesAt(sim, inst.id, { enis, ips });
        }
        // At max pods the pool is empty: the next pod is told to try again, distinctly.
        const err = await p.client
          .addNetwork({
            key: { networkName: 'vpcwire', containerId: 'c-overflow', ifName: 'eth0' },
            netns: '/var/run/netns/overflow',
            pod: { namespace: 'default', name: 'overflow' },
          })
          .catch((e) => e);
        assert.equal(err.code, 'POOL_EMPTY');
      } finally {
        await p.stop();
        await sim.stop();
      }
    });
  }
});
