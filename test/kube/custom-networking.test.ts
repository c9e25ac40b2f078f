/**
 * Custom networking against the real API server (issue 11 items 2, 4, 7): ipamd as a real process
 * with in-cluster configuration and a token bound to the shipped ClusterRole, the ENIConfig CRD
 * from the repository, the emulator's EC2 through the real SDK. Pods' addresses come from the
 * ENIConfig's subnet with its security groups and none from the primary ENI; relabelling the Node
 * moves new ENIs to the new ENIConfig and frees the old ENI once empty; a missing ENIConfig stops
 * growth with an Event while the warm addresses are still served.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Emulator } from '../../sim/emulator.ts';
import { parseCidr, parseIpv4 } from '../../sim/ipv4.ts';
import type { Topology } from '../../sim/topology.ts';
import type { ControlPlane } from '../helpers/kube/control-plane.ts';
import { type KubeTestbed, startKubeTestbed } from '../helpers/kube/testbed.ts';
import { installEniConfigCrd } from '../helpers/kube/identity.ts';
import { createEniConfig, createNode, eventsAbout, eventually, labelNode } from '../helpers/kube/objects.ts';
import { freePort } from '../helpers/observed-ipamd.ts';
import { addPods, delPods, settles } from '../helpers/pool.ts';
import { scrape } from '../helpers/prometheus-text.ts';

const topology: Topology = {
  vpc: {
    cidrs: ['10.70.0.0/16'],
    subnets: [
      { name: 'nodes', cidr: '10.70.0.0/20', az: 'us-west-2a' },
      { name: 'pods-a', cidr: '10.70.64.0/20', az: 'us-west-2a' },
      { name: 'pods-b', cidr: '10.70.80.0/20', az: 'us-west-2a' },
      { name: 'pods-other-zone', cidr: '10.70.96.0/20', az: 'us-west-2b' },
    ],
    securityGroups: [{ name: 'node-sg' }, { name: 'pods-sg' }],
  },
  instances: [
    { name: 'n1', type: 't3.small', subnet: 'nodes', securityGroups: ['node-sg'] },
    { name: 'n2', type: 't3.small', subnet: 'nodes', securityGroups: ['node-sg'] },
    { name: 'n3', type: 't3.small', subnet: 'nodes', securityGroups: ['node-sg'] },
  ],
};

const inCidr = (ip: string, cidr: string) => {
  const c = parseCidr(cidr)!;
  const n = parseIpv4(ip)!;
  return n >= c.base && n < c.base + c.size;
};

const POOL_ENV = {
  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'true',
  WARM_IP_TARGET: '2',
  VPCWIRE_RECONCILE_INTERVAL_MS: '100',
  VPCWIRE_ENI_MIN_AGE_MS: '0',
  VPCWIRE_RELEASE_INTERVAL_MS: '0',
  IP_COOLDOWN_PERIOD: '0',
};

describe('custom networking with ENIConfig, under the shipped RBAC', () => {
  let bed: KubeTestbed;
  let cp: ControlPlane;
  let sim: Emulator;

  before(async () => {
    bed = await startKubeTestbed(topology);
    ({ cp, sim } = bed);
    await installEniConfigCrd(cp.admin());
    await createEniConfig(cp.admin(), 'pods-a', { subnet: sim.subnet('pods-a').id, securityGroups: [sim.securityGroup('pods-sg').id] });
    await createEniConfig(cp.admin(), 'pods-b', { subnet: sim.subnet('pods-b').id });
    await createEniConfig(cp.admin(), 'wrong-zone', { subnet: sim.subnet('pods-other-zone').id });
  });
  after(() => bed?.stop());

  // The tests create each Node themselves, with the labels they need.
  const ipamdFor = (node: string, extra: Record<string, string> = {}) => bed.ipamd(node, { ...POOL_ENV, ...extra }, { createNode: false });

  const enisOf = (node: string) => sim.state.enisOf(sim.instance(node).id);

  test('addresses come from the ENIConfig subnet with its security groups, none from the primary ENI; a relabel moves new ENIs', async () => {
    await createNode(cp.admin(), 'n1', { labels: { 'k8s.amazonaws.com/eniConfig': 'pods-a' } });
    const metrics = `127.0.0.1:${await freePort()}`;
    const p = await ipamdFor('n1', { VPCWIRE_METRICS_BIND_ADDRESS: metrics });
    const retired = async () => {
      const fam = (await scrape(metrics)).families.get('vpcwire_eni_retired');
      return Object.fromEntries((fam?.metrics ?? []).map((m) => [m.labels!.eni!, Number(m.value)]));
    };
    const first = await addPods(p, 0, 3);
    for (const ip of first) assert.ok(inCidr(ip, '10.70.64.0/20'), `${ip} is in pods-a`);
    const primary = enisOf('n1').find((e) => e.attachment?.deviceIndex === 0)!;
    assert.deepEqual(primary.secondaryIps, [], 'the primary ENI holds no pod address');
    const podEnis = enisOf('n1').filter((e) => e.attachment?.deviceIndex !== 0);
    assert.ok(podEnis.length >= 1);
    for (const e of podEnis) {
      assert.equal(e.subnetId, sim.subnet('pods-a').id);
      assert.deepEqual(e.groupIds, [sim.securityGroup('pods-sg').id]);
    }
    const status = await p.client.getStatus();
    assert.equal(status.poolTargets.maxPods, String(2 * 3 + 2), 'max pods without the primary ENI: 2 ENIs x 3 + 2');

    // The API server goes away and comes back: ipamd's watches resume and see the relabel.
    await cp.killApiServer();
    await cp.startApiServer();
    // Relabel to pods-b (no securityGroups: the primary ENI's). Running pods keep their addresses.
    await labelNode(cp.admin(), 'n1', { 'k8s.amazonaws.com/eniConfig': 'pods-b' });
    const next = await addPods(p, 3, 5);
    for (const ip of next) assert.ok(inCidr(ip, '10.70.80.0/20'), `${ip} (after the relabel) is in pods-b`);
    const b = enisOf('n1').filter((e) => e.subnetId === sim.subnet('pods-b').id);
    assert.equal(b.length, 1);
    assert.deepEqual(b[0]!.groupIds, [sim.securityGroup('node-sg').id]);
    const held = new Set((await p.client.listAllocations()).map((a) => a.ipv4Address));
    for (const ip of first) assert.ok(held.has(ip), `${ip} still allocated to its pod after the relabel`);
    // The metrics name the ENIs that take no new pods: the primary (custom networking) and pods-a's.
        const a = enisOf('n1').filter((e) => e.subnetId === sim.subnet('pods-a').id);
    assert.deepEqual(await retired(), Object.fromEntries([[primary.id, 1], ...a.map((e) => [e.id, 1]), [b[0]!.id, 0]]));

    // The pods-a ENI empties: it is freed (retired), and nothing new lands there.
    await delPods(p, 0, 3);
    await settles(() => enisOf('n1').filter((e) => e.subnetId === sim.subnet('pods-a').id).length, 0, { what: 'the pods-a ENI freed' });
    const left = enisOf('n1').filter((e) => e.attachment?.deviceIndex !== 0);
    assert.ok(left.every((e) => e.subnetId === sim.subnet('pods-b').id));
    assert.deepEqual(await retired(), Object.fromEntries([[primary.id, 1], ...left.map((e) => [e.id, 0])]), "the freed ENI's series went with it");
    await delPods(p, 3, 5);
  });

  test('a missing ENIConfig: an Event on the Node, no growth, the warm addresses still served; it appears: growth', async () => {
    await createNode(cp.admin(), 'n2', { annotations: { 'k8s.amazonaws.com/eniConfig': 'not-yet' }, labels: { 'k8s.amazonaws.com/eniConfig': 'pods-a' } });
    const p = await ipamdFor('n2');
    const ev = await eventually(async () => (await eventsAbout(cp.admin(), 'Node', 'n2')).find((e) => e.reason === 'ENIConfigUnavailable'), 'the ENIConfigUnavailable Event');
    assert.equal(ev.type, 'Warning');
    assert.match(ev.note ?? '', /ENIConfig not-yet does not exist/, 'the annotation wins over the label (upstream precedence)');
    assert.equal(ev.reportingController, 'vpcwire.io/ipamd');
    assert.equal(enisOf('n2').length, 1, 'no ENI created');
    assert.equal(await p.client.checkHealth(), 'SERVING');
    await createEniConfig(cp.admin(), 'not-yet', { subnet: sim.subnet('pods-a').id });
    const ips = await addPods(p, 0, 1);
    assert.ok(inCidr(ips[0]!, '10.70.64.0/20'));
    await delPods(p, 0, 1);
  });

  test('an ENIConfig in another zone is refused with a reason naming both zones', async () => {
    await createNode(cp.admin(), 'n3', { labels: { 'k8s.amazonaws.com/eniConfig': 'wrong-zone' } });
    await ipamdFor('n3');
    const ev = await eventually(async () => (await eventsAbout(cp.admin(), 'Node', 'n3')).find((e) => e.reason === 'ENIConfigUnavailable'), 'the Event');
    assert.match(ev.note ?? '', /in us-west-2b, but this node is in us-west-2a/);
    assert.equal(enisOf('n3').length, 1);
  });
});
