/**
 * The end-to-end data plane check, driven through the real EC2 SDK: two emulated nodes as
 * network namespaces behind the emulated VPC router, ENIs attached and addresses assigned through
 * EC2 calls, each address put on a pod namespace behind its node, and traffic that crosses the
 * fabric exactly when EC2 says the address is assigned. Root only; everything is deleted after.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DetachNetworkInterfaceCommand,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import { listDataPlaneNamespaces } from '../../sim/dataplane/cleanup.ts';
import { ip } from '../../sim/dataplane/ip.ts';
import type { Topology } from '../../sim/topology.ts';
import { startTestVpc, type TestVpc } from '../helpers/emulator.ts';
import { addPod, configureSecondaryEni, kernelTestsSkipReason, type Pod, reaches } from '../helpers/pod-netns.ts';


const topology: Topology = {
  vpc: {
    cidrs: ['10.77.0.0/16'],
    subnets: [
      { name: 'a', cidr: '10.77.0.0/24', az: 'us-west-2a' },
      { name: 'b', cidr: '10.77.1.0/24', az: 'us-west-2b' },
    ],
  },
  instances: [
    { name: 'node-a', type: 'm5.large', subnet: 'a' },
    { name: 'node-b', type: 'm5.large', subnet: 'b' },
  ],
};

describe('kernel data plane through the EC2 API', { skip: await kernelTestsSkipReason() }, () => {
  let v: TestVpc;
  let prefix: string;
  const pods: Record<string, Pod> = {};
  let secondaryEniB = '';
  let attachmentB = '';

  before(async () => {
    v = await startTestVpc({ topology, dataPlane: true, throttling: false });
    const dp = v.sim.dataPlane!;
    prefix = dp.routerNetns.replace(/vpc$/, '');
    const nodeA = v.sim.instance('node-a');
    const nodeB = v.sim.instance('node-b');
    const nsA = dp.nodeNetns(nodeA.id)!;
    const nsB = dp.nodeNetns(nodeB.id)!;

    // Node A: one secondary address on its primary ENI (eth0).
    const a = await v.ec2.send(
      new AssignPrivateIpAddressesCommand({
        NetworkInterfaceId: nodeA.primaryEniId,
        SecondaryPrivateIpAddressCount: 1,
      }),
    );
    const podAIp = a.AssignedPrivateIpAddresses![0]!.PrivateIpAddress!;

    // Node B: a secondary ENI at device 1 created with two addresses, attached, set up as ipamd will.
    const eni = (
      await v.ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: v.sim.subnet('b').id,
          SecondaryPrivateIpAddressCount: 2,
        }),
      )
    ).NetworkInterface!;
    secondaryEniB = eni.NetworkInterfaceId!;
    attachmentB = (
      await v.ec2.send(
        new AttachNetworkInterfaceCommand({
          NetworkInterfaceId: secondaryEniB,
          InstanceId: nodeB.id,
          DeviceIndex: 1,
        }),
      )
    ).AttachmentId!;
    await dp.settled();
    const [, podB1Ip, podB2Ip] = eni.PrivateIpAddresses!.map((x) => x.PrivateIpAddress!);
    await configureSecondaryEni(nsB, {
      ifname: 'eth1',
      primaryIp: eni.PrivateIpAddress!,
      subnetCidr: '10.77.1.0/24',
      table: 2,
    });

    pods.a = await addPod({ node: nsA, netns: `${prefix}pod-a`, ip: podAIp, hostVeth: 'vwpoda' });
    pods.b1 = await addPod({
      node: nsB,
      netns: `${prefix}pod-b1`,
      ip: podB1Ip!,
      hostVeth: 'vwpodb1',
      eniTable: 2,
    });
    pods.b2 = await addPod({
      node: nsB,
      netns: `${prefix}pod-b2`,
      ip: podB2Ip!,
      hostVeth: 'vwpodb2',
      eniTable: 2,
    });
    // A pod whose address EC2 never assigned (the highest usable address of subnet a).
    pods.rogue = await addPod({
      node: nsA,
      netns: `${prefix}pod-rogue`,
      ip: '10.77.0.254',
      hostVeth: 'vwrogue',
    });
  });

  after(async () => {
    await v?.stop();
    if (prefix) {
      const left = await listDataPlaneNamespaces(prefix);
      assert.deepEqual(left, [], 'stopping the emulator removes every namespace it and this test made');
    }
  });

  test('the node interface has the ENI MAC EC2 reports', async () => {
    const nodeB = v.sim.instance('node-b');
    const [link] = JSON.parse(
      await ip(['-j', 'link', 'show', 'dev', 'eth1'], v.sim.dataPlane!.nodeNetns(nodeB.id)),
    ) as {
      address: string;
    }[];
    assert.equal(link!.address, v.sim.state.enis.get(secondaryEniB)!.macAddress);
  });

  test('pods on two nodes reach each other across the fabric, including through a secondary ENI', async () => {
    assert.equal(await reaches(pods.a!.netns, pods.b1!.ip), true, 'pod A -> pod B1 (secondary ENI)');
    assert.equal(await reaches(pods.b1!.netns, pods.a!.ip), true, 'pod B1 -> pod A');
    assert.equal(await reaches(pods.b2!.netns, pods.a!.ip), true, 'pod B2 -> pod A');
  });

  test('an address not assigned in EC2 goes nowhere, in either direction', async () => {
    assert.equal(await reaches(pods.b1!.netns, pods.rogue!.ip, 1), false);
    assert.equal(await reaches(pods.rogue!.netns, pods.b1!.ip, 1), false);
  });

  test('unassigning an address in EC2 stops its traffic; assigning it again restores it', async () => {
    await v.ec2.send(
      new UnassignPrivateIpAddressesCommand({
        NetworkInterfaceId: secondaryEniB,
        PrivateIpAddresses: [pods.b2!.ip],
      }),
    );
    await v.sim.dataPlane!.settled();
    assert.equal(await reaches(pods.a!.netns, pods.b2!.ip, 1), false);
    await v.ec2.send(
      new AssignPrivateIpAddressesCommand({
        NetworkInterfaceId: secondaryEniB,
        PrivateIpAddresses: [pods.b2!.ip],
      }),
    );
    await v.sim.dataPlane!.settled();
    assert.equal(await reaches(pods.a!.netns, pods.b2!.ip), true);
  });

  test('detaching the ENI removes its link from the node and its addresses from the fabric', async () => {
    await v.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentB }));
    await v.sim.dataPlane!.settled();
    const nsB = v.sim.dataPlane!.nodeNetns(v.sim.instance('node-b').id)!;
    const links = (JSON.parse(await ip(['-j', 'link', 'show'], nsB)) as { ifname: string }[]).map(
      (l) => l.ifname,
    );
    assert.ok(!links.includes('eth1'), `eth1 should be gone, links: ${links.join(' ')}`);
    assert.equal(await reaches(pods.a!.netns, pods.b1!.ip, 1), false);
  });
});
