/**
 * ipamd (a real process, real unix socket) against the emulator: prefix mode, ENIs created with
 * their addresses, shrinking, IMDS lag, EC2 throttling and 5xx, the leaked-ENI sweep.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CreateNetworkInterfaceCommand } from '@aws-sdk/client-ec2';
import { type EmulatorOptions, startEmulator } from '../../sim/emulator.ts';
import { formatIpv4, parseIpv4 } from '../../sim/ipv4.ts';
import type { Topology } from '../../sim/topology.ts';
import { hostVethName } from '../../ipamd/veth.ts';
import { ec2Client } from '../helpers/emulator.ts';
import { type IpamdProcess, startIpamdProcess } from '../helpers/ipamd-process.ts';
import { addPods, delPods, ec2Counts, settles } from '../helpers/pool.ts';

const topology = (type: string): Topology => ({
  vpc: {
    cidrs: ['10.61.0.0/16'],
    subnets: [{ name: 'nodes', cidr: '10.61.0.0/20', az: 'us-west-2a' }],
    securityGroups: [{ name: 'node-sg' }],
  },
  instances: [{ name: 'node', type, subnet: 'nodes', securityGroups: ['node-sg'] }],
});

async function withIpamd(
  type: string,
  env: Record<string, string>,
  fn: (ctx: { sim: Awaited<ReturnType<typeof startEmulator>>; p: IpamdProcess; instanceId: string }) => Promise<void>,
  simOpts: EmulatorOptions = {},
) {
  const sim = await startEmulator({ topology: topology(type), profile: 'fast', throttling: false, ...simOpts });
  const instanceId = sim.instance('node').id;
  const p = await startIpamdProcess(sim, instanceId, env);
  try {
    await fn({ sim, p, instanceId });
  } finally {
    await p.stop();
    await sim.stop();
  }
}

/** Every address ipamd handed out is one EC2 has assigned to this node's ENIs. */
function assertHeldByNode(sim: Awaited<ReturnType<typeof startEmulator>>, instanceId: string, ips: readonly string[]) {
  const held = new Set<string>();
  for (const eni of sim.state.enisOf(instanceId)) {
    for (const ip of eni.secondaryIps) held.add(formatIpv4(ip));
    for (const p of eni.prefixes) for (let i = 0; i < 16; i++) held.add(formatIpv4(p.base + i));
  }
  for (const ip of ips) assert.ok(held.has(ip), `${ip} was handed out but EC2 does not assign it to the node`);
  assert.equal(new Set(ips).size, ips.length, 'no address handed out twice');
}

describe('ipamd pool behaviour against the emulator', () => {
  test('prefix mode, t3.small, WARM_PREFIX_TARGET=1: pods 0/5/16/17 -> prefixes 1/2/2/3', async () => {
    await withIpamd('t3.small', { ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '1' }, async ({ sim, p, instanceId }) => {
      const ips: string[] = [];
      let pods = 0;
      for (const [want, prefixes] of [
        [0, 1],
        [5, 2],
        [16, 2],
        [17, 3],
      ] as const) {
        ips.push(...(await addPods(p, pods, want)));
        pods = want;
        await settles(() => ec2Counts(sim, instanceId).prefixes, prefixes, { what: `${want} pods` });
      }
      assertHeldByNode(sim, instanceId, ips);
      assert.equal(ec2Counts(sim, instanceId).ips, 0, 'no secondary IPs in prefix mode');
    });
  });

  test('growth stops at max pods (VPCWIRE_MAX_PODS) even when a target asks for more', async () => {
    const env = { ENABLE_PREFIX_DELEGATION: 'true', MINIMUM_IP_TARGET: '40', VPCWIRE_MAX_PODS: '20' };
    await withIpamd('t3.small', env, async ({ sim, p, instanceId }) => {
      // 40 addresses would take 3 prefixes; max pods 20 stops the pool at 2 (32 addresses).
      await settles(() => ec2Counts(sim, instanceId).prefixes, 2);
      assert.equal((await p.client.getStatus()).poolTargets.maxPods, '20');
    });
  });

  test('GetPoolStatus (for CNI STATUS): can allocate while addresses are free or the pool can grow; not at the instance limits', async () => {
    await withIpamd('t3.small', { WARM_ENI_TARGET: '1' }, async ({ sim, p, instanceId }) => {
      const before = await p.client.getPoolStatus();
      assert.equal(before.serving, true);
      assert.equal(before.can_grow, true);
      assert.ok(before.free_addresses > 0);
      // t3.small: 3 ENIs x 3 secondary addresses = 9, all given to pods.
      await addPods(p, 0, 9);
      await settles(() => ec2Counts(sim, instanceId).ips, 9);
      const full = await p.client.getPoolStatus();
      assert.equal(full.free_addresses, 0);
      assert.equal(full.assigned_addresses, 9);
      assert.equal(full.can_grow, false);
      assert.match(full.reason, /instance limits reached \(3 ENIs, 9 addresses\)/);
    });
  });

  test('a new ENI is created already holding its addresses (one call, not create + assign)', async () => {
    await withIpamd('t3.small', { WARM_ENI_TARGET: '1' }, async ({ sim, p, instanceId }) => {
      const since = sim.log.lastSeq;
      const ips = await addPods(p, 0, 5);
      await settles(() => ec2Counts(sim, instanceId), { enis: 3, ips: 9, prefixes: 0 });
      const creates = sim.log.entries({ action: 'CreateNetworkInterface', sinceSeq: since }).filter((e) => e.status === 200);
      assert.equal(creates.length, 2);
      for (const c of creates) assert.equal(c.params.SecondaryPrivateIpAddressCount, '3');
      const newEnis = sim.state.enisOf(instanceId).filter((e) => e.attachment!.deviceIndex > 0).map((e) => e.id);
      const assignsToNew = sim.log
        .entries({ action: 'AssignPrivateIpAddresses', sinceSeq: since })
        .filter((e) => newEnis.includes(e.params.NetworkInterfaceId ?? ''));
      assert.deepEqual(assignsToNew, [], 'no AssignPrivateIpAddresses was needed for the new ENIs');
      // The lifecycle of DESIGN.md §3: DeleteOnTermination set, tags on every ENI created.
      for (const id of newEnis) {
        const eni = sim.state.enis.get(id)!;
        assert.equal(eni.attachment!.deleteOnTermination, true);
        assert.equal(sim.state.tags.get(id)?.get('node.k8s.amazonaws.com/instance_id'), instanceId);
        assert.ok(sim.state.tags.get(id)?.get('node.k8s.amazonaws.com/createdAt'));
      }
      assertHeldByNode(sim, instanceId, ips);
      // The reply carries what the plugin needs to wire the pod (DESIGN.md §2, §4).
      const r = await p.client.addNetwork({
        key: { networkName: 'vpcwire', containerId: 'c-reply-check', ifName: 'eth0' },
        netns: '/var/run/netns/reply-check',
        pod: { namespace: 'default', name: 'reply-check' },
      });
      const eni = sim.state.enis.get(r.eniId)!;
      assert.equal(r.eniMac, eni.macAddress);
      assert.equal(r.deviceIndex, eni.attachment!.deviceIndex);
      assert.equal(r.routeTable, r.deviceIndex === 0 ? 0 : r.deviceIndex + 1);
      assert.equal(r.subnetCidr, '10.61.0.0/20');
      assert.equal(r.subnetGateway, '10.61.0.1');
      assert.deepEqual(r.vpcCidrs, ['10.61.0.0/16']);
      assert.equal(r.mtu, 9001);
      assert.equal(r.vethPrefix, 'eni');
      assert.equal(r.hostVethName, hostVethName('eni', 'default', 'reply-check'), 'ipamd names the host veth');
      const listed = (await p.client.listAllocations()).find((a) => a.key.containerId === 'c-reply-check')!;
      assert.equal(listed.routeTable, r.routeTable, 'ListAllocations carries the same route table (CNI CHECK)');
    });
  });

  test('WARM_IP_TARGET releases free addresses, and an empty ENI is freed once its pods left and cooled down', async () => {
    const env = {
      WARM_IP_TARGET: '1',
      MINIMUM_IP_TARGET: '1',
      IP_COOLDOWN_PERIOD: '1',
      VPCWIRE_RELEASE_INTERVAL_MS: '200',
      VPCWIRE_ENI_MIN_AGE_MS: '500',
      VPCWIRE_RECONCILE_INTERVAL_MS: '100',
    };
    await withIpamd('t3.small', env, async ({ sim, p, instanceId }) => {
      await addPods(p, 0, 9);
      await settles(() => ec2Counts(sim, instanceId), { enis: 3, ips: 9, prefixes: 0 });
      const before = sim.state.enisOf(instanceId).map((e) => e.id);
      await delPods(p, 0, 9);
      // Back to upstream's 0-pod row: one ENI, one address.
      await settles(() => ec2Counts(sim, instanceId), { enis: 1, ips: 1, prefixes: 0 }, { ms: 20_000 });
      for (const id of before.slice(1)) assert.equal(sim.state.enis.has(id), false, `${id} was detached and deleted`);
      const unassigns = sim.log.entries({ action: 'UnassignPrivateIpAddresses' }).filter((e) => e.status === 200);
      assert.ok(unassigns.length > 0, 'free addresses were released with UnassignPrivateIpAddresses');
    });
  });

  test('IMDS lagging EC2 by seconds: ipamd waits for it and never hands out what EC2 has not assigned', async () => {
    await withIpamd(
      't3.small',
      { WARM_ENI_TARGET: '1' },
      async ({ sim, p, instanceId }) => {
        const ips = await addPods(p, 0, 5);
        await settles(() => ec2Counts(sim, instanceId), { enis: 3, ips: 9, prefixes: 0 }, { ms: 30_000 });
        assertHeldByNode(sim, instanceId, ips);
        // ipamd records an ENI only once IMDS shows it too, so its view trails EC2 by the lag.
        const deadline = Date.now() + 15_000;
        let seen = 0;
        while (Date.now() < deadline && seen !== 3) {
          seen = (await p.client.getStatus()).enis.length;
          if (seen !== 3) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(seen, 3);
      },
      { imdsLagMs: 1500 },
    );
  });

  test('service continues while EC2 throttles and answers 5xx', async () => {
    await withIpamd('t3.small', { WARM_IP_TARGET: '2', MINIMUM_IP_TARGET: '2' }, async ({ sim, p, instanceId }) => {
      sim.throttle.configure({
        enabled: true,
        buckets: {
          AssignPrivateIpAddresses: { capacity: 2, refillPerSecond: 4 },
          CreateNetworkInterface: { capacity: 1, refillPerSecond: 2 },
        },
      });
      sim.faults.failRate('*', 0.25, { code: 'InternalError' });
      const ips = await addPods(p, 0, 9);
      sim.faults.clear();
      await settles(() => ec2Counts(sim, instanceId), { enis: 3, ips: 9, prefixes: 0 }, { ms: 30_000 });
      assertHeldByNode(sim, instanceId, ips);
      const log = sim.log.entries({ service: 'ec2' });
      assert.ok(log.some((e) => e.errorCode === 'InternalError'), 'EC2 did fail some calls');
    });
  });

  test('a leaked ENI (available, tagged for this node, older than the limit) is swept; young and foreign ones stay', async () => {
    const sim = await startEmulator({ topology: topology('t3.small'), profile: 'fast', throttling: false });
    const instanceId = sim.instance('node').id;
    const ec2 = ec2Client(sim);
    const make = async (tags: Record<string, string>) =>
      (
        await ec2.send(
          new CreateNetworkInterfaceCommand({
            SubnetId: sim.subnet('nodes').id,
            TagSpecifications: [{ ResourceType: 'network-interface', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
          }),
        )
      ).NetworkInterface!.NetworkInterfaceId!;
    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    const leaked = await make({ 'node.k8s.amazonaws.com/instance_id': instanceId, 'node.k8s.amazonaws.com/createdAt': old });
    const young = await make({
      'node.k8s.amazonaws.com/instance_id': instanceId,
      'node.k8s.amazonaws.com/createdAt': new Date().toISOString(),
    });
    const foreign = await make({ 'node.k8s.amazonaws.com/instance_id': 'i-0123456789abcdef0', 'node.k8s.amazonaws.com/createdAt': old });
    const p = await startIpamdProcess(sim, instanceId, { VPCWIRE_LEAK_SWEEP_INTERVAL_MS: '200' });
    try {
      await settles(() => sim.state.enis.has(leaked), false, { stableMs: 0 });
      assert.equal(sim.state.enis.has(young), true);
      assert.equal(sim.state.enis.has(foreign), true);
    } finally {
      ec2.destroy();
      await p.stop();
      await sim.stop();
    }
  });
});

describe('switching mode on a node with running pods', () => {
  test('secondary-IP mode -> prefix mode: pods keep their addresses, leftovers are given back', async () => {
    await withIpamd('t3.small', { WARM_IP_TARGET: '2', MINIMUM_IP_TARGET: '2', IP_COOLDOWN_PERIOD: '1' }, async ({ sim, p, instanceId }) => {
      const ips = await addPods(p, 0, 3);
      await settles(() => ec2Counts(sim, instanceId), { enis: 2, ips: 5, prefixes: 0 });
      for (let i = 0; i < 3; i++) writeFileSync(join(p.netDir, hostVethName('eni', 'default', `pod-${i}`)), '');
      await p.kill('SIGTERM');
      await p.restart({ ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '1', WARM_IP_TARGET: '', MINIMUM_IP_TARGET: '' });
      // The running pods keep their addresses: a repeated ADD answers the same one.
      assert.deepEqual(await addPods(p, 0, 3), ips);
      // The 2 free secondary IPs go back to EC2; a whole free /28 is kept warm.
      await settles(() => ec2Counts(sim, instanceId), { enis: 2, ips: 3, prefixes: 1 });
      const [fresh] = await addPods(p, 3, 4);
      const prefix = sim.state.enisOf(instanceId).flatMap((e) => e.prefixes)[0]!;
      const n = parseIpv4(fresh!)!;
      assert.ok(n >= prefix.base && n < prefix.base + 16, `${fresh} comes from ${prefix.text}`);
      // When the old pods leave, their secondary IPs are given back too.
      await delPods(p, 0, 3);
      await settles(() => ec2Counts(sim, instanceId).ips, 0, { ms: 20_000 });
    });
  });
});
