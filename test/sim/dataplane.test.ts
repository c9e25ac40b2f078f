/**
 * The emulator's kernel data plane on the real kernel (root only), plus its pure parts.
 * Everything runs in namespaces named vpcw-<random id>-..., deleted in `after` even on failure;
 * the host's root netns is only read (to check nothing leaked into it).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { nothingApplied, planAddresses } from '../../sim/dataplane/address-plan.ts';
import { cleanupStaleNamespaces, listDataPlaneNamespaces } from '../../sim/dataplane/cleanup.ts';
import { DataPlaneError } from '../../sim/dataplane/errors.ts';
import { ip, listNetns } from '../../sim/dataplane/ip.ts';
import { createKernelDataPlane } from '../../sim/dataplane/kernel-dataplane.ts';
import { nodeNetnsName, routerLinkName } from '../../sim/dataplane/names.ts';
import { OpQueue } from '../../sim/dataplane/op-queue.ts';
import type { DataPlane, DataPlaneEni } from '../../sim/dataplane/types.ts';
import {
  addPod,
  configureSecondaryEni,
  kernelTestsSkipReason,
  type Pod,
  reaches,
  removePod,
} from '../helpers/pod-netns.ts';


describe('data plane pure parts', () => {
  it('names namespaces and links within kernel limits', () => {
    assert.equal(nodeNetnsName('t1', 'i-aaaaaaaa11111111'), 'vpcw-t1-11111111');
    assert.equal(routerLinkName('eni-0a1b2c3d4e5f60718'), 'rb2c3d4e5f60718');
    assert.ok(routerLinkName('eni-0a1b2c3d4e5f60718').length <= 15);
    assert.throws(() => routerLinkName('eni-../x'), DataPlaneError);
  });

  it('plans only the difference, and everything again after a failure', () => {
    const eni = { mac: '02:0a:00:00:00:01', primaryIp: '10.0.1.10', routerLink: 'rx' };
    const first = planAddresses(eni, nothingApplied(), ['10.0.1.11'], ['10.0.1.64/28']);
    assert.deepEqual(first.lines, [
      'route replace 10.0.1.10/32 dev rx',
      'neigh replace 10.0.1.10 lladdr 02:0a:00:00:00:01 dev rx nud permanent',
      'route replace 10.0.1.11/32 dev rx',
      'neigh replace 10.0.1.11 lladdr 02:0a:00:00:00:01 dev rx nud permanent',
      'route replace 10.0.1.64/28 via 10.0.1.10 dev rx onlink',
    ]);
    const second = planAddresses(eni, first.next, ['10.0.1.12'], ['10.0.1.64/28']);
    assert.deepEqual(second.lines, [
      'route flush 10.0.1.11/32 dev rx',
      'neigh flush to 10.0.1.11 dev rx nud permanent',
      'route replace 10.0.1.12/32 dev rx',
      'neigh replace 10.0.1.12 lladdr 02:0a:00:00:00:01 dev rx nud permanent',
    ]);
    const retry = planAddresses(eni, { ...first.next, inSync: false }, ['10.0.1.11'], []);
    assert.equal(retry.lines.filter((l) => l.startsWith('route replace')).length, 2);
  });

  it('runs operations in order and does not wedge on a failure', async () => {
    const queue = new OpQueue();
    const order: number[] = [];
    const slow = queue.enqueue('one', async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push(1);
    });
    const failing = queue.enqueue('two', async () => {
      throw new Error('boom');
    });
    const third = queue.enqueue('three', async () => order.push(3));
    await assert.rejects(queue.settled(), /two: boom/);
    await Promise.all([slow, third]);
    await assert.rejects(failing, DataPlaneError);
    assert.deepEqual(order, [1, 3]);
    await queue.settled(); // the failure was reported once
  });
});

const NODE_A = 'i-aaaaaaaa11111111';
const NODE_B = 'i-bbbbbbbb22222222';
const NODE_C = 'i-cccccccc33333333';
const ENI_A0: DataPlaneEni = {
  eniId: 'eni-0a1b2c3d4e5f6a001',
  mac: '02:0a:00:00:00:01',
  deviceIndex: 0,
  primaryIp: '10.0.1.10',
  subnetCidr: '10.0.1.0/24',
};
const ENI_A1: DataPlaneEni = {
  eniId: 'eni-0a1b2c3d4e5f6a002',
  mac: '02:0a:00:00:00:02',
  deviceIndex: 1,
  primaryIp: '10.0.1.20',
  subnetCidr: '10.0.1.0/24',
};
const ENI_B0: DataPlaneEni = {
  eniId: 'eni-0a1b2c3d4e5f6b001',
  mac: '02:0b:00:00:00:01',
  deviceIndex: 0,
  primaryIp: '10.0.2.10',
  subnetCidr: '10.0.2.0/24',
};
const ENI_C0: DataPlaneEni = {
  eniId: 'eni-0a1b2c3d4e5f6c001',
  mac: '02:0c:00:00:00:01',
  deviceIndex: 0,
  primaryIp: '10.0.1.30',
  subnetCidr: '10.0.1.0/24',
};

interface LinkInfo {
  ifname: string;
  address: string;
  mtu: number;
  operstate: string;
  flags: string[];
  addr_info: { family: string; local: string; prefixlen: number }[];
}

const links = async (netns: string): Promise<LinkInfo[]> =>
  JSON.parse(await ip(['-j', 'addr', 'show'], netns));
const routes = async (netns: string): Promise<string> => ip(['route', 'show'], netns);
const neighbours = async (netns: string): Promise<string> => ip(['neigh', 'show'], netns);
const rootLinkNames = async (): Promise<string[]> => (await links('')).map((l) => l.ifname).sort();

describe('kernel data plane', { skip: await kernelTestsSkipReason() }, () => {
  const id = `t${randomBytes(3).toString('hex')}`;
  const prefix = `vpcw-${id}-`;
  let dp: DataPlane;
  let rootLinksBefore: string[];
  let eth1BeforeIpamd: LinkInfo | undefined;
  const pods: Record<string, Pod> = {};
  const nodeNs: Record<string, string> = {};

  before(async () => {
    rootLinksBefore = await rootLinkNames();
    dp = await createKernelDataPlane({ id });
    // Fired without awaiting, as the EC2 model does; setAddresses for ENI_A1 comes before its attach.
    for (const node of [NODE_A, NODE_B, NODE_C]) void dp.addNode(node);
    void dp.setAddresses(ENI_A1.eniId, ['10.0.1.21'], []);
    void dp.attachEni(NODE_A, ENI_A0);
    void dp.attachEni(NODE_B, ENI_B0);
    void dp.attachEni(NODE_C, ENI_C0);
    void dp.attachEni(NODE_A, ENI_A1);
    void dp.setAddresses(ENI_A0.eniId, ['10.0.1.11', '10.0.1.12'], []);
    void dp.setAddresses(ENI_B0.eniId, ['10.0.2.11'], ['10.0.2.64/28']);
    void dp.setAddresses(ENI_C0.eniId, ['10.0.1.31'], []);
    await dp.settled();
    for (const node of [NODE_A, NODE_B, NODE_C]) nodeNs[node] = dp.nodeNetns(node)!;
    const a = nodeNs[NODE_A]!;
    eth1BeforeIpamd = (await links(a)).find((l) => l.ifname === 'eth1');

    await configureSecondaryEni(a, {
      ifname: 'eth1',
      primaryIp: '10.0.1.20',
      subnetCidr: '10.0.1.0/24',
      table: 2,
    });
    const pod = async (name: string, node: string, podIp: string, eniTable?: number) => {
      pods[name] = await addPod({
        node: nodeNs[node]!,
        netns: `${prefix}pod-${name}`,
        ip: podIp,
        hostVeth: `eni${name}`,
        ...(eniTable ? { eniTable } : {}),
      });
    };
    await pod('a1', NODE_A, '10.0.1.11');
    await pod('a2', NODE_A, '10.0.1.21', 2); // on the secondary ENI
    await pod('a3', NODE_A, '10.0.1.13'); // never assigned in EC2
    await pod('a4', NODE_A, '10.0.1.12'); // assigned, later unassigned
    await pod('b1', NODE_B, '10.0.2.11');
    await pod('b2', NODE_B, '10.0.2.66'); // from the delegated /28
    await pod('c1', NODE_C, '10.0.1.31'); // same subnet as node A
  });

  after(async () => {
    await dp?.close().catch(() => {});
    for (const pod of Object.values(pods)) await removePod(pod).catch(() => {});
    await cleanupStaleNamespaces(prefix);
  });

  it('configures ENIs as EC2 does: the primary by "DHCP", secondaries left bare', async () => {
    assert.equal(nodeNs[NODE_A], `${prefix}11111111`);
    assert.equal(dp.routerNetns, `${prefix}vpc`);
    const eth0 = (await links(nodeNs[NODE_A]!)).find((l) => l.ifname === 'eth0');
    assert.equal(eth0?.address, ENI_A0.mac);
    assert.equal(eth0?.mtu, 9001);
    assert.ok(eth0?.flags.includes('UP'));
    assert.deepEqual(
      eth0?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      ['10.0.1.10/24'],
    );
    assert.match(await routes(nodeNs[NODE_A]!), /^default via 10\.0\.1\.1 dev eth0/m);
    assert.equal(eth1BeforeIpamd?.address, ENI_A1.mac);
    assert.ok(!eth1BeforeIpamd?.flags.includes('UP'));
    assert.deepEqual(
      eth1BeforeIpamd?.addr_info.filter((a) => a.family === 'inet'),
      [],
    );

    const routerRoutes = await routes(dp.routerNetns);
    const rA0 = routerLinkName(ENI_A0.eniId);
    const rB0 = routerLinkName(ENI_B0.eniId);
    assert.match(routerRoutes, /^blackhole default/m);
    assert.match(routerRoutes, new RegExp(`^10\\.0\\.1\\.11 dev ${rA0} `, 'm'));
    assert.match(routerRoutes, new RegExp(`^10\\.0\\.1\\.21 dev ${routerLinkName(ENI_A1.eniId)} `, 'm'));
    assert.match(routerRoutes, new RegExp(`^10\\.0\\.2\\.64/28 via 10\\.0\\.2\\.10 dev ${rB0} onlink`, 'm'));
    assert.match(
      await neighbours(dp.routerNetns),
      new RegExp(`^10\\.0\\.1\\.11 dev ${rA0} lladdr ${ENI_A0.mac} PERMANENT`, 'm'),
    );
  });

  it('carries pod traffic between nodes, both directions', async () => {
    assert.ok(await reaches(pods.a1!.netns, '10.0.2.11'), 'a1 -> b1');
    assert.ok(await reaches(pods.b1!.netns, '10.0.1.11'), 'b1 -> a1');
    assert.ok(await reaches(pods.a1!.netns, '10.0.2.66'), 'a1 -> b2 (address from a /28 prefix)');
    assert.ok(
      await reaches(pods.c1!.netns, '10.0.1.11'),
      'c1 -> a1 (same subnet: node ARPs, router proxies)',
    );
    assert.ok(await reaches(pods.a1!.netns, '10.0.1.31'), 'a1 -> c1');
  });

  it('carries traffic of a pod on a secondary ENI, and checks the source like EC2', async () => {
    assert.ok(await reaches(pods.a2!.netns, '10.0.2.11'), 'a2 -> b1');
    assert.ok(await reaches(pods.b1!.netns, '10.0.1.21'), 'b1 -> a2');
    // Without its from-pod rule the pod's packets leave through eth0, whose ENI does not own the address.
    await ip(['rule', 'del', 'from', '10.0.1.21/32', 'lookup', '2', 'prio', '1536'], nodeNs[NODE_A]);
    try {
      assert.equal(await reaches(pods.a2!.netns, '10.0.2.11', 1), false, 'a2 via the wrong ENI is dropped');
    } finally {
      await ip(['rule', 'add', 'from', '10.0.1.21/32', 'lookup', '2', 'prio', '1536'], nodeNs[NODE_A]);
    }
  });

  it('drops traffic from and to an address EC2 has not assigned', async () => {
    assert.equal(await reaches(pods.a3!.netns, '10.0.2.11', 1), false, 'a3 -> b1');
    assert.equal(await reaches(pods.b1!.netns, '10.0.1.13', 1), false, 'b1 -> a3');
  });

  it('stops routing an address once setAddresses drops it', async () => {
    assert.ok(await reaches(pods.b1!.netns, '10.0.1.12'), 'b1 -> a4 while assigned');
    void dp.setAddresses(ENI_A0.eniId, ['10.0.1.11'], []);
    await dp.settled();
    assert.equal(await reaches(pods.b1!.netns, '10.0.1.12', 1), false, 'b1 -> a4 after unassignment');
    assert.ok(await reaches(pods.b1!.netns, '10.0.1.11'), 'b1 -> a1 still');
    assert.doesNotMatch(await routes(dp.routerNetns), /^10\.0\.1\.12 /m);
    assert.doesNotMatch(await neighbours(dp.routerNetns), /^10\.0\.1\.12 /m);
  });

  it('detachEni removes both links and their routes', async () => {
    const rA1 = routerLinkName(ENI_A1.eniId);
    void dp.detachEni(NODE_A, ENI_A1.eniId);
    await dp.settled();
    assert.equal(
      (await links(nodeNs[NODE_A]!)).find((l) => l.ifname === 'eth1'),
      undefined,
    );
    assert.equal(
      (await links(dp.routerNetns)).find((l) => l.ifname === rA1),
      undefined,
    );
    const routerRoutes = await routes(dp.routerNetns);
    assert.doesNotMatch(routerRoutes, /^10\.0\.1\.2[01] /m);
    assert.doesNotMatch(routerRoutes, new RegExp(rA1));
    assert.equal(await reaches(pods.b1!.netns, '10.0.1.21', 1), false, 'b1 -> a2 after detach');
    assert.ok(await reaches(pods.b1!.netns, '10.0.1.11'), 'b1 -> a1 still');
  });

  it('removeNode deletes the node netns and its router state', async () => {
    void dp.removeNode(NODE_C);
    await dp.settled();
    assert.equal(dp.nodeNetns(NODE_C), undefined);
    assert.ok(!(await listNetns()).includes(nodeNs[NODE_C]!));
    const routerRoutes = await routes(dp.routerNetns);
    assert.doesNotMatch(routerRoutes, /^10\.0\.1\.3[01] /m);
    assert.doesNotMatch(routerRoutes, new RegExp(routerLinkName(ENI_C0.eniId)));
  });

  it('reports a failed operation through settled() and keeps going', async () => {
    const failed = dp.attachEni('i-0000000000000dead', { ...ENI_C0, eniId: 'eni-0000000000000dead' });
    void dp.setAddresses(ENI_A0.eniId, ['10.0.1.11', '10.0.1.12'], []);
    await assert.rejects(
      dp.settled(),
      (err: DataPlaneError) => err.code === 'SIM_DATAPLANE_CONFLICT' && /addNode first/.test(err.message),
    );
    await assert.rejects(failed, DataPlaneError);
    assert.ok(await reaches(pods.b1!.netns, '10.0.1.12'), 'the operation queued after the failure ran');
    await assert.rejects(dp.setAddresses(ENI_A0.eniId, ['10.0.1.300'], []), /not an IPv4 address/);
    await assert.rejects(dp.settled(), (err: DataPlaneError) => err.code === 'SIM_DATAPLANE_INVALID_ARGUMENT');
  });

  it('close() leaves no namespace with its prefix, and nothing in the root netns', async () => {
    await dp.close();
    assert.deepEqual(await listDataPlaneNamespaces(prefix), []);
    assert.deepEqual(await rootLinkNames(), rootLinksBefore);
    await assert.rejects(dp.addNode(NODE_A), (err: DataPlaneError) => err.code === 'SIM_DATAPLANE_CLOSED');
  });
});
