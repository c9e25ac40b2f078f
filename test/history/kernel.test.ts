/**
 * The address history on the real kernel (issue 13 item 2): pods wired by the real plugin on an
 * emulated node (a netns); ipamd is killed and its checkpoint deleted with the pods running. The
 * kernel audit recovers their addresses without pod identity; the history keeps the identity it
 * recorded, adds no second holding, and ends each holding with its pod's DEL through the plugin.
 * Root only; every namespace is removed afterwards.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type LocalCluster, type LocalPod, startLocalCluster } from '../../cluster/local-cluster.ts';
import { heldAt } from '../../ipamd/history/query.ts';
import { readHistory } from '../../ipamd/history/reader.ts';
import type { Topology } from '../../sim/topology.ts';
import { kernelTestsSkipReason } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const topology: Topology = {
  vpc: { cidrs: ['10.84.0.0/16'], subnets: [{ name: 'a', cidr: '10.84.0.0/20', az: 'us-west-2a' }] },
  instances: [{ name: 'node-h', type: 't3.medium', subnet: 'a' }],
};

describe('address history on the kernel', { skip: await kernelTestsSkipReason() }, () => {
  let c: LocalCluster;
  before(async () => {
    c = await startLocalCluster({
      nodes: ['node-h'],
      plugin: await pluginBinary(),
      emulator: { topology },
      ipamdEnv: { WARM_IP_TARGET: '2', IP_COOLDOWN_PERIOD: '1', VPCWIRE_RESYNC_INTERVAL_MS: '60000' },
    });
  });
  after(async () => {
    await c?.stop();
  });

  test('checkpoint deleted with pods running: the history keeps who they are; their DELs end their holdings', async () => {
    const node = c.node('node-h');
    const dir = join(node.dir, 'state', 'history');
    const pods: LocalPod[] = [];
    for (const name of ['web-1', 'db-1']) pods.push(await c.addPod('node-h', { namespace: 'shop', name }));

    await node.killIpamd();
    rmSync(join(node.dir, 'state', 'ipam.json'));
    await node.startIpamd();
    const status = await node.client.getStatus();
    for (const p of pods) {
      const a = status.allocations.find((x) => x.ipv4Address === p.ip);
      assert.equal(a?.recovered, true, `${p.name}'s ${p.ip} recovered from the kernel, no pod known to the ledger`);
      const records = (await readHistory(dir, { ip: p.ip })).records;
      assert.deepEqual(records.map((r) => [r.namespace, r.name, r.how, r.end]), [['shop', p.name, 'add', undefined]], `${p.name}: one holding, its own`);
      assert.equal(records[0]!.hostVeth, p.hostVeth);
    }

    for (const p of pods) assert.equal((await c.delPod(p)).exitCode, 0);
    for (const p of pods) {
      const records = (await readHistory(dir, { ip: p.ip })).records;
      assert.deepEqual(records.map((r) => [r.name, r.endHow]), [[p.name, 'del']]);
      assert.deepEqual(heldAt(records, records[0]!.end! - 1).map((h) => h.record.name), [p.name]);
      assert.deepEqual(heldAt(records, records[0]!.end!), []);
    }
  });
});
