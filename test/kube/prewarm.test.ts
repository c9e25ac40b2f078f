/**
 * Prewarm against the real API server (issue 11 item 8): pods bound to the node grow the pool
 * before any of their ADDs arrives; bound-then-deleted pods leave the pool at its targets again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import type { Emulator } from '../../sim/emulator.ts';
import type { Topology } from '../../sim/topology.ts';
import { type KubeTestbed, startKubeTestbed } from '../helpers/kube/testbed.ts';
import { freePort } from '../helpers/observed-ipamd.ts';
import { ec2Counts, podKey, settles } from '../helpers/pool.ts';
import { scrape, valueOf } from '../helpers/prometheus-text.ts';

const topology: Topology = {
  vpc: { cidrs: ['10.73.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.73.0.0/20', az: 'us-west-2a' }] },
  instances: [{ name: 'n', type: 'm5.large', subnet: 'nodes' }, { name: 'off', type: 'm5.large', subnet: 'nodes' }],
};
const POOL = { WARM_IP_TARGET: '2', VPCWIRE_RECONCILE_INTERVAL_MS: '5000', VPCWIRE_RELEASE_INTERVAL_MS: '0', VPCWIRE_ENI_MIN_AGE_MS: '0', IP_COOLDOWN_PERIOD: '0' };

describe('prewarm from the pods bound to the node', () => {
  let bed: KubeTestbed;
  let sim: Emulator;
  let core: CoreV1Api;

  before(async () => {
    bed = await startKubeTestbed(topology, { defaultServiceAccount: true });
    ({ sim, core } = bed);
  });
  after(() => bed?.stop());

  const ipamdFor = (node: string, env: Record<string, string> = {}) => bed.ipamd(node, { ...POOL, ...env });

  const bind = (node: string, names: string[], extra: { hostNetwork?: boolean } = {}) =>
    Promise.all(
      names.map((name) =>
        core.createNamespacedPod({
          namespace: 'default',
          body: { metadata: { name }, spec: { nodeName: node, ...extra, automountServiceAccountToken: false, containers: [{ name: 'c', image: 'pause' }] } },
        }),
      ),
    );

  test('8 pods bound: the pool holds 8 + WARM_IP_TARGET before any ADD, and the metrics say why; deleted unstarted: back to the target', async () => {
    const metrics = `127.0.0.1:${await freePort()}`;
    const p = await ipamdFor('n', { VPCWIRE_METRICS_BIND_ADDRESS: metrics });
    const prewarm = async () => {
      const { families } = await scrape(metrics);
      return [valueOf(families, 'vpcwire_prewarm_expected_pods'), valueOf(families, 'vpcwire_prewarm_reserved_addresses')];
    };
    const id = sim.instance('n').id;
    await settles(() => ec2Counts(sim, id).ips, 2, { what: 'the warm target' });
    await bind('n', Array.from({ length: 8 }, (_, i) => `web-${i}`));
    await bind('n', ['host-agent'], { hostNetwork: true });
    // The reconcile interval is 5 s: growing well within it shows the pod watch kicked it.
    await settles(() => ec2Counts(sim, id).ips, 10, { ms: 4000, what: '8 bound pods + WARM_IP_TARGET 2 (the host-network pod needs none)' });
    assert.deepEqual(await prewarm(), [8, 8], 'expected pods and the free addresses held for them');
    // Three start: they take warm addresses; the pool stays at 10 (no growth at ADD time).
    for (let i = 0; i < 3; i++) {
      await p.client.addNetwork({ key: podKey(i), netns: `/var/run/netns/web-${i}`, pod: { namespace: 'default', name: `web-${i}`, uid: `u${i}` } });
    }
    await settles(() => ec2Counts(sim, id).ips, 10, { what: 'no growth when bound pods start' });
    assert.deepEqual(await prewarm(), [5, 5], 'three of the eight have their addresses');
    // The five that never started are deleted: the pool returns to 3 assigned + 2 warm.
    await Promise.all(Array.from({ length: 8 }, (_, i) => core.deleteNamespacedPod({ namespace: 'default', name: `web-${i}`, gracePeriodSeconds: 0 })));
    await settles(() => ec2Counts(sim, id).ips, 5, { ms: 20_000, what: 'the pool back at assigned + WARM_IP_TARGET' });
    assert.deepEqual(await prewarm(), [0, 0]);
  });

  test('VPCWIRE_PREWARM=false: bound pods do not grow the pool', async () => {
    await ipamdFor('off', { VPCWIRE_PREWARM: 'false' });
    const id = sim.instance('off').id;
    await settles(() => ec2Counts(sim, id).ips, 2);
    await bind('off', ['cold-0', 'cold-1', 'cold-2']);
    await settles(() => ec2Counts(sim, id).ips, 2, { stableMs: 1500 });
    assert.ok(true);
  });
});
