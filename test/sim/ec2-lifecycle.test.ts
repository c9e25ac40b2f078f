import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { Topology } from '../../sim/topology.ts';
import { errorCodeOf, startTestVpc, type TestVpc } from '../helpers/emulator.ts';

const topology: Topology = {
  vpc: {
    cidrs: ['10.20.0.0/16'],
    subnets: [
      { name: 'a', cidr: '10.20.0.0/20', az: 'us-west-2a' },
      { name: 'b', cidr: '10.20.16.0/20', az: 'us-west-2b' },
    ],
  },
  instances: [
    { name: 'small', type: 't3.medium', subnet: 'a' },
    { name: 'large', type: 'm5.large', subnet: 'a' },
    { name: 'xen', type: 'm4.large', subnet: 'a' },
  ],
};

async function createEni(ec2: EC2Client, subnetId: string, secondary?: number) {
  const r = await ec2.send(
    new CreateNetworkInterfaceCommand({ SubnetId: subnetId, SecondaryPrivateIpAddressCount: secondary }),
  );
  return r.NetworkInterface!.NetworkInterfaceId!;
}

async function attach(ec2: EC2Client, eni: string, instanceId: string, deviceIndex: number) {
  return ec2.send(
    new AttachNetworkInterfaceCommand({
      NetworkInterfaceId: eni,
      InstanceId: instanceId,
      DeviceIndex: deviceIndex,
    }),
  );
}

/** Fills an instance up to its ENI limit with full ENIs and returns how many it took. */
async function fillInstance(v: TestVpc, name: string): Promise<{ enis: number; addressesPerEni: number[] }> {
  const inst = v.sim.instance(name);
  const subnet = v.sim.subnet('a').id;
  let device = 1;
  for (;;) {
    const eni = await createEni(v.ec2, subnet);
    const code = await errorCodeOf(attach(v.ec2, eni, inst.id, device));
    if (code !== 'no error') {
      assert.equal(code, 'AttachmentLimitExceeded');
      await v.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }));
      break;
    }
    device++;
  }
  const enis = (
    await v.ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [{ Name: 'attachment.instance-id', Values: [inst.id] }],
      }),
    )
  ).NetworkInterfaces!;
  const addressesPerEni: number[] = [];
  for (const eni of enis) {
    // One at a time until EC2 says no: the count EC2 allowed is the per-ENI limit.
    for (;;) {
      const code = await errorCodeOf(
        v.ec2.send(
          new AssignPrivateIpAddressesCommand({
            NetworkInterfaceId: eni.NetworkInterfaceId,
            SecondaryPrivateIpAddressCount: 1,
          }),
        ),
      );
      if (code !== 'no error') {
        assert.equal(code, 'PrivateIpAddressLimitExceeded');
        break;
      }
    }
    const after = await v.ec2.send(
      new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni.NetworkInterfaceId!] }),
    );
    addressesPerEni.push(after.NetworkInterfaces![0]!.PrivateIpAddresses!.length);
  }
  return { enis: enis.length, addressesPerEni };
}

describe('EC2 limits per instance type', () => {
  let v: TestVpc;
  before(async () => {
    v = await startTestVpc({ topology, throttling: false });
  });
  after(() => v.stop());

  test('t3.medium: 3 ENIs of 6 addresses', async () => {
    assert.deepEqual(await fillInstance(v, 'small'), { enis: 3, addressesPerEni: [6, 6, 6] });
  });

  test('m5.large: 3 ENIs of 10 addresses', async () => {
    assert.deepEqual(await fillInstance(v, 'large'), { enis: 3, addressesPerEni: [10, 10, 10] });
  });

  test('an ENI holding more addresses than the type allows cannot be attached', async () => {
    const small = v.sim.instance('small');
    const eni = await createEni(v.ec2, v.sim.subnet('a').id, 8);
    // small is full of ENIs already; use a fresh instance of the same type.
    const fresh = await v.sim.launchInstance({ type: 't3.medium', subnet: 'a' });
    assert.notEqual(fresh.id, small.id);
    assert.equal(await errorCodeOf(attach(v.ec2, eni, fresh.id, 1)), 'PrivateIpAddressLimitExceeded');
  });

  test('prefixes count against the same per-ENI slots and need a Nitro type', async () => {
    const inst = await v.sim.launchInstance({ type: 't3.medium', subnet: 'b' });
    const eniId = v.sim.state.enisOf(inst.id)[0]!.id;
    const r = await v.ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, Ipv4PrefixCount: 5 }),
    );
    assert.equal(r.AssignedIpv4Prefixes!.length, 5);
    for (const p of r.AssignedIpv4Prefixes!) assert.match(p.Ipv4Prefix!, /^10\.20\.\d+\.\d+\/28$/);
    assert.equal(
      await errorCodeOf(
        v.ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, Ipv4PrefixCount: 1 })),
      ),
      'PrivateIpAddressLimitExceeded',
    );
    const xenEni = v.sim.state.enisOf(v.sim.instance('xen').id)[0]!.id;
    assert.equal(
      await errorCodeOf(
        v.ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: xenEni, Ipv4PrefixCount: 1 })),
      ),
      'InvalidParameterValue',
    );
  });
});

describe('ENI lifecycle and misuse', () => {
  let v: TestVpc;
  before(async () => {
    v = await startTestVpc({
      topology,
      throttling: false,
      // Long enough that the calls made while attaching or detaching land inside the window on a
      // busy machine; the transitions out of it are waited for, not slept for.
      timings: { attachDelayMs: 1000, detachDelayMs: 1000 },
    });
  });
  after(() => v.stop());

  const statusOf = async (eni: string) => {
    const r = await v.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }));
    const n = r.NetworkInterfaces![0]!;
    return `${n.Status}/${n.Attachment?.Status ?? '-'}`;
  };
  /** Polls until the ENI's status is `want` (the emulator's timed transition), failing after 10 s. */
  const becomes = async (eni: string, want: string) => {
    const deadline = Date.now() + 10_000;
    for (let now = await statusOf(eni); now !== want; now = await statusOf(eni)) {
      if (Date.now() > deadline) assert.fail(`${eni} stayed ${now}, expected ${want}`);
      await sleep(20);
    }
  };

  test('attach goes attaching -> attached, detach goes detaching -> available, then delete', async () => {
    const inst = v.sim.instance('large');
    const eni = await createEni(v.ec2, v.sim.subnet('a').id, 2);
    assert.equal(await statusOf(eni), 'available/-');
    const a = await attach(v.ec2, eni, inst.id, 1);
    assert.match(a.AttachmentId!, /^eni-attach-[0-9a-f]{17}$/);
    assert.equal(await statusOf(eni), 'in-use/attaching');
    // EC2 refuses to delete an ENI in use with InvalidParameterValue "... is currently in use".
    const inUse = await v.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni })).catch((e) => e);
    assert.equal(inUse.name, 'InvalidParameterValue');
    assert.match(inUse.message, /currently in use/);
    await becomes(eni, 'in-use/attached');
    await v.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: eni,
        Attachment: { AttachmentId: a.AttachmentId, DeleteOnTermination: true },
      }),
    );
    const described = await v.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }));
    assert.equal(described.NetworkInterfaces![0]!.Attachment!.DeleteOnTermination, true);
    await v.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: a.AttachmentId }));
    assert.equal(await statusOf(eni), 'in-use/detaching');
    assert.equal(
      await errorCodeOf(v.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: a.AttachmentId }))),
      'IncorrectState',
    );
    assert.equal(
      await errorCodeOf(v.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }))),
      'InvalidParameterValue',
      'still in use while detaching',
    );
    await becomes(eni, 'available/-');
    await v.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }));
    assert.equal(
      await errorCodeOf(v.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }))),
      'InvalidNetworkInterfaceID.NotFound',
    );
    assert.equal(
      await errorCodeOf(v.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }))),
      'InvalidNetworkInterfaceID.NotFound',
    );
  });

  test('misuse answers with EC2 error codes', async () => {
    const inst = v.sim.instance('large');
    const primary = v.sim.state.enisOf(inst.id)[0]!;
    const subnetA = v.sim.subnet('a').id;
    const eni = await createEni(v.ec2, subnetA);
    const code = (p: Promise<unknown>) => errorCodeOf(p);
    assert.equal(
      await code(attach(v.ec2, eni, inst.id, 0)),
      'InvalidParameterValue',
      'device index 0 is taken',
    );
    assert.equal(await code(attach(v.ec2, primary.id, inst.id, 3)), 'InvalidNetworkInterface.InUse');
    assert.equal(
      await code(v.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: primary.attachment!.id }))),
      'OperationNotPermitted',
    );
    assert.equal(
      await code(
        v.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: 'eni-attach-0123456789abcdef0' })),
      ),
      'InvalidAttachmentID.NotFound',
    );
    assert.equal(
      await code(attach(v.ec2, 'eni-0123456789abcdef0', inst.id, 2)),
      'InvalidNetworkInterfaceID.NotFound',
    );
    assert.equal(await code(attach(v.ec2, 'eni-nothex', inst.id, 2)), 'InvalidNetworkInterfaceID.Malformed');
    assert.equal(await code(attach(v.ec2, eni, 'i-0123456789abcdef0', 2)), 'InvalidInstanceID.NotFound');
    const otherAz = await createEni(v.ec2, v.sim.subnet('b').id);
    assert.equal(await code(attach(v.ec2, otherAz, inst.id, 2)), 'InvalidParameterCombination');
    assert.equal(
      await code(
        v.ec2.send(
          new ModifyNetworkInterfaceAttributeCommand({
            NetworkInterfaceId: eni,
            Description: { Value: 'x' },
            SourceDestCheck: { Value: false },
          }),
        ),
      ),
      'InvalidParameterCombination',
      'one attribute per call',
    );
    assert.equal(
      await code(v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: 'subnet-0123456789abcdef0' }))),
      'InvalidSubnetID.NotFound',
    );
    assert.equal(
      await code(
        v.ec2.send(
          new CreateNetworkInterfaceCommand({ SubnetId: subnetA, Groups: ['sg-0123456789abcdef0'] }),
        ),
      ),
      'InvalidGroup.NotFound',
    );
    assert.equal(
      await code(
        v.ec2.send(
          new CreateNetworkInterfaceCommand({
            SubnetId: subnetA,
            SecondaryPrivateIpAddressCount: 1,
            Ipv4PrefixCount: 1,
          }),
        ),
      ),
      'InvalidParameterCombination',
    );
    assert.equal(
      await code(v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetA, DryRun: true }))),
      'DryRunOperation',
    );
  });

  test('ModifyNetworkInterfaceAttribute changes security groups, description and source/dest check', async () => {
    const subnetA = v.sim.subnet('a');
    const eni = await createEni(v.ec2, subnetA.id);
    const sg = v.sim.state.addSecurityGroup(subnetA.vpcId, 'pods', 'pod security group');
    await v.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [sg.id] }));
    await v.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Description: { Value: 'aws-K8S-i-1' } }));
    await v.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, SourceDestCheck: { Value: false } }));
    const n = (await v.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }))).NetworkInterfaces![0]!;
    assert.deepEqual(n.Groups, [{ GroupId: sg.id, GroupName: 'pods' }]);
    assert.equal(n.Description, 'aws-K8S-i-1');
    assert.equal(n.SourceDestCheck, false);
    assert.equal(
      await errorCodeOf(
        v.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: ['sg-0123456789abcdef0'] })),
      ),
      'InvalidGroup.NotFound',
    );
    assert.equal(
      await errorCodeOf(
        v.ec2.send(
          new ModifyNetworkInterfaceAttributeCommand({
            NetworkInterfaceId: eni,
            Attachment: { AttachmentId: 'eni-attach-0123456789abcdef0', DeleteOnTermination: true },
          }),
        ),
      ),
      'InvalidAttachmentID.NotFound',
    );
  });

  test('CreateNetworkInterface is idempotent on ClientToken, as the SDK retries with the same token', async () => {
    const subnetA = v.sim.subnet('a').id;
    const first = await v.ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: subnetA, ClientToken: 'tok-1' }),
    );
    const again = await v.ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: subnetA, ClientToken: 'tok-1' }),
    );
    assert.equal(again.NetworkInterface!.NetworkInterfaceId, first.NetworkInterface!.NetworkInterfaceId);
    assert.equal(
      await errorCodeOf(
        v.ec2.send(
          new CreateNetworkInterfaceCommand({ SubnetId: v.sim.subnet('b').id, ClientToken: 'tok-1' }),
        ),
      ),
      'IdempotentParameterMismatch',
    );
    assert.equal(
      await errorCodeOf(
        v.ec2.send(
          new CreateNetworkInterfaceCommand({ SubnetId: subnetA, ClientToken: 'tok-1', SecondaryPrivateIpAddressCount: 3 }),
        ),
      ),
      'IdempotentParameterMismatch',
      'every parameter counts, not just the subnet',
    );
  });

  test('terminating an instance deletes ENIs with DeleteOnTermination and frees the others', async () => {
    const inst = await v.sim.launchInstance({ type: 'm5.large', subnet: 'a' });
    const subnetA = v.sim.subnet('a');
    const before = subnetA.pool.availableCount;
    const keep = await createEni(v.ec2, subnetA.id, 2);
    const drop = await createEni(v.ec2, subnetA.id, 2);
    await attach(v.ec2, keep, inst.id, 1);
    const a2 = await attach(v.ec2, drop, inst.id, 2);
    await becomes(keep, 'in-use/attached');
    await becomes(drop, 'in-use/attached');
    await v.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: drop,
        Attachment: { AttachmentId: a2.AttachmentId, DeleteOnTermination: true },
      }),
    );
    const primary = inst.primaryEniId;
    await v.sim.terminateInstance(inst.id);
    assert.equal(await statusOf(keep), 'available/-');
    for (const gone of [drop, primary]) {
      assert.equal(
        await errorCodeOf(v.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [gone] }))),
        'InvalidNetworkInterfaceID.NotFound',
      );
    }
    // `keep` still holds its 3 addresses; the dropped ENI's 3 and the primary ENI's 1 went back.
    assert.equal(subnetA.pool.availableCount, before - 3 + 1);
  });
});

describe('multi-card instance types', () => {
  let v: TestVpc;
  before(async () => {
    v = await startTestVpc({
      throttling: false,
      topology: {
        vpc: { cidrs: ['10.21.0.0/16'], subnets: [{ name: 'a', cidr: '10.21.0.0/18', az: 'us-west-2a' }] },
        instances: [{ name: 'big', type: 'p4d.24xlarge', subnet: 'a' }],
      },
    });
  });
  after(() => v.stop());

  test('p4d.24xlarge: 4 cards of 15 ENIs, limits per card, 60 in all', async () => {
    const info = (await v.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['p4d.24xlarge'] })))
      .InstanceTypes![0]!.NetworkInfo!;
    assert.equal(info.MaximumNetworkInterfaces, 60);
    assert.deepEqual(
      info.NetworkCards!.map((c) => c.MaximumNetworkInterfaces),
      [15, 15, 15, 15],
    );
    const inst = v.sim.instance('big');
    const subnet = v.sim.subnet('a').id;
    const attachOn = async (card: number, device: number) => {
      const eni = await createEni(v.ec2, subnet);
      return errorCodeOf(
        v.ec2.send(
          new AttachNetworkInterfaceCommand({
            NetworkInterfaceId: eni,
            InstanceId: inst.id,
            DeviceIndex: device,
            NetworkCardIndex: card,
          }),
        ),
      );
    };
    // Card 0 holds the primary; 14 more fit, the 15th does not.
    for (let d = 1; d <= 14; d++) assert.equal(await attachOn(0, d), 'no error', `card 0 device ${d}`);
    assert.equal(await attachOn(0, 15), 'AttachmentLimitExceeded');
    // Card 1 is separate: device index 1 is free there although card 0 uses it.
    assert.equal(await attachOn(1, 1), 'no error');
    assert.equal(await attachOn(1, 1), 'InvalidParameterValue', 'device 1 on card 1 is now taken');
    assert.equal(await attachOn(4, 0), 'InvalidParameterValue', 'no card 4');
  });
});
