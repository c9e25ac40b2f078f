import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DeleteNetworkInterfaceCommand,
  DescribeTagsCommand,
  EC2ServiceException,
  type Filter,
  paginateDescribeNetworkInterfaces,
} from '@aws-sdk/client-ec2';
import { errorCodeOf, startTestVpc, type TestVpc } from '../helpers/emulator.ts';

describe('describe actions, filters, tags and pagination', () => {
  let v: TestVpc;
  const created: string[] = [];
  before(async () => {
    v = await startTestVpc({ throttling: false });
    const subnet = v.sim.subnet('nodes-a').id;
    for (let i = 0; i < 23; i++) {
      const r = await v.ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: subnet,
          Description: `pool-${i}`,
          TagSpecifications: [
            {
              ResourceType: 'network-interface',
              Tags: [
                { Key: 'cluster.k8s.amazonaws.com/name', Value: i % 2 ? 'blue' : 'green' },
                ...(i < 5 ? [{ Key: 'node.k8s.amazonaws.com/instance_id', Value: 'i-x' }] : []),
              ],
            },
          ],
        }),
      );
      created.push(r.NetworkInterface!.NetworkInterfaceId!);
    }
  });
  after(() => v.stop());

  const ids = async (Filters: Filter[]) =>
    (await v.ec2.send(new DescribeNetworkInterfacesCommand({ Filters }))).NetworkInterfaces!.map(
      (n) => n.NetworkInterfaceId!,
    );

  test('filters: attachment.instance-id, status, vpc-id, subnet-id, tag-key, tag:<k>, network-interface-id', async () => {
    const node = v.sim.instance('node-1');
    await v.ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: created[0],
        InstanceId: node.id,
        DeviceIndex: 1,
      }),
    );
    assert.deepEqual(
      (await ids([{ Name: 'attachment.instance-id', Values: [node.id] }])).sort(),
      [node.primaryEniId, created[0]].sort(),
    );
    assert.equal((await ids([{ Name: 'status', Values: ['available'] }])).length, 22);
    assert.equal(
      (await ids([{ Name: 'vpc-id', Values: [v.sim.vpc.id] }])).length,
      25,
      '23 created + 2 primaries',
    );
    assert.equal((await ids([{ Name: 'subnet-id', Values: [v.sim.subnet('nodes-b').id] }])).length, 1);
    assert.equal(
      (await ids([{ Name: 'tag-key', Values: ['node.k8s.amazonaws.com/instance_id'] }])).length,
      5,
    );
    assert.equal((await ids([{ Name: 'tag:cluster.k8s.amazonaws.com/name', Values: ['blue'] }])).length, 11);
    assert.equal(
      (await ids([{ Name: 'tag:cluster.k8s.amazonaws.com/name', Values: ['blue', 'green'] }])).length,
      23,
    );
    assert.deepEqual(await ids([{ Name: 'network-interface-id', Values: [created[3]!] }]), [created[3]]);
    // Filters AND together, values OR; wildcards as on EC2.
    assert.equal(
      (
        await ids([
          { Name: 'status', Values: ['available'] },
          { Name: 'tag:cluster.k8s.amazonaws.com/name', Values: ['gr*'] },
        ])
      ).length,
      11,
    );
    assert.equal((await ids([{ Name: 'description', Values: ['pool-?'] }])).length, 10);
    assert.equal(
      await errorCodeOf(
        v.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'bogus', Values: ['x'] }] })),
      ),
      'InvalidParameterValue',
    );
  });

  test('pagination: MaxResults and NextToken, driven by the SDK paginator', async () => {
    const pages: number[] = [];
    const seen = new Set<string>();
    for await (const page of paginateDescribeNetworkInterfaces(
      { client: v.ec2, pageSize: 10 },
      { Filters: [{ Name: 'vpc-id', Values: [v.sim.vpc.id] }] },
    )) {
      pages.push(page.NetworkInterfaces!.length);
      for (const n of page.NetworkInterfaces!) seen.add(n.NetworkInterfaceId!);
    }
    assert.deepEqual(pages, [10, 10, 5]);
    assert.equal(seen.size, 25);
    const code = (p: Promise<unknown>) => errorCodeOf(p);
    assert.equal(
      await code(v.ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 4 }))),
      'InvalidParameterValue',
    );
    assert.equal(
      await code(
        v.ec2.send(
          new DescribeNetworkInterfacesCommand({ MaxResults: 5, NetworkInterfaceIds: [created[0]!] }),
        ),
      ),
      'InvalidParameterCombination',
    );
    assert.equal(
      await code(v.ec2.send(new DescribeNetworkInterfacesCommand({ NextToken: 'garbage' }))),
      'InvalidPaginationToken',
    );
  });

  test('pagination is a cursor: deleting what was already seen hides nothing that was not', async () => {
    const subnet = v.sim.subnet('nodes-b').id;
    const mine: string[] = [];
    for (let i = 0; i < 12; i++) {
      mine.push((await v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet }))).NetworkInterface!.NetworkInterfaceId!);
    }
    const seen: string[] = [];
    let NextToken: string | undefined;
    const Filters = [{ Name: 'subnet-id', Values: [subnet] }, { Name: 'status', Values: ['available'] }];
    do {
      const page = await v.ec2.send(new DescribeNetworkInterfacesCommand({ Filters, MaxResults: 5, NextToken }));
      const ids = page.NetworkInterfaces!.map((n) => n.NetworkInterfaceId!);
      seen.push(...ids);
      // What a leaked-ENI sweep does: delete each page before reading the next.
      for (const id of ids) await v.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id }));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.deepEqual([...seen].sort(), [...mine].sort());
  });

  test('an unknown filter name is refused even when nothing would match', async () => {
    for (const send of [
      () => v.ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-idd', Values: ['eni-0'] }] })),
      () =>
        v.ec2.send(
          new DescribeNetworkInterfacesCommand({
            NetworkInterfaceIds: [created[1]!],
            Filters: [{ Name: 'attachment.colour', Values: ['x'] }],
          }),
        ),
      () => v.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'nope', Values: ['x'] }] })),
    ]) {
      assert.equal(await errorCodeOf(send()), 'InvalidParameterValue');
    }
  });

  test('DescribeInstances and DescribeSubnets page too', async () => {
    const first = await v.ec2.send(new DescribeSubnetsCommand({ MaxResults: 5 }));
    assert.equal(first.Subnets!.length, 2);
    assert.equal(first.NextToken, undefined);
    const inst = await v.ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
    assert.equal(inst.Reservations!.length, 2);
  });

  test('tags: create, describe with filters, delete by key and by key+value', async () => {
    const eni = created[7]!;
    await v.ec2.send(
      new CreateTagsCommand({
        Resources: [eni],
        Tags: [
          { Key: 'owner', Value: 'ipamd' },
          { Key: 'x', Value: '1' },
        ],
      }),
    );
    const rows = (
      await v.ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [eni] }] }))
    ).Tags!;
    assert.deepEqual(
      rows.map((t) => `${t.ResourceType}:${t.Key}=${t.Value}`),
      [
        'network-interface:cluster.k8s.amazonaws.com/name=blue',
        'network-interface:owner=ipamd',
        'network-interface:x=1',
      ],
    );
    await v.ec2.send(
      new DeleteTagsCommand({ Resources: [eni], Tags: [{ Key: 'owner', Value: 'someone-else' }] }),
    );
    await v.ec2.send(new DeleteTagsCommand({ Resources: [eni], Tags: [{ Key: 'x' }] }));
    const left = (
      await v.ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [eni] }] }))
    ).Tags!;
    assert.deepEqual(
      left.map((t) => t.Key),
      ['cluster.k8s.amazonaws.com/name', 'owner'],
      'a non-matching value deletes nothing',
    );
    const code = (p: Promise<unknown>) => errorCodeOf(p);
    assert.equal(
      await code(
        v.ec2.send(
          new CreateTagsCommand({ Resources: ['eni-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }),
        ),
      ),
      'InvalidNetworkInterfaceID.NotFound',
    );
    assert.equal(
      await code(
        v.ec2.send(new CreateTagsCommand({ Resources: [eni], Tags: [{ Key: 'aws:reserved', Value: 'b' }] })),
      ),
      'InvalidParameterValue',
    );
    const many = Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    assert.equal(
      await code(v.ec2.send(new CreateTagsCommand({ Resources: [eni], Tags: many }))),
      'TagLimitExceeded',
    );
    const paged = await v.ec2.send(new DescribeTagsCommand({ MaxResults: 5 }));
    assert.equal(paged.Tags!.length, 5);
    assert.ok(paged.NextToken);
  });

  test('DescribeInstances, DescribeInstanceTypes, DescribeSecurityGroups', async () => {
    const node = v.sim.instance('node-2');
    const r = await v.ec2.send(new DescribeInstancesCommand({ InstanceIds: [node.id] }));
    const inst = r.Reservations![0]!.Instances![0]!;
    assert.equal(inst.InstanceType, 'm5.large');
    assert.equal(inst.State!.Name, 'running');
    assert.equal(inst.Placement!.AvailabilityZone, 'us-west-2b');
    assert.equal(inst.NetworkInterfaces![0]!.Attachment!.DeviceIndex, 0);
    assert.equal(inst.SecurityGroups![0]!.GroupName, 'eks-cluster-sg');
    const byFilter = await v.ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['node-*'] }] }),
    );
    assert.equal(byFilter.Reservations!.length, 2);
    assert.equal(
      await errorCodeOf(v.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))),
      'InvalidInstanceID.NotFound',
    );

    const types = await v.ec2.send(
      new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.medium', 'm5.large'] }),
    );
    const info = Object.fromEntries(types.InstanceTypes!.map((t) => [t.InstanceType, t.NetworkInfo!]));
    assert.equal(info['t3.medium']!.MaximumNetworkInterfaces, 3);
    assert.equal(info['t3.medium']!.Ipv4AddressesPerInterface, 6);
    assert.equal(info['m5.large']!.Ipv4AddressesPerInterface, 10);
    assert.equal(info['m5.large']!.NetworkCards![0]!.MaximumNetworkInterfaces, 3);
    assert.equal(
      await errorCodeOf(
        v.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.colossal' as 't3.medium'] })),
      ),
      'InvalidInstanceType',
    );

    const sgs = await v.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [v.sim.vpc.id] }] }),
    );
    assert.deepEqual(sgs.SecurityGroups!.map((g) => g.GroupName).sort(), ['default', 'eks-cluster-sg']);
    assert.equal(
      await errorCodeOf(
        v.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })),
      ),
      'InvalidGroup.NotFound',
    );
  });

  test('an action the emulator does not implement answers InvalidAction, never silently', async () => {
    const { RunInstancesCommand } = await import('@aws-sdk/client-ec2');
    const err = await v.ec2
      .send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, ImageId: 'ami-1' }))
      .catch((e) => e);
    assert.ok(err instanceof EC2ServiceException);
    assert.equal(err.name, 'InvalidAction');
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.match(err.message, /RunInstances is not valid/);
    const log = v.sim.log.entries({ action: 'RunInstances' });
    assert.equal(log.at(-1)!.errorCode, 'InvalidAction');
  });
});
