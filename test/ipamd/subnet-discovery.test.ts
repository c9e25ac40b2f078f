/**
 * Subnet discovery's choice (issue 11 item 3) on the in-memory EC2 port: the emulator's state
 * model, its DescribeSubnets filters and AvailableIpAddressCount, with no HTTP between. The same
 * through the real SDK and a real ipamd process is subnet-discovery-ipamd.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../ipamd/config.ts';
import { EniManager } from '../../ipamd/eni-manager.ts';
import { IpamdError, isIpamdError } from '../../ipamd/errors.ts';
import { silentLogger } from '../../ipamd/logger.ts';
import { judgeSubnet, rankSubnets, SubnetDiscoveryPlacement } from '../../ipamd/placement/subnet-discovery.ts';
import type { Ec2Subnet } from '../../ipamd/ports.ts';
import { startEmulator } from '../../sim/emulator.ts';
import type { Topology } from '../../sim/topology.ts';
import { MemoryEc2, memoryImds } from '../helpers/memory-ec2.ts';

const CNI = 'kubernetes.io/role/cni';
const BLUE = 'cni.networking.k8s.aws/cluster/blue';
const GREEN = 'cni.networking.k8s.aws/cluster/green';

/** Free addresses: a /24 has 251, a /25 123, a /26 59, a /27 27 (EC2 reserves five). */
const topology = (subnets: Topology['vpc']['subnets']): Topology => ({
  vpc: {
    cidrs: ['10.80.0.0/16'],
    subnets: [{ name: 'nodes', cidr: '10.80.0.0/26', az: 'us-west-2a' }, ...subnets],
    securityGroups: [{ name: 'node-sg' }],
  },
  instances: [{ name: 'node', type: 't3.small', subnet: 'nodes', securityGroups: ['node-sg'] }],
});

/** The in-memory port with a hook run after each DescribeSubnets (a race with other nodes). */
class RacingEc2 extends MemoryEc2 {
  afterDescribe: (() => void) | undefined;
  /** DescribeSubnets refused, as for a node role without ec2:DescribeSubnets. */
  refuse = false;
  override async subnets(filters: Parameters<MemoryEc2['subnets']>[0]): Promise<Ec2Subnet[]> {
    if (this.refuse) throw new IpamdError('IPAMD_EC2_AUTH', 'DescribeSubnets: UnauthorizedOperation');
    const r = await super.subnets(filters);
    this.afterDescribe?.();
    return r;
  }
}

async function node(subnets: Topology['vpc']['subnets'], env: Record<string, string> = {}) {
  const sim = await startEmulator({ topology: topology(subnets), profile: 'instant', throttling: false });
  const instanceId = sim.instance('node').id;
  const memory = new RacingEc2(sim.state);
  const ec2 = memory;
  const imds = memoryImds(sim.state, instanceId, sim.region);
  const identity = await imds.identity();
  const primaryEni = (await imds.enis()).find((e) => e.mac === identity.primaryMac)!;
  const config = parseConfig({ VPCWIRE_HOST_NETWORK: 'false', ...env });
  const logger = silentLogger();
  const placement = new SubnetDiscoveryPlacement({
    ec2, primary: primaryEni, availabilityZone: identity.availabilityZone, clusterName: config.clusterName, logger,
  });
  const instanceType = await ec2.instanceType(identity.instanceType);
  const enis = new EniManager({
    ec2, imds, config, logger, identity, instanceType, primaryEni, placement, waits: { minTimeoutMs: 1, maxTimeoutMs: 5 },
  });
  const id = (name: string) => sim.subnet(name).id;
  /** Takes every free address of a subnet, as other nodes would. */
  const fill = (name: string) => sim.state.subnet(id(name)).pool.allocateAddresses(sim.state.subnet(id(name)).pool.availableCount);
  return { sim, memory, placement, enis, id, fill, primaryEni, stop: () => sim.stop() };
}

const subnet = (id: string, availableIps: number, tags: Record<string, string> = {}, where: Partial<Ec2Subnet> = {}): Ec2Subnet => ({
  id, vpcId: 'vpc-1', cidr: '10.0.0.0/24', availabilityZone: 'us-west-2a', availableIps, tags, ...where,
});

describe('subnet discovery: which subnets count (upstream v1.23 rules)', () => {
  const scope = { vpcId: 'vpc-1', availabilityZone: 'us-west-2a', primarySubnetId: 'subnet-p', clusterName: undefined };

  test('the primary subnet counts untagged; others only tagged with a value other than 0; =0 excludes even the primary', () => {
    assert.equal(judgeSubnet(subnet('subnet-p', 1), scope), 'candidate');
    assert.equal(judgeSubnet(subnet('subnet-x', 1), scope), 'untagged');
    assert.equal(judgeSubnet(subnet('subnet-x', 1, { [CNI]: '1' }), scope), 'candidate');
    assert.equal(judgeSubnet(subnet('subnet-x', 1, { [CNI]: 'yes' }), scope), 'candidate', 'any value but 0 includes');
    assert.equal(judgeSubnet(subnet('subnet-x', 1, { [CNI]: '' }), scope), 'untagged', 'an empty value counts as untagged, as upstream reads it');
    assert.equal(judgeSubnet(subnet('subnet-x', 1, { [CNI]: '0' }), scope), 'excluded');
    assert.equal(judgeSubnet(subnet('subnet-p', 1, { [CNI]: '0' }), scope), 'excluded');
  });

  test('cluster tags: with CLUSTER_NAME a tagged subnet of other clusters is passed over; without it they are ignored', () => {
    const blue = { ...scope, clusterName: 'blue' };
    assert.equal(judgeSubnet(subnet('subnet-x', 1, { [CNI]: '1', [GREEN]: '1' }), blue), 'other-cluster');
    assert.equal(judgeSubnet(subnet('subnet-x', 1, { [CNI]: '1', [GREEN]: '1', [BLUE]: '' }), blue), 'candidate', 'shared with ours');
    assert.equal(judgeSubnet(subnet('subnet-x', 1, { [CNI]: '1' }), blue), 'candidate', 'no cluster tags: any cluster');
    assert.equal(judgeSubnet(subnet('subnet-x', 1, { [CNI]: '1', [GREEN]: '1' }), scope), 'candidate', 'CLUSTER_NAME unset');
    assert.equal(judgeSubnet(subnet('subnet-x', 1, { [CNI]: '1', 'kubernetes.io/cluster/green': 'owned' }), blue), 'candidate', "EKS's own cluster tag is not the CNI's");
    assert.equal(judgeSubnet(subnet('subnet-p', 1, { [GREEN]: '1' }), blue), 'candidate', 'the untagged primary subnet is not checked for cluster tags');
  });

  test('ranked by free addresses, ties in EC2 order; full, other-VPC and other-zone subnets passed over with the reason', () => {
    const r = rankSubnets(
      [
        subnet('subnet-p', 40),
        subnet('subnet-a', 100, { [CNI]: '1' }),
        subnet('subnet-b', 300, { [CNI]: '1' }),
        subnet('subnet-c', 100, { [CNI]: '1' }),
        subnet('subnet-full', 0, { [CNI]: '1' }),
        subnet('subnet-vpc', 900, { [CNI]: '1' }, { vpcId: 'vpc-2' }),
        subnet('subnet-az', 900, { [CNI]: '1' }, { availabilityZone: 'us-west-2b' }),
        subnet('subnet-plain', 900),
      ],
      scope,
    );
    assert.deepEqual(r.candidates.map((s) => s.id), ['subnet-b', 'subnet-a', 'subnet-c', 'subnet-p']);
    assert.deepEqual(Object.fromEntries(r.passedOver), {
      'subnet-full': 'no free address',
      'subnet-vpc': "in vpc-2, not the node's vpc-1",
      'subnet-az': "in us-west-2b, not the node's us-west-2a",
      'subnet-plain': `not tagged ${CNI}`,
    });
  });
});

describe('subnet discovery on the emulated VPC (in-memory EC2 port)', () => {
  test('the tagged subnet of the node VPC and zone with the most free addresses; untagged, other-zone and other-VPC subnets ignored', async () => {
    const n = await node([
      { name: 'pods-small', cidr: '10.80.1.0/26', az: 'us-west-2a', tags: { [CNI]: '1' } },
      { name: 'pods-big', cidr: '10.80.2.0/25', az: 'us-west-2a', tags: { [CNI]: '1' } },
      { name: 'plain', cidr: '10.80.4.0/22', az: 'us-west-2a' },
      { name: 'pods-b', cidr: '10.80.8.0/22', az: 'us-west-2b', tags: { [CNI]: '1' } },
    ]);
    try {
      // A second VPC with a bigger tagged subnet in the same zone (EC2 filters it by vpc-id).
      const other = n.sim.state.addVpc(['10.81.0.0/16']);
      n.sim.state.addSubnet(other.id, '10.81.0.0/20', 'us-west-2a', { [CNI]: '1' });
      const t = await n.placement.next();
      assert.equal(t.subnetId, n.id('pods-big'));
      assert.equal(t.subnetCidr, '10.80.2.0/25');
      assert.equal(t.source, 'subnet-discovery');
      assert.deepEqual(t.groupIds, n.primaryEni.securityGroupIds, "security groups stay the primary ENI's");
      const made = await n.enis.create(3);
      assert.equal(made.eni.subnetId, n.id('pods-big'));
      assert.equal(made.subnetCidr, '10.80.2.0/25');
      assert.deepEqual(made.eni.groupIds, n.primaryEni.securityGroupIds);
      // AvailableIpAddressCount goes down as EC2 assigns: below pods-small's 59 the choice moves.
      n.sim.state.subnet(n.id('pods-big')).pool.allocateAddresses(119 - 58); // 58 free left
      assert.equal((await n.placement.next()).subnetId, n.id('pods-small'));
      assert.deepEqual(n.memory.calls.get('DescribeSubnets'), 3);
    } finally {
      await n.stop();
    }
  });

  test('no tagged subnet: the primary subnet; subnets tagged =0 or for another cluster are not used', async () => {
    const n = await node(
      [
        { name: 'plain', cidr: '10.80.4.0/22', az: 'us-west-2a' },
        { name: 'excluded', cidr: '10.80.8.0/22', az: 'us-west-2a', tags: { [CNI]: '0' } },
        { name: 'green', cidr: '10.80.12.0/22', az: 'us-west-2a', tags: { [CNI]: '1', [GREEN]: '1' } },
      ],
      { CLUSTER_NAME: 'blue' },
    );
    try {
      const made = await n.enis.create(3);
      assert.equal(made.eni.subnetId, n.primaryEni.subnetId);
      assert.equal(made.subnetCidr, '10.80.0.0/26');
      assert.equal(n.placement.current({ subnetId: n.id('excluded') }), false, 'ENIs found in a =0 subnet are not current');
      assert.equal(n.placement.current({ subnetId: n.id('green') }), false);
      assert.equal(n.placement.current({ subnetId: n.id('plain') }), true, 'untagged is not excluded');
      assert.equal(n.placement.podsOnPrimaryEni, true);
    } finally {
      await n.stop();
    }
  });

  test('a subnet with no free address is not tried; all full: IPAMD_EC2_SUBNET_FULL before any CreateNetworkInterface', async () => {
    const n = await node([
      { name: 'pods-big', cidr: '10.80.2.0/25', az: 'us-west-2a', tags: { [CNI]: '1' } },
      { name: 'pods-small', cidr: '10.80.1.0/26', az: 'us-west-2a', tags: { [CNI]: '1' } },
    ]);
    try {
      n.fill('pods-big');
      assert.equal((await n.enis.create(3)).eni.subnetId, n.id('pods-small'));
      n.fill('pods-small');
      n.sim.state.subnet(n.primaryEni.subnetId).pool.allocateAddresses(n.sim.state.subnet(n.primaryEni.subnetId).pool.availableCount);
      const creates = n.memory.calls.get('CreateNetworkInterface');
      await assert.rejects(n.enis.create(3), (e: unknown) => isIpamdError(e, 'IPAMD_EC2_SUBNET_FULL') && /no free address/.test(e.message));
      assert.equal(n.memory.calls.get('CreateNetworkInterface'), creates);
    } finally {
      await n.stop();
    }
  });

  test('a subnet that refuses the ENI (InsufficientFreeAddressesInSubnet: taken since it was described) is passed over for the next best', async () => {
    const n = await node([
      { name: 'pods-big', cidr: '10.80.2.0/25', az: 'us-west-2a', tags: { [CNI]: '1' } },
      { name: 'pods-small', cidr: '10.80.1.0/26', az: 'us-west-2a', tags: { [CNI]: '1' } },
    ]);
    try {
      // Another node takes pods-big's addresses between our DescribeSubnets and our create.
      n.memory.afterDescribe = () => {
        n.memory.afterDescribe = undefined;
        n.fill('pods-big');
      };
      const made = await n.enis.create(3);
      assert.equal(made.eni.subnetId, n.id('pods-small'));
      assert.equal(made.subnetCidr, '10.80.1.0/26');
      assert.equal(n.memory.calls.get('CreateNetworkInterface'), 2, 'one refused in pods-big, one made in pods-small');
    } finally {
      await n.stop();
    }
  });

  test('prefix mode: the subnet with most free addresses but no whole /28 (InsufficientCidrBlocks) is passed over', async () => {
    const n = await node(
      [
        { name: 'fragmented', cidr: '10.80.2.0/24', az: 'us-west-2a', tags: { [CNI]: '1' } },
        { name: 'pods-small', cidr: '10.80.1.0/26', az: 'us-west-2a', tags: { [CNI]: '1' } },
      ],
      { ENABLE_PREFIX_DELEGATION: 'true' },
    );
    try {
      const pool = n.sim.state.subnet(n.id('fragmented')).pool;
      for (let block = 1; block < 15; block++) pool.claimAddress(pool.cidr.base + block * 16 + 5);
      const made = await n.enis.create(1);
      assert.equal(made.eni.subnetId, n.id('pods-small'));
      assert.deepEqual(made.eni.prefixes.length, 1);
    } finally {
      await n.stop();
    }
  });

  test('the primary subnet tagged =0: ENIs go to tagged subnets only, and the primary ENI holds no pods', async () => {
    const n = await node([{ name: 'pods', cidr: '10.80.1.0/26', az: 'us-west-2a', tags: { [CNI]: '1' } }]);
    try {
      n.sim.state.tagsOf(n.primaryEni.subnetId).set(CNI, '0');
      assert.equal((await n.enis.create(3)).eni.subnetId, n.id('pods'));
      assert.equal(n.placement.podsOnPrimaryEni, false);
      n.fill('pods');
      await assert.rejects(n.placement.next(), (e: unknown) => isIpamdError(e, 'IPAMD_EC2_SUBNET_FULL'));
      n.sim.state.tagsOf(n.id('pods')).set(CNI, '0');
      await assert.rejects(n.placement.next(), (e: unknown) => isIpamdError(e, 'IPAMD_PLACEMENT_UNAVAILABLE') && /=0/.test(e.message));
    } finally {
      await n.stop();
    }
  });

  test('DescribeSubnets refused: the primary subnet, as upstream documents; unless it was seen tagged =0', async () => {
    const n = await node([{ name: 'pods', cidr: '10.80.1.0/26', az: 'us-west-2a', tags: { [CNI]: '1' } }]);
    try {
      n.memory.refuse = true;
      assert.equal((await n.enis.create(3)).eni.subnetId, n.primaryEni.subnetId);
      n.memory.refuse = false;
      n.sim.state.tagsOf(n.primaryEni.subnetId).set(CNI, '0');
      await n.placement.refresh();
      n.memory.refuse = true;
      await assert.rejects(n.placement.next(), (e: unknown) => isIpamdError(e, 'IPAMD_PLACEMENT_UNAVAILABLE') && /UnauthorizedOperation/.test(e.message));
    } finally {
      await n.stop();
    }
  });
});
