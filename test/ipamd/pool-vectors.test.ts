/**
 * ipamd as a real process on a real unix socket against the emulator: the warm pool reaches
 * exactly upstream's documented counts (DESIGN.md §3 test vectors, t3.small) as pods come and go.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startEmulator } from '../../sim/emulator.ts';
import type { Topology } from '../../sim/topology.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';
import { addPods, ec2Counts, settles } from '../helpers/pool.ts';

const topology: Topology = {
  vpc: {
    cidrs: ['10.60.0.0/16'],
    subnets: [{ name: 'nodes', cidr: '10.60.0.0/20', az: 'us-west-2a' }],
    securityGroups: [{ name: 'node-sg' }],
  },
  instances: [{ name: 'node', type: 't3.small', subnet: 'nodes', securityGroups: ['node-sg'] }],
};

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
          await settles(() => ec2Counts(sim, inst.id), { enis, ips, prefixes: 0 }, { what: `${want} pods` });
        }
        // At max pods the pool is empty: the next pod is told to try again, distinctly.
        const err = await p.client
          .addNetwork({
            key: { networkName: 'vpcwire', containerId: 'c-overflow', ifName: 'eth0' },
            netns: '/var/run/netns/overflow',
            pod: { namespace: 'default', name: 'overflow' },
          })
          .catch((e) => e);
        assert.equal(err.code, 'IPAMD_CALL_POOL_EMPTY');
      } finally {
        await p.stop();
        await sim.stop();
      }
    });
  }
});
