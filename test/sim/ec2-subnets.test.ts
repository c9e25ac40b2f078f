/**
 * DescribeSubnets as subnet discovery reads it (issue 11 item 3), through the real SDK: filters by
 * vpc-id, availability-zone, tag-key, tag:<key> and subnet-id, the topology's tags, and an
 * AvailableIpAddressCount that follows what EC2 assigns.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AssignPrivateIpAddressesCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeSubnetsCommand,
  type Filter,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import { errorCodeOf, startTestVpc, type TestVpc } from '../helpers/emulator.ts';

const TOPOLOGY = new URL('../../sim/topologies/subnet-discovery.json', import.meta.url).pathname;
const CNI = 'kubernetes.io/role/cni';

describe('DescribeSubnets for subnet discovery', () => {
  let v: TestVpc;
  before(async () => {
    v = await startTestVpc({ topology: TOPOLOGY, throttling: false });
  });
  after(() => v.stop());

  const names = async (Filters: Filter[]) => {
    const byId = new Map(['nodes-a', 'pods-a1', 'pods-a2', 'pods-a-other-cluster', 'reserved-a', 'plain-a', 'nodes-b', 'pods-b'].map((n) => [v.sim.subnet(n).id, n]));
    const r = await v.ec2.send(new DescribeSubnetsCommand({ Filters }));
    return r.Subnets!.map((s) => byId.get(s.SubnetId!) ?? s.SubnetId!).sort();
  };

  test('vpc-id and availability-zone: the node zone subnets of its VPC; another VPC id matches nothing', async () => {
    const vpc = { Name: 'vpc-id', Values: [v.sim.vpc.id] };
    assert.deepEqual(await names([vpc, { Name: 'availability-zone', Values: ['us-west-2b'] }]), ['nodes-b', 'pods-b']);
    assert.equal((await names([vpc, { Name: 'availability-zone', Values: ['us-west-2a'] }])).length, 6);
    assert.deepEqual(await names([{ Name: 'vpc-id', Values: ['vpc-0123456789abcdef0'] }]), []);
    // A second VPC with a subnet in the same zone is told apart by vpc-id.
    const other = v.sim.state.addVpc(['10.99.0.0/16']);
    const extra = v.sim.state.addSubnet(other.id, '10.99.0.0/24', 'us-west-2a', { [CNI]: '1' });
    assert.equal((await names([vpc, { Name: 'availability-zone', Values: ['us-west-2a'] }])).length, 6);
    assert.deepEqual(await names([{ Name: 'vpc-id', Values: [other.id] }]), [extra.id]);
  });

  test('tag-key, tag:<key> (values OR, wildcards) and subnet-id; tags come back in TagSet', async () => {
    const zoneA = [{ Name: 'vpc-id', Values: [v.sim.vpc.id] }, { Name: 'availability-zone', Values: ['us-west-2a'] }];
    assert.deepEqual(await names([...zoneA, { Name: 'tag-key', Values: [CNI] }]), ['pods-a-other-cluster', 'pods-a1', 'pods-a2', 'reserved-a']);
    assert.deepEqual(await names([...zoneA, { Name: `tag:${CNI}`, Values: ['1'] }]), ['pods-a-other-cluster', 'pods-a1', 'pods-a2']);
    assert.deepEqual(await names([...zoneA, { Name: `tag:${CNI}`, Values: ['0'] }]), ['reserved-a']);
    assert.deepEqual(await names([{ Name: 'tag-key', Values: ['cni.networking.k8s.aws/cluster/*'] }]), ['pods-a-other-cluster']);
    assert.deepEqual(await names([{ Name: 'subnet-id', Values: [v.sim.subnet('pods-a2').id, v.sim.subnet('pods-b').id] }]), ['pods-a2', 'pods-b']);
    const s = (await v.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [v.sim.subnet('pods-a-other-cluster').id] }))).Subnets![0]!;
    assert.deepEqual(
      Object.fromEntries(s.Tags!.map((t) => [t.Key, t.Value])),
      { [CNI]: '1', 'cni.networking.k8s.aws/cluster/other': '1' },
    );
    assert.equal(s.CidrBlock, '100.64.128.0/17');
    assert.equal(s.AvailabilityZone, 'us-west-2a');
    assert.equal(await errorCodeOf(v.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag-keys', Values: [CNI] }] }))), 'InvalidParameterValue');
  });

  test('AvailableIpAddressCount goes down as addresses are assigned and up as they are released', async () => {
    const SubnetId = v.sim.subnet('pods-a2').id;
    const count = async () => (await v.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [SubnetId] }))).Subnets![0]!.AvailableIpAddressCount!;
    const before = await count();
    assert.equal(before, 4096 - 5);
    const eni = (await v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId, SecondaryPrivateIpAddressCount: 3 }))).NetworkInterface!;
    assert.equal(await count(), before - 4);
    const NetworkInterfaceId = eni.NetworkInterfaceId!;
    const more = await v.ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId, SecondaryPrivateIpAddressCount: 2 }));
    assert.equal(await count(), before - 6);
    const ips = more.AssignedPrivateIpAddresses!.map((a) => a.PrivateIpAddress!);
    await v.ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId, PrivateIpAddresses: ips }));
    assert.equal(await count(), before - 4);
    await v.ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId, Ipv4PrefixCount: 1 }));
    assert.equal(await count(), before - 20, 'a /28 prefix takes 16');
    await v.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId }));
    assert.equal(await count(), before);
  });
});
