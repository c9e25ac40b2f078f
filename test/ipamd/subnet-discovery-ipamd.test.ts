/**
 * Subnet discovery end to end (issue 11 item 3): ipamd as a real process, the AWS SDK, the HTTP
 * emulator with sim/topologies/subnet-discovery.json. Node-1 lives in nodes-a (10.0.0.0/24,
 * us-west-2a); the subnets of its zone that would win on size alone are each disqualified:
 * pods-b (another zone), pods-a-other-cluster (tagged for cluster `other`), reserved-a (=0),
 * plain-a (untagged). So pods-a1 (/19) comes first, then pods-a2 (/20), then nodes-a.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { hostVethName } from '../../ipamd/veth.ts';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import { type IpamdProcess, startIpamdProcess } from '../helpers/ipamd-process.ts';
import { addPods, settles } from '../helpers/pool.ts';

const TOPOLOGY = new URL('../../sim/topologies/subnet-discovery.json', import.meta.url).pathname;
const CNI = 'kubernetes.io/role/cni';

async function withNode(
  env: Record<string, string>,
  fn: (ctx: { sim: Emulator; p: IpamdProcess; instanceId: string; subnetOfDevice: (d: number) => string | undefined }) => Promise<void>,
  before: (sim: Emulator) => void = () => {},
) {
  const sim = await startEmulator({ topology: TOPOLOGY, profile: 'fast', throttling: false });
  before(sim);
  const instanceId = sim.instance('node-1').id;
  const names = new Map([...sim.state.subnets.keys()].map((id) => [id, id]));
  for (const s of ['nodes-a', 'pods-a1', 'pods-a2', 'pods-a-other-cluster', 'reserved-a', 'plain-a', 'nodes-b', 'pods-b']) names.set(sim.subnet(s).id, s);
  const subnetOfDevice = (d: number) => {
    const eni = sim.state.enisOf(instanceId).find((e) => e.attachment?.status === 'attached' && e.attachment.deviceIndex === d);
    return eni && names.get(eni.subnetId);
  };
  // WARM_ENI_TARGET=1 on a t3.small: the primary ENI's 3 addresses are warm at 0 pods; the first
  // pod makes ipamd create ENI 1, the fourth ENI 2.
  const p = await startIpamdProcess(sim, instanceId, { WARM_ENI_TARGET: '1', CLUSTER_NAME: 'blue', ...env });
  try {
    await fn({ sim, p, instanceId, subnetOfDevice });
  } finally {
    await p.stop();
    await sim.stop();
  }
}

/** Takes every free address of a subnet, as other nodes would. */
function exhaust(sim: Emulator, name: string): void {
  const pool = sim.state.subnet(sim.subnet(name).id).pool;
  pool.allocateAddresses(pool.availableCount);
}

describe('subnet discovery: ipamd against the emulator', () => {
  test('new ENIs go to the tagged subnet of the zone with most free addresses, then the next once it is exhausted; a restart adopts them with their own subnets', async () => {
    await withNode({}, async ({ sim, p, instanceId, subnetOfDevice }) => {
      const primary = sim.state.eni(sim.state.instance(instanceId).primaryEniId);
      const ips0 = await addPods(p, 0, 1);
      await settles(() => subnetOfDevice(1), 'pods-a1');
      const eni1 = sim.state.enisOf(instanceId).find((e) => e.attachment!.deviceIndex === 1)!;
      assert.deepEqual(eni1.groupIds, primary.groupIds, "the primary ENI's security groups");

      exhaust(sim, 'pods-a1');
      const ips = await addPods(p, 1, 7);
      await settles(() => subnetOfDevice(2), 'pods-a2');
      // Pods got addresses of the other subnets' ENIs: 3 on the primary ENI, then ENI 1 and ENI 2.
      assert.ok(ips.some((ip) => ip.startsWith('100.64.0.')), `an address of pods-a1 in ${ips.join(' ')}`);
      const status = async () =>
        Object.fromEntries((await p.client.getStatus()).enis.map((e) => [e.deviceIndex, e.subnetCidr]));
      const want = { 0: '10.0.0.0/24', 1: '100.64.0.0/19', 2: '100.64.32.0/20' };
      assert.deepEqual(await status(), want, "each ENI with its own subnet's CIDR");

      // A restart adopts the ENIs from EC2: each takes its own subnet's CIDR, not the primary's
      // (with the primary's, the datastore refuses their addresses and their pods lose them).
      for (let i = 0; i < 7; i++) writeFileSync(join(p.netDir, hostVethName('eni', 'default', `pod-${i}`)), '');
      await p.kill();
      await p.restart();
      assert.deepEqual(await status(), want);
      assert.deepEqual((await p.client.listAllocations()).map((a) => a.ipv4Address).sort(), [...ips0, ...ips].sort(), 'every pod kept its address');
      const creates = sim.log.entries({ action: 'CreateNetworkInterface' }).filter((e) => e.status === 200);
      assert.deepEqual(
        creates.map((c) => c.params.SubnetId),
        [sim.subnet('pods-a1').id, sim.subnet('pods-a2').id],
        'never the untagged, =0, other-cluster or other-zone subnets',
      );
    });
  });

  test('a subnet that refuses the ENI (InsufficientFreeAddressesInSubnet) is passed over for the next best in the same step', async () => {
    await withNode({}, async ({ sim, p, subnetOfDevice }) => {
      const since = sim.log.lastSeq;
      sim.faults.failNext('CreateNetworkInterface', 1, { code: 'InsufficientFreeAddressesInSubnet' });
      await addPods(p, 0, 1);
      await settles(() => subnetOfDevice(1), 'pods-a2');
      const creates = sim.log.entries({ action: 'CreateNetworkInterface', sinceSeq: since });
      assert.deepEqual(
        creates.map((c) => [c.params.SubnetId, c.status]),
        [
          [sim.subnet('pods-a1').id, 400],
          [sim.subnet('pods-a2').id, 200],
        ],
      );
      assert.equal((await p.client.getPoolStatus()).can_grow, true, 'growth did not pause: another subnet took the ENI');
    });
  });

  test('ENABLE_SUBNET_DISCOVERY=false: the primary subnet, and no DescribeSubnets', async () => {
    await withNode({ ENABLE_SUBNET_DISCOVERY: 'false' }, async ({ sim, p, subnetOfDevice }) => {
      await addPods(p, 0, 1);
      await settles(() => subnetOfDevice(1), 'nodes-a');
      assert.deepEqual(sim.log.entries({ action: 'DescribeSubnets' }), []);
    });
  });

  test('no subnet of the zone tagged for this cluster: the primary subnet', async () => {
    const untag = (sim: Emulator) => {
      for (const name of ['pods-a1', 'pods-a2']) sim.state.tagsOf(sim.subnet(name).id).delete(CNI);
    };
    await withNode(
      {},
      async ({ sim, p, subnetOfDevice }) => {
        await addPods(p, 0, 1);
        await settles(() => subnetOfDevice(1), 'nodes-a');
        assert.ok(sim.log.entries({ action: 'DescribeSubnets' }).length >= 1, 'discovery looked');
      },
      untag,
    );
  });
});
