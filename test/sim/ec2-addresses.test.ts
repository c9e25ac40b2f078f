import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AssignPrivateIpAddressesCommand,
  CreateNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import type { Topology } from '../../sim/topology.ts';
import { errorCodeOf, startTestVpc, type TestVpc } from '../helpers/emulator.ts';

const topology: Topology = {
  vpc: {
    cidrs: ['10.30.0.0/16'],
    subnets: [
      { name: 'tiny', cidr: '10.30.0.0/28', az: 'us-west-2a' },
      { name: 'frag', cidr: '10.30.1.0/24', az: 'us-west-2a' },
      { name: 'main', cidr: '10.30.16.0/20', az: 'us-west-2a' },
    ],
  },
  instances: [{ name: 'node', type: 'm5.4xlarge', subnet: 'main' }],
};

describe('addresses from the subnet', () => {
  let v: TestVpc;
  before(async () => {
    v = await startTestVpc({ topology, throttling: false });
  });
  after(() => v.stop());

  const available = async (subnetId: string) =>
    (await v.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets![0]!
      .AvailableIpAddressCount;

  const addressesOf = async (eniId: string) =>
    (
      await v.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }))
    ).NetworkInterfaces![0]!.PrivateIpAddresses!.map((a) => a.PrivateIpAddress!);

  test('a /28 has 11 usable addresses: AWS reserves the first four and the last', async () => {
    const tiny = v.sim.subnet('tiny').id;
    assert.equal(await available(tiny), 11);
    const eni = (
      await v.ec2.send(
        new CreateNetworkInterfaceCommand({ SubnetId: tiny, SecondaryPrivateIpAddressCount: 9 }),
      )
    ).NetworkInterface!;
    const ips = eni.PrivateIpAddresses!.map((a) => a.PrivateIpAddress!);
    assert.equal(ips.length, 10);
    for (const reserved of ['10.30.0.0', '10.30.0.1', '10.30.0.2', '10.30.0.3', '10.30.0.15']) {
      assert.ok(!ips.includes(reserved), `${reserved} must never be handed out`);
    }
    assert.equal(await available(tiny), 1);
    const id = eni.NetworkInterfaceId!;
    assert.equal(
      await errorCodeOf(
        v.ec2.send(
          new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 2 }),
        ),
      ),
      'InsufficientFreeAddressesInSubnet',
    );
    assert.equal(await available(tiny), 1, 'a failed request takes nothing');
    await v.ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1 }),
    );
    assert.equal(await available(tiny), 0);
    assert.equal(
      await errorCodeOf(v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: tiny }))),
      'InsufficientFreeAddressesInSubnet',
    );
    // Unassign two, and exactly two come back and can be assigned again.
    const [, a, b] = await addressesOf(id);
    await v.ec2.send(
      new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: id, PrivateIpAddresses: [a!, b!] }),
    );
    assert.equal(await available(tiny), 2);
    assert.ok(!(await addressesOf(id)).includes(a!));
    const again = await v.ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, PrivateIpAddresses: [a!, b!] }),
    );
    assert.deepEqual(again.AssignedPrivateIpAddresses!.map((x) => x.PrivateIpAddress).sort(), [a, b].sort());
    assert.equal(await available(tiny), 0);
  });

  test('prefixes: InsufficientCidrBlocks exactly when no aligned /28 is free', async () => {
    const frag = v.sim.subnet('frag').id;
    // A /24 has 16 aligned /28 blocks; the first and last hold reserved addresses, so 14 can be delegated.
    const holder = (await v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: frag })))
      .NetworkInterface!;
    const id = holder.NetworkInterfaceId!;
    // Put one address in every block from 2 to 14 (the holder's primary already sits in block 0).
    const oneInEachBlock = Array.from({ length: 13 }, (_, i) => `10.30.1.${(i + 1) * 16 + 5}`);
    await v.ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, PrivateIpAddresses: oneInEachBlock }),
    );
    // Blocks 1..13 are now fragmented; block 14 (10.30.1.224/28) is the only whole one left.
    const availableBefore = await available(frag);
    assert.ok(availableBefore! > 200, 'plenty of single addresses remain');
    const got = await v.ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, Ipv4PrefixCount: 1 }),
    );
    assert.deepEqual(
      got.AssignedIpv4Prefixes!.map((p) => p.Ipv4Prefix),
      ['10.30.1.224/28'],
    );
    assert.equal(await available(frag), availableBefore! - 16);
    assert.equal(
      await errorCodeOf(
        v.ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, Ipv4PrefixCount: 1 })),
      ),
      'InsufficientCidrBlocks',
    );
    // Freeing the single address of block 3 makes that block whole again: a prefix fits.
    await v.ec2.send(
      new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: id, PrivateIpAddresses: ['10.30.1.53'] }),
    );
    const again = await v.ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, Ipv4PrefixCount: 1 }),
    );
    assert.deepEqual(
      again.AssignedIpv4Prefixes!.map((p) => p.Ipv4Prefix),
      ['10.30.1.48/28'],
    );
    // An explicit prefix: only a whole aligned /28 inside the subnet.
    await v.ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: id, PrivateIpAddresses: ['10.30.1.69'] }));
    assert.equal(
      await errorCodeOf(
        v.ec2.send(
          new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, Ipv4Prefixes: ['10.30.1.64/28', '10.30.1.64/28'] }),
        ),
      ),
      'InvalidParameterValue',
      'the same prefix twice in one call, though it is free',
    );
    const explicit = await v.ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, Ipv4Prefixes: ['10.30.1.64/28'] }),
    );
    assert.deepEqual(explicit.AssignedIpv4Prefixes!.map((p) => p.Ipv4Prefix), ['10.30.1.64/28']);
    for (const bad of ['10.30.1.80/28', '10.30.1.72/28', '10.30.1.64/27']) {
      assert.equal(
        await errorCodeOf(v.ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, Ipv4Prefixes: [bad] }))),
        'InvalidParameterValue',
        bad,
      );
    }
    await v.ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: id, Ipv4Prefixes: ['10.30.1.64/28'] }));
    // Unassigning a prefix gives its 16 addresses back.
    const mid = await available(frag);
    await v.ec2.send(
      new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: id, Ipv4Prefixes: ['10.30.1.48/28'] }),
    );
    assert.equal(await available(frag), mid! + 16);
    const described = (await v.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] })))
      .NetworkInterfaces![0]!;
    assert.deepEqual(
      described.Ipv4Prefixes!.map((p) => p.Ipv4Prefix),
      ['10.30.1.224/28'],
    );
  });

  test('explicit addresses: in use, reserved, outside the subnet, and reassignment', async () => {
    const main = v.sim.subnet('main').id;
    const e1 = (
      await v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: main, PrivateIpAddress: '10.30.20.10' }))
    ).NetworkInterface!.NetworkInterfaceId!;
    const e2 = (await v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: main }))).NetworkInterface!
      .NetworkInterfaceId!;
    await v.ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: e1, PrivateIpAddresses: ['10.30.20.11'] }),
    );
    const code = (p: Promise<unknown>) => errorCodeOf(p);
    assert.equal(
      await code(
        v.ec2.send(
          new AssignPrivateIpAddressesCommand({
            NetworkInterfaceId: e2,
            PrivateIpAddresses: ['10.30.20.11'],
          }),
        ),
      ),
      'InvalidIPAddress.InUse',
    );
    assert.equal(
      await code(
        v.ec2.send(
          new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: e2, PrivateIpAddresses: ['10.30.16.1'] }),
        ),
      ),
      'InvalidParameterValue',
      'the subnet router address is reserved',
    );
    assert.equal(
      await code(
        v.ec2.send(
          new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: e2, PrivateIpAddresses: ['10.99.0.9'] }),
        ),
      ),
      'InvalidParameterValue',
    );
    assert.equal(
      await code(
        v.ec2.send(
          new AssignPrivateIpAddressesCommand({
            NetworkInterfaceId: e2,
            PrivateIpAddresses: ['10.30.20.12'],
            SecondaryPrivateIpAddressCount: 1,
          }),
        ),
      ),
      'InvalidParameterCombination',
    );
    assert.equal(
      await code(
        v.ec2.send(
          new UnassignPrivateIpAddressesCommand({
            NetworkInterfaceId: e1,
            PrivateIpAddresses: ['10.30.20.10'],
          }),
        ),
      ),
      'InvalidParameterValue',
      'the primary address cannot be unassigned',
    );
    assert.equal(
      await code(
        v.ec2.send(
          new UnassignPrivateIpAddressesCommand({
            NetworkInterfaceId: e2,
            PrivateIpAddresses: ['10.30.20.11'],
          }),
        ),
      ),
      'InvalidParameterValue',
      'not assigned to that ENI',
    );
    // AllowReassignment moves the address from e1 to e2 (what a failover does).
    await v.ec2.send(
      new AssignPrivateIpAddressesCommand({
        NetworkInterfaceId: e2,
        PrivateIpAddresses: ['10.30.20.11'],
        AllowReassignment: true,
      }),
    );
    assert.ok((await addressesOf(e2)).includes('10.30.20.11'));
    assert.ok(!(await addressesOf(e1)).includes('10.30.20.11'));
  });
});
