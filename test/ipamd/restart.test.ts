/**
 * ipamd's start sequence against the emulator: allocations whose pod veth is gone are dropped,
 * release notes the CNI plugin left while ipamd was down are replayed, a corrupt checkpoint is kept
 * aside and reported, never silently discarded; attachments of runtimes that name no pod (or only
 * half of one) are kept or dropped by the veth named after their container.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { hostVethFor, hostVethName } from '../../ipamd/veth.ts';
import { startEmulator } from '../../sim/emulator.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';
import { freePort } from '../helpers/observed-ipamd.ts';
import { addPods, podKey } from '../helpers/pool.ts';
import { scrape, valueOf } from '../helpers/prometheus-text.ts';

describe('ipamd restart', () => {
  test('drops allocations whose veth is gone, replays release notes, keeps the rest', async () => {
    const sim = await startEmulator({ profile: 'fast', throttling: false });
    const metrics = `127.0.0.1:${await freePort()}`;
    const p = await startIpamdProcess(sim, sim.instance('node-1').id, { WARM_IP_TARGET: '4', VPCWIRE_METRICS_BIND_ADDRESS: metrics });
    try {
      const ips = await addPods(p, 0, 3);
      // pod-0 still runs; pod-1's sandbox vanished while ipamd was down; pod-2 was deleted by the
      // plugin while ipamd was down, which left a release note.
      writeFileSync(join(p.netDir, hostVethName('eni', 'default', 'pod-0')), '');
      writeFileSync(join(p.netDir, hostVethName('eni', 'default', 'pod-2')), '');
      await p.kill('SIGTERM');
      mkdirSync(p.releaseNotesDir, { recursive: true });
      const k = podKey(2);
      writeFileSync(
        join(p.releaseNotesDir, 'note-2.json'),
        JSON.stringify({ network: k.networkName, containerId: k.containerId, ifName: k.ifName }),
      );
      writeFileSync(join(p.releaseNotesDir, 'garbage.json'), '{ not json');
      await p.restart();
      const status = await p.client.getStatus();
      assert.deepEqual(
        status.allocations.map((a) => [a.pod.name, a.ipv4Address]),
        [['pod-0', ips[0]]],
      );
      const states = new Map(status.enis.flatMap((e) => e.addresses).map((a) => [a.ip, a.state]));
      assert.equal(states.get(ips[1]!), 'cooling', 'a dropped allocation cools down before reuse');
      assert.equal(states.get(ips[2]!), 'cooling', 'a replayed release cools down before reuse');
      assert.deepEqual(readdirSync(p.releaseNotesDir), ['garbage.json'], 'replayed notes are removed, bad ones kept');
      assert.match(readFileSync(join(p.dir, 'ipamd.log'), 'utf8'), /unreadable release note left in place/);
      const { families } = await scrape(metrics);
      assert.equal(valueOf(families, 'awscni_del_ip_req_count', { reason: 'release-note' }), 1, 'the replayed DEL is counted, the bad note not');
    } finally {
      await p.stop();
      await sim.stop();
    }
  });

  test('a corrupt checkpoint is kept aside and reported loudly; ipamd still serves', async () => {
    const sim = await startEmulator({ profile: 'fast', throttling: false });
    const p = await startIpamdProcess(sim, sim.instance('node-1').id);
    try {
      await addPods(p, 0, 1);
      await p.kill('SIGTERM');
      writeFileSync(p.checkpoint, '{"version":1,"allocations":[{"key":');
      await p.restart();
      const kept = readdirSync(dirname(p.checkpoint)).filter((f) => f.includes('.corrupt-'));
      assert.equal(kept.length, 1, 'the corrupt file is preserved');
      assert.equal(readFileSync(join(dirname(p.checkpoint), kept[0]!), 'utf8'), '{"version":1,"allocations":[{"key":');
      assert.match(readFileSync(join(p.dir, 'ipamd.log'), 'utf8'), /CHECKPOINT CORRUPT/);
      assert.ok(existsSync(p.checkpoint));
      assert.equal((await p.client.checkHealth()), 'SERVING');
    } finally {
      await p.stop();
      await sim.stop();
    }
  });

  test('without K8S_POD_* (or with only a name) the veth named after the container decides, as AddNetwork named it', async () => {
    const sim = await startEmulator({ profile: 'fast', throttling: false });
    const p = await startIpamdProcess(sim, sim.instance('node-1').id, { WARM_IP_TARGET: '4' });
    try {
      const key = (i: number) => ({ networkName: 'podman', containerId: `ctr${i}`, ifName: 'eth0' });
      const pods = [{}, { name: 'web' }, {}, { name: 'db' }];
      const added = [];
      for (const [i, pod] of pods.entries()) added.push(await p.client.addNetwork({ key: key(i), netns: `/run/netns/ctr${i}`, pod }));
      for (const [i, a] of added.entries()) {
        assert.equal(a.hostVethName, hostVethFor('eni', {}, key(i)), `pod ${i}: named by container and interface`);
      }
      // Containers 0 and 1 still run; 2 and 3 vanished while ipamd was down.
      for (const a of added.slice(0, 2)) writeFileSync(join(p.netDir, a.hostVethName!), '');
      await p.kill('SIGTERM');
      await p.restart();
      const status = await p.client.getStatus();
      assert.deepEqual(
        status.allocations.map((a) => [a.key.containerId, a.pod.name ?? '', a.ipv4Address]).sort(),
        [['ctr0', '', added[0]!.ipv4Address], ['ctr1', 'web', added[1]!.ipv4Address]],
        'kept while the veth exists, dropped when it is gone: never "cannot tell, keep"',
      );
      assert.match(readFileSync(join(p.dir, 'ipamd.log'), 'utf8'), /host veth of container ctr2 no longer exists/);
    } finally {
      await p.stop();
      await sim.stop();
    }
  });
});
