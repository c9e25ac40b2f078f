/**
 * 64 concurrent AddNetwork calls against a real ipamd process on a real unix socket (issue 3,
 * "Done when": no duplicate). The datastore serializes and group-commits them; these tests check
 * the outcome as a CNI plugin and EC2 see it: distinct addresses, each really on the ENI the reply
 * names (attached to this node, at the device index the reply gives, so the plugin's route table is
 * right), the same address for a repeated ADD, everything released by DEL, and the checkpoint
 * agreeing at every stage.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddRequest, AddResult } from '../../ipamd/api/handlers.ts';
import { decodeCheckpoint } from '../../ipamd/datastore/checkpoint-format.ts';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import { formatIpv4 } from '../../sim/ipv4.ts';
import type { Topology } from '../../sim/topology.ts';
import { type IpamdProcess, startIpamdProcess } from '../helpers/ipamd-process.ts';

const N = 64;

const topology: Topology = {
  vpc: {
    cidrs: ['10.80.0.0/16'],
    subnets: [{ name: 'nodes', cidr: '10.80.0.0/20', az: 'us-west-2a' }],
    securityGroups: [{ name: 'node-sg' }],
  },
  // 8 ENIs x 30 IPv4: 29 pod addresses per ENI, so 64 free addresses span three ENIs.
  instances: [{ name: 'node', type: 'm5.4xlarge', subnet: 'nodes', securityGroups: ['node-sg'] }],
};

const request = (i: number, tag = 'c'): AddRequest => ({
  key: { networkName: 'vpcwire', containerId: `${tag}${String(i).padStart(4, '0')}`, ifName: 'eth0' },
  netns: `/var/run/netns/${tag}${i}`,
  pod: { namespace: 'concurrency', name: `${tag}-pod-${i}`, uid: `${tag}-uid-${i}` },
});

/** The checkpoint on disk as key -> address, plus its cooling addresses. */
function checkpointOnDisk(p: IpamdProcess): { allocations: Map<string, string>; cooling: Set<string> } {
  const decoded = decodeCheckpoint(readFileSync(p.checkpoint, 'utf8'));
  assert.equal(decoded.fatal, undefined);
  assert.deepEqual(decoded.problems, []);
  return {
    allocations: new Map(decoded.state.allocations.map((a) => [a.key.containerId, a.ip])),
    cooling: new Set(decoded.state.cooling.map((c) => c.ip)),
  };
}

describe('64 concurrent AddNetwork calls against a real ipamd (m5.4xlarge, WARM_IP_TARGET=64)', () => {
  let sim: Emulator;
  let p: IpamdProcess;
  let instanceId: string;
  /** Calls kubelet retried after POOL_EMPTY (CNI code 11), for the report. */
  let retries = 0;

  /** ADD as kubelet drives it: a POOL_EMPTY answer is retried after a moment. */
  async function add(req: AddRequest): Promise<AddResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await p.client.addNetwork(req);
      } catch (e) {
        if ((e as { code?: string }).code !== 'IPAMD_CALL_POOL_EMPTY' || attempt >= 100) throw e;
        retries++;
        await sleep(100);
      }
    }
  }

  /** Each reply's address is a secondary IP of the ENI it names, attached to this node as the reply says. */
  function assertOnNodeEnis(results: readonly AddResult[]): void {
    const subnetCidr = sim.subnet('nodes').cidr.text;
    for (const r of results) {
      const eni = sim.state.enis.get(r.eniId);
      assert.ok(eni, `${r.ipv4Address}: ENI ${r.eniId} does not exist in EC2`);
      assert.equal(eni.attachment?.instanceId, instanceId, `${r.eniId} is not attached to the node`);
      assert.equal(eni.attachment.status, 'attached');
      assert.ok(eni.secondaryIps.map(formatIpv4).includes(r.ipv4Address), `${r.ipv4Address} is not a secondary IP of ${r.eniId} in EC2`);
      assert.notEqual(formatIpv4(eni.primaryIp), r.ipv4Address, 'an ENI primary address handed to a pod');
      assert.equal(r.deviceIndex, eni.attachment.deviceIndex, `${r.ipv4Address}: device index`);
      assert.equal(r.routeTable, r.deviceIndex === 0 ? 0 : r.deviceIndex + 1, `${r.ipv4Address}: route table`);
      assert.equal(r.eniMac, eni.macAddress, `${r.ipv4Address}: ENI MAC`);
      assert.equal(r.subnetCidr, subnetCidr);
    }
  }

  before(async () => {
    sim = await startEmulator({ topology, profile: 'fast', throttling: false });
    instanceId = sim.instance('node').id;
    // ipamd fills the pool before it reports SERVING, so the burst finds 64 free addresses.
    p = await startIpamdProcess(sim, instanceId, { WARM_IP_TARGET: String(N) });
  });

  after(async () => {
    await p?.stop();
    await sim?.stop();
  });

  test('64 distinct keys: 64 distinct addresses on the node ENIs; repeated ADDs return them; DELs release them all', async (t) => {
    const reqs = Array.from({ length: N }, (_, i) => request(i));
    const t0 = performance.now();
    const first = await Promise.all(reqs.map(add));
    const addMs = performance.now() - t0;

    const ips = first.map((r) => r.ipv4Address);
    assert.equal(new Set(ips).size, N, `duplicate addresses among ${ips.sort().join(', ')}`);
    assertOnNodeEnis(first);
    const byKey = new Map(first.map((r, i) => [reqs[i]!.key.containerId, r]));

    // ipamd's ledger and the checkpoint on disk hold exactly these 64.
    const status = await p.client.getStatus();
    assert.deepEqual(
      new Map(status.allocations.map((a) => [a.key.containerId, `${a.ipv4Address}@${a.eniId}`])),
      new Map([...byKey].map(([k, r]) => [k, `${r.ipv4Address}@${r.eniId}`])),
    );
    assert.deepEqual(checkpointOnDisk(p).allocations, new Map([...byKey].map(([k, r]) => [k, r.ipv4Address])));

    // A repeated ADD (kubelet retrying) returns the same address, all 64 at once too.
    const again = await Promise.all(reqs.map(add));
    again.forEach((r, i) => {
      assert.equal(r.ipv4Address, first[i]!.ipv4Address, `repeated ADD of ${reqs[i]!.key.containerId}`);
      assert.equal(r.eniId, first[i]!.eniId);
      assert.equal(first[i]!.existing, false, 'a first ADD allocates');
      assert.equal(r.existing, true, 'a repeated ADD says the address was already held');
    });
    assert.equal((await p.client.getStatus()).allocations.length, N, 'repeated ADDs allocated nothing new');

    // 64 concurrent DELs release each pod's own address.
    const t1 = performance.now();
    const dels = await Promise.all(reqs.map((r) => p.client.delNetwork({ key: r.key, reason: 'concurrency-test' })));
    const delMs = performance.now() - t1;
    dels.forEach((d, i) => {
      assert.equal(d.released, true, `DEL of ${reqs[i]!.key.containerId}`);
      assert.equal(d.released && d.ipv4Address, first[i]!.ipv4Address);
    });
    const afterDel = await p.client.getStatus();
    assert.deepEqual(afterDel.allocations, []);
    const disk = checkpointOnDisk(p);
    assert.equal(disk.allocations.size, 0, 'the checkpoint still holds allocations');
    // Released addresses cool down (IP_COOLDOWN_PERIOD, 30 s by default) before reuse, durably.
    for (const ip of ips) assert.ok(disk.cooling.has(ip), `${ip} is not cooling in the checkpoint`);
    const states = new Map(afterDel.enis.flatMap((e) => e.addresses.map((a) => [a.ip, a.state])));
    for (const ip of ips) assert.equal(states.get(ip), 'cooling', `${ip} after DEL`);

    // DEL is idempotent: a second one releases nothing.
    const repeated = await Promise.all(reqs.map((r) => p.client.delNetwork({ key: r.key, reason: 'concurrency-test' })));
    for (const d of repeated) assert.equal(d.released, false);

    const enis = new Set(first.map((r) => r.eniId));
    t.diagnostic(`64 ADDs in ${addMs.toFixed(0)} ms over ${enis.size} ENIs (${retries} POOL_EMPTY retries), 64 DELs in ${delMs.toFixed(0)} ms`);
  });

  test('the same key ADDed 4 times at once (16 keys, 64 calls): one address per key, no address shared', async () => {
    const keys = Array.from({ length: N / 4 }, (_, i) => request(i, 'dup'));
    const calls = keys.flatMap((req) => [req, req, req, req]);
    // Interleaved, so the copies of one key land in different commit batches as well as the same one.
    const order = calls.map((req, i) => ({ req, i })).sort((a, b) => (a.i % 4) - (b.i % 4) || a.i - b.i);
    const results = await Promise.all(order.map(({ req }) => add(req)));
    const perKey = new Map<string, Set<string>>();
    order.forEach(({ req }, i) => {
      const set = perKey.get(req.key.containerId) ?? new Set();
      set.add(results[i]!.ipv4Address);
      perKey.set(req.key.containerId, set);
    });
    for (const [k, set] of perKey) assert.equal(set.size, 1, `${k} got ${[...set].join(', ')}`);
    const ips = [...perKey.values()].map((s) => [...s][0]!);
    assert.equal(new Set(ips).size, keys.length, 'two keys share an address');
    assertOnNodeEnis(results);
    assert.equal((await p.client.getStatus()).allocations.length, keys.length);
    assert.equal(checkpointOnDisk(p).allocations.size, keys.length);

    const dels = await Promise.all(keys.map((r) => p.client.delNetwork({ key: r.key, reason: 'concurrency-test' })));
    for (const d of dels) assert.equal(d.released, true);
    assert.equal(checkpointOnDisk(p).allocations.size, 0);
  });
});
