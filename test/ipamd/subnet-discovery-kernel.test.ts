/**
 * Subnet discovery on the real kernel (issue 11 item 3), root only: two emulated nodes of
 * sim/topologies/subnet-discovery.json behind the emulator's VPC router, ipamd and the real CNI
 * plugin. A node's secondary ENI lands in a tagged pod subnet (100.64.0.0/16, another VPC CIDR than
 * the nodes' 10.0.0.0/16); its host route table uses that subnet's gateway, and its pods reach
 * their node and pods of the other node, in either subnet, both ways. Every namespace is removed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type LocalCluster, type LocalPod, startLocalCluster } from '../../cluster/local-cluster.ts';
import { ip } from '../../sim/dataplane/ip.ts';
import { kernelTestsSkipReason, reaches } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const TOPOLOGY = new URL('../../sim/topologies/subnet-discovery.json', import.meta.url).pathname;

describe('subnet discovery on the kernel: pods on an ENI of a tagged pod subnet', { skip: await kernelTestsSkipReason() }, () => {
  let c: LocalCluster;
  const pods: Record<string, LocalPod[]> = {};

  before(async () => {
    c = await startLocalCluster({
      nodes: ['node-1', 'node-2'],
      plugin: await pluginBinary(),
      emulator: { topology: TOPOLOGY },
      ipamdEnv: { CLUSTER_NAME: 'blue' },
    });
    // t3.small: 3 addresses for pods per ENI, so the fourth pod is on a secondary ENI.
    for (const node of ['node-1', 'node-2']) {
      pods[node] = [];
      for (let i = 0; i < 4; i++) pods[node].push(await c.addPod(node, { namespace: 'default', name: `${node}-p${i}` }));
    }
  });
  after(async () => {
    await c?.stop();
  });

  /** The node's pods on its primary ENI and on a secondary ENI (route table > 1). */
  async function split(node: string) {
    const held = await c.node(node).client.listAllocations();
    const table = (p: LocalPod) => held.find((a) => a.key.containerId === p.containerId)!.routeTable;
    const mine = pods[node]!;
    return { primary: mine.find((p) => table(p) <= 1)!, secondary: mine.find((p) => table(p) > 1)!, table: Math.max(...mine.map(table)) };
  }

  test("a secondary ENI's pods have addresses of the zone's tagged subnet, routed through that subnet's gateway", async () => {
    for (const [node, subnet, gateway] of [
      ['node-1', /^100\.64\.([0-9]|[12][0-9]|3[01])\./, '100.64.0.1'],
      ['node-2', /^100\.64\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\./, '100.64.64.1'],
    ] as const) {
      const { primary, secondary, table } = await split(node);
      assert.ok(secondary, `${node}: one pod on a secondary ENI`);
      assert.match(secondary.ip, subnet, `${node}: ${secondary.ip} is in the zone's tagged pod subnet`);
      assert.match(primary.ip, /^10\.0\./, `${node}: ${primary.ip} is in the node subnet`);
      const routes = JSON.parse(await ip(['-j', 'route', 'show', 'table', String(table)], c.node(node).netns!)) as { dst: string; gateway?: string; dev?: string }[];
      const dflt = routes.find((r) => r.dst === 'default');
      assert.equal(dflt?.gateway, gateway, `${node} table ${table}: ${JSON.stringify(routes)}`);
      assert.equal(dflt?.dev, `eth${table - 1}`);
    }
  });

  test('they reach their node and the other node pods in both subnets, and are reached back', async () => {
    const one = await split('node-1');
    const two = await split('node-2');
    assert.ok(await reaches(one.secondary.netns, c.node('node-1').primaryIp), 'pod-subnet pod -> its node');
    assert.ok(await reaches(one.secondary.netns, two.secondary.ip), '-> the other zone pod subnet pod');
    assert.ok(await reaches(one.secondary.netns, two.primary.ip), '-> the other node subnet pod');
    assert.ok(await reaches(one.secondary.netns, one.primary.ip), '-> a pod of its own node on the primary ENI');
    assert.ok(await reaches(two.primary.netns, one.secondary.ip), 'and back from a node-subnet pod');
    assert.ok(await reaches(two.secondary.netns, one.secondary.ip), 'and back from a pod-subnet pod');
  });
});
