/**
 * Issue 9, "Done when" 1, on the real kernel: pods wired by the real plugin run on an emulated
 * node; ipamd is killed, its checkpoint removed or corrupted (truncated, one bad entry, a
 * duplicated address, another node's file), and restarted; then more pods are added than the pool
 * holds free. No new pod may get an address a running pod holds, every running pod keeps its
 * address (and still reaches its node), and each running pod's DEL releases it, leaving nothing in
 * the kernel. Root only; every namespace is removed afterwards.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LocalCluster, type LocalPod, startLocalCluster } from '../../cluster/local-cluster.ts';
import type { Topology } from '../../sim/topology.ts';
import { kernelTestsSkipReason, leftovers, reaches } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const topology: Topology = {
  vpc: { cidrs: ['10.83.0.0/16'], subnets: [{ name: 'a', cidr: '10.83.0.0/20', az: 'us-west-2a' }] },
  instances: [{ name: 'node-a', type: 't3.medium', subnet: 'a' }],
};

type Corruption = (text: string, running: readonly LocalPod[]) => string | undefined;

/** What is done to the checkpoint while ipamd is down; undefined removes the file. */
const CORRUPTIONS: Record<string, Corruption> = {
  deleted: () => undefined,
  truncated: (text) => text.slice(0, Math.floor(text.length / 2)),
  'one bad entry': (text, running) => {
    const doc = JSON.parse(text) as { allocations: { ip: string }[] };
    const entry = doc.allocations.find((a) => a.ip === running[0]!.ip)!;
    entry.ip = '999.1.1.1';
    return JSON.stringify(doc);
  },
  'a duplicated address': (text, running) => {
    // A forged entry first, for another container on the running pod's address: the decoder keeps
    // the first of two, the kernel shows it is wrong.
    const doc = JSON.parse(text) as { allocations: Record<string, unknown>[] };
    const real = doc.allocations.find((a) => a.ip === running[0]!.ip)!;
    doc.allocations.unshift({ ...real, key: { network: 'vpcwire', containerId: 'ghost', ifName: 'eth0' }, pod: { namespace: 'default', name: 'ghost', uid: '' }, hostVeth: 'eniffffffffff1' });
    return JSON.stringify(doc);
  },
  "another node's file": () =>
    JSON.stringify({
      version: 1,
      allocations: [{ key: { network: 'vpcwire', containerId: 'elsewhere', ifName: 'eth0' }, pod: { namespace: 'x', name: 'y', uid: '' }, ip: '10.83.9.9', eniId: 'eni-0123', deviceIndex: 0, allocatedAt: 1 }],
      cooling: [],
    }),
};

describe('ipamd recovers running pods from the kernel when its checkpoint is lost', { skip: await kernelTestsSkipReason() }, () => {
  let c: LocalCluster;
  let seq = 0;

  before(async () => {
    c = await startLocalCluster({
      nodes: ['node-a'],
      plugin: await pluginBinary(),
      emulator: { topology },
      // No periodic kernel audit within the test: each running pod must be released by its own DEL.
      ipamdEnv: { WARM_IP_TARGET: '2', MINIMUM_IP_TARGET: '2', IP_COOLDOWN_PERIOD: '1', VPCWIRE_RESYNC_INTERVAL_MS: '60000', VPCWIRE_RECONCILE_INTERVAL_MS: '200' },
    });
  });
  after(async () => {
    await c?.stop();
  });

  for (const [name, corrupt] of Object.entries(CORRUPTIONS)) {
    test(`checkpoint ${name}: no running pod's address is handed out again, and each is released by its DEL`, async () => {
      const node = c.node('node-a');
      const running: LocalPod[] = [];
      for (let i = 0; i < 3; i++) running.push(await c.addPod('node-a', { namespace: 'default', name: `run-${++seq}` }));
      const runningIps = new Set(running.map((p) => p.ip));

      await node.killIpamd();
      const path = join(node.dir, 'state', 'ipam.json');
      const changed = corrupt(readFileSync(path, 'utf8'), running);
      if (changed === undefined) rmSync(path);
      else writeFileSync(path, changed);
      await node.startIpamd();

      const status = await node.client.getStatus();
      for (const p of running) {
        const a = status.allocations.find((x) => x.ipv4Address === p.ip);
        assert.ok(a, `${p.name}'s ${p.ip} has an allocation after the restart: ${JSON.stringify(status.allocations)}`);
        if (name !== 'one bad entry' && name !== 'a duplicated address') continue;
        if (p === running[0]) assert.equal(a.recovered, true, `${p.name}'s entry was damaged: its address is recovered from the kernel`);
      }
      assert.ok((status.driftCounts?.['kernel-untracked'] ?? 0) >= 1, `drift counted: ${JSON.stringify(status.driftCounts)}`);
      assert.match(readFileSync(node.logFile, 'utf8'), /recovered \d+ allocation\(s\) from the kernel/);
      if (name === 'deleted') assert.match(readFileSync(node.logFile, 'utf8'), /CHECKPOINT MISSING/);

      // More pods than the pool holds free: the pool grows, and no new pod gets a running pod's address.
      const free = (await node.client.getPoolStatus()).free_addresses;
      const added: LocalPod[] = [];
      for (let i = 0; i < free + 2; i++) added.push(await c.addPod('node-a', { namespace: 'extra', name: `x-${++seq}` }));
      const reused = added.filter((p) => runningIps.has(p.ip));
      assert.deepEqual(reused.map((p) => `${p.name} got ${p.ip}`), [], 'a new pod got a running pod\'s address');
      for (const p of running) assert.ok(await reaches(p.netns, node.primaryIp), `${p.name} (${p.ip}) still reaches its node`);

      for (const p of added) assert.equal((await c.delPod(p)).exitCode, 0);
      for (const p of running) {
        const r = await c.delPod(p);
        assert.equal(r.exitCode, 0, r.stdout);
      }
      // Released by the DEL (the plugin's, with the pod's arguments), not by a later kernel audit.
      const deadline = Date.now() + 5000;
      let left: string[];
      for (;;) {
        const held = (await node.client.listAllocations()).filter((a) => runningIps.has(a.ipv4Address));
        left = [...held.map((a) => `allocation ${a.ipv4Address}`)];
        for (const p of running) left.push(...(await leftovers(node.netns!, p.ip, p.hostVeth)).map((x) => `${p.ip}: ${x}`));
        if (left.length === 0 || Date.now() > deadline) break;
        await sleep(100);
      }
      assert.deepEqual(left, [], 'every running pod released, nothing left in the kernel');
    });
  }
});
