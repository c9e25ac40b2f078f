import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  type CreateNetworkInterfaceCommandInput,
  CreateTagsCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DetachNetworkInterfaceCommand,
  EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CLUSTER_TAG, irsaTrustPolicy, scopedCniPolicy } from '../../iam/policies.ts';
import type { PolicyDocument as SimPolicy } from '../../sim/iam/evaluate.ts';
import { ACTIONS } from '../../sim/ec2/actions/index.ts';
import { QueryParams } from '../../sim/ec2/query-params.ts';
import { ec2AuthorizationRequests } from '../../sim/iam/ec2-authz.ts';
import { loadTopology, validateTopology } from '../../sim/topology.ts';
import { startTestVpc, type TestVpc } from '../helpers/emulator.ts';

const CLUSTER = 'blue';
const ROLE = 'arn:aws:iam::111122223333:role/vpcwire-node';

/** A real SDK client signed with a session of `role`, obtained the IRSA way from the emulator's STS. */
async function roleClient(v: TestVpc, role = ROLE, session = 'ipamd-test'): Promise<EC2Client> {
  const token = v.sim.oidc.issueServiceAccountToken({ namespace: 'kube-system', serviceAccount: 'vpcwire' });
  const sts = new STSClient({ endpoint: v.sim.endpoints.sts, region: v.sim.region });
  const out = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: role, RoleSessionName: session, WebIdentityToken: token }));
  sts.destroy();
  const c = out.Credentials!;
  return new EC2Client({
    endpoint: v.sim.endpoints.ec2,
    region: v.sim.region,
    credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! },
    maxAttempts: 1,
  });
}

/** The refusal, or undefined when the call succeeded. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; status: number; message: string } | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { code: err.name, status: err.$metadata?.httpStatusCode ?? 0, message: err.message };
  }
}

const unauthorized = (action: string, resource: RegExp) => (r: Awaited<ReturnType<typeof refusal>>) => {
  assert.ok(r, `ec2:${action} was allowed`);
  assert.equal(r.code, 'UnauthorizedOperation', r.message);
  assert.equal(r.status, 403);
  assert.match(
    r.message,
    new RegExp(
      `^You are not authorized to perform this operation\\. User: arn:aws:sts::111122223333:assumed-role/vpcwire-node/ipamd-test is not authorized to perform: ec2:${action} on resource: ${resource.source}$`,
    ),
  );
};

describe('the EC2 endpoint enforces a role\'s identity policies (scoped CNI policy)', () => {
  let v: TestVpc;
  let ec2: EC2Client;
  let subnetId: string;
  let sgId: string;
  let instanceId: string;
  const tagged = (cluster = CLUSTER): CreateNetworkInterfaceCommandInput['TagSpecifications'] => [
    { ResourceType: 'network-interface', Tags: [{ Key: CLUSTER_TAG, Value: cluster }, { Key: 'node.k8s.amazonaws.com/instance_id', Value: instanceId }] },
  ];

  before(async () => {
    v = await startTestVpc({ throttling: false });
    v.sim.iam.setPolicies(ROLE, [
      scopedCniPolicy({ partition: 'aws', accountId: v.sim.accountId, region: v.sim.region, clusterName: CLUSTER, vpcId: v.sim.vpc.id }),
    ]);
    ec2 = await roleClient(v);
    subnetId = v.sim.subnet('nodes-a').id;
    sgId = v.sim.securityGroup('eks-cluster-sg').id;
    instanceId = v.sim.instance('node-1').id;
  });
  after(async () => {
    ec2.destroy();
    await v.stop();
  });

  test('every Describe ipamd uses is allowed', async () => {
    await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5.large'] }));
    await ec2.send(new DescribeSubnetsCommand({}));
    await ec2.send(new DescribeSecurityGroupsCommand({}));
    await ec2.send(new DescribeNetworkInterfacesCommand({}));
    await ec2.send(new DescribeTagsCommand({}));
  });

  test('the ENI lifecycle ipamd runs is allowed for a cluster-tagged ENI in the cluster VPC', async () => {
    const { NetworkInterface: eni } = await ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Groups: [sgId], SecondaryPrivateIpAddressCount: 2, TagSpecifications: tagged() }),
    );
    const eniId = eni!.NetworkInterfaceId!;
    const { AttachmentId } = await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eniId, InstanceId: instanceId, DeviceIndex: 1 }));
    await ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Attachment: { AttachmentId, DeleteOnTermination: true } }),
    );
    const assigned = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, SecondaryPrivateIpAddressCount: 1 }));
    await ec2.send(
      new UnassignPrivateIpAddressesCommand({
        NetworkInterfaceId: eniId,
        PrivateIpAddresses: [assigned.AssignedPrivateIpAddresses![0]!.PrivateIpAddress!],
      }),
    );
    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId }));
    for (let i = 0; v.sim.state.eni(eniId).status !== 'available'; i++) {
      assert.ok(i < 200, 'ENI did not detach');
      await new Promise((r) => setTimeout(r, 10));
    }
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }));
    assert.equal(v.sim.state.enis.has(eniId), false);
  });

  test('CreateNetworkInterface without the cluster tag, or with another cluster\'s, is refused on the new ENI', async () => {
    unauthorized('CreateNetworkInterface', /arn:aws:ec2:us-west-2:111122223333:network-interface\/\*/)(
      await refusal(ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Groups: [sgId] }))),
    );
    unauthorized('CreateNetworkInterface', /arn:aws:ec2:us-west-2:111122223333:network-interface\/\*/)(
      await refusal(ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Groups: [sgId], TagSpecifications: tagged('green') }))),
    );
  });

  test('CreateNetworkInterface outside the cluster\'s VPC is refused on the subnet, and on a security group', async () => {
    const other = v.sim.state.addVpc(['10.99.0.0/16']);
    const otherSubnet = v.sim.state.addSubnet(other.id, '10.99.0.0/24', 'us-west-2a');
    const otherSg = v.sim.state.addSecurityGroup(other.id, 'other');
    const before = v.sim.state.enis.size;
    unauthorized('CreateNetworkInterface', new RegExp(`arn:aws:ec2:us-west-2:111122223333:subnet/${otherSubnet.id}`))(
      await refusal(ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: otherSubnet.id, TagSpecifications: tagged() }))),
    );
    unauthorized('CreateNetworkInterface', new RegExp(`arn:aws:ec2:us-west-2:111122223333:security-group/${otherSg.id}`))(
      await refusal(ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Groups: [otherSg.id], TagSpecifications: tagged() }))),
    );
    assert.equal(v.sim.state.enis.size, before, 'nothing was created');
  });

  test('CreateTags outside CreateNetworkInterface is refused, even on the cluster\'s own ENIs', async () => {
    const { NetworkInterface: eni } = await ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Groups: [sgId], TagSpecifications: tagged() }),
    );
    unauthorized('CreateTags', new RegExp(`arn:aws:ec2:us-west-2:111122223333:network-interface/${eni!.NetworkInterfaceId}`))(
      await refusal(ec2.send(new CreateTagsCommand({ Resources: [eni!.NetworkInterfaceId!], Tags: [{ Key: 'x', Value: 'y' }] }))),
    );
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni!.NetworkInterfaceId! }));
  });

  test('ENIs not tagged for the cluster cannot be mutated, attached, deleted, or tagged into the cluster', async () => {
    const { NetworkInterface: foreign } = await v.ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Groups: [sgId], SecondaryPrivateIpAddressCount: 1 }),
    );
    const id = foreign!.NetworkInterfaceId!;
    const eniArn = new RegExp(`arn:aws:ec2:us-west-2:111122223333:network-interface/${id}`);
    unauthorized('DeleteNetworkInterface', eniArn)(await refusal(ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id }))));
    unauthorized('AssignPrivateIpAddresses', eniArn)(
      await refusal(ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1 }))),
    );
    unauthorized('UnassignPrivateIpAddresses', eniArn)(
      await refusal(ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: id, PrivateIpAddresses: [foreign!.PrivateIpAddresses![1]!.PrivateIpAddress!] }))),
    );
    unauthorized('AttachNetworkInterface', eniArn)(
      await refusal(ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: id, InstanceId: instanceId, DeviceIndex: 2 }))),
    );
    unauthorized('ModifyNetworkInterfaceAttribute', eniArn)(
      await refusal(ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Description: { Value: 'x' } }))),
    );
    unauthorized('CreateTags', eniArn)(
      await refusal(ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: CLUSTER_TAG, Value: CLUSTER }] }))),
    );
    assert.equal(v.sim.state.tags.get(id)?.get(CLUSTER_TAG), undefined);
    assert.equal(v.sim.state.enis.has(id), true);
    await v.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id }));
  });

  test('DryRun answers DryRunOperation when allowed and UnauthorizedOperation when not', async () => {
    const allowed = await refusal(
      ec2.send(new CreateNetworkInterfaceCommand({ DryRun: true, SubnetId: subnetId, Groups: [sgId], TagSpecifications: tagged() })),
    );
    assert.equal(allowed?.code, 'DryRunOperation');
    unauthorized('CreateNetworkInterface', /arn:aws:ec2:us-west-2:111122223333:network-interface\/\*/)(
      await refusal(ec2.send(new CreateNetworkInterfaceCommand({ DryRun: true, SubnetId: subnetId, Groups: [sgId] }))),
    );
  });

  test('the refusal is in the request log with the caller; the static credentials stay unrestricted', async () => {
    const entries = v.sim.log.entries({ action: 'DeleteNetworkInterface' }).filter((e) => e.errorCode === 'UnauthorizedOperation');
    assert.ok(entries.length >= 1);
    assert.match(entries[0]!.caller ?? '', /^ASIA/);
    const { NetworkInterface: eni } = await v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
    await v.ec2.send(new CreateTagsCommand({ Resources: [eni!.NetworkInterfaceId!], Tags: [{ Key: 'k', Value: 'v' }] }));
    await v.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni!.NetworkInterfaceId! }));
  });

  test('lifting the role\'s policies makes it unrestricted again; an empty list denies everything', async () => {
    v.sim.iam.setPolicies(ROLE, []);
    unauthorized('DescribeInstances', /\*/)(await refusal(ec2.send(new DescribeInstancesCommand({}))));
    v.sim.iam.setPolicies(ROLE, undefined);
    await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
  });
});

describe('resource mapping', () => {
  test('every emulated action but Describe* is authorised on resource ARNs, with the keys the scoped policy uses', async () => {
    const v = await startTestVpc({ throttling: false });
    try {
      const inst = v.sim.instance('node-1');
      const primary = v.sim.state.eni(inst.primaryEniId);
      const q = new QueryParams(
        new URLSearchParams({
          SubnetId: inst.subnetId,
          'SecurityGroupId.1': primary.groupIds[0]!,
          NetworkInterfaceId: primary.id,
          InstanceId: inst.id,
          AttachmentId: primary.attachment!.id,
          'ResourceId.1': primary.id,
          'Tag.1.Key': 'k',
          'TagSpecification.1.ResourceType': 'network-interface',
          'TagSpecification.1.Tag.1.Key': CLUSTER_TAG,
          'TagSpecification.1.Tag.1.Value': CLUSTER,
        }),
      );
      const scope = { partition: 'aws', region: v.sim.region, accountId: v.sim.accountId };
      const vpcArn = `arn:aws:ec2:${v.sim.region}:${v.sim.accountId}:vpc/${v.sim.vpc.id}`;
      for (const action of ACTIONS.keys()) {
        const reqs = ec2AuthorizationRequests(v.sim.state, scope, action, q);
        if (action.startsWith('Describe')) {
          assert.deepEqual(reqs.map((r) => r.resource), ['*'], action);
          continue;
        }
        assert.ok(reqs.length > 0, action);
        for (const r of reqs) {
          assert.match(r.resource, /^arn:aws:ec2:us-west-2:111122223333:(network-interface|subnet|security-group|instance)\//, `${action} has no mapping`);
          if (/network-interface|subnet|security-group/.test(r.resource) && action !== 'CreateTags' && action !== 'DeleteTags') {
            assert.equal(r.context['ec2:Vpc'], vpcArn, `${action} on ${r.resource} lacks ec2:Vpc`);
          }
        }
      }
      const create = ec2AuthorizationRequests(v.sim.state, scope, 'CreateNetworkInterface', q);
      assert.deepEqual(
        create.map((r) => `${r.action} ${r.resource.split(':').pop()}`),
        [
          'ec2:CreateNetworkInterface network-interface/*',
          `ec2:CreateNetworkInterface subnet/${inst.subnetId}`,
          `ec2:CreateNetworkInterface security-group/${primary.groupIds[0]}`,
          'ec2:CreateTags network-interface/*',
        ],
      );
      assert.equal(create[3]!.context['ec2:CreateAction'], 'CreateNetworkInterface');
      assert.equal(create[0]!.context[`aws:RequestTag/${CLUSTER_TAG}`], CLUSTER);
      assert.deepEqual(create[0]!.context['aws:TagKeys'], [CLUSTER_TAG]);
    } finally {
      await v.stop();
    }
  });
});

describe('policies from the topology and for the static credentials', () => {
  test('a topology role\'s `policies` are enforced on its sessions; static keys with `policies` are restricted', async () => {
    const topology = loadTopology();
    topology.roles = [
      { ...topology.roles![0]!, policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeSubnets', Resource: '*' }] }] },
    ];
    const v = await startTestVpc({
      topology,
      throttling: false,
      credentials: {
        accessKeyId: 'AKIAEXAMPLEREADONLY1',
        secretAccessKey: 'secret-secret-secret-secret-secret-secre',
        policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' }] }],
      },
    });
    try {
      const role = await roleClient(v);
      await role.send(new DescribeSubnetsCommand({}));
      unauthorized('DescribeInstances', /\*/)(await refusal(role.send(new DescribeInstancesCommand({}))));
      role.destroy();
      await v.ec2.send(new DescribeInstancesCommand({}));
      const r = await refusal(v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: v.sim.subnet('nodes-a').id })));
      assert.equal(r?.code, 'UnauthorizedOperation');
      assert.match(r!.message, /User: arn:aws:iam::111122223333:user\/vpcwire-admin is not authorized to perform: ec2:CreateNetworkInterface/);
    } finally {
      await v.stop();
    }
  });

  test('an instance\'s primaryEniTags are on its primary ENI (a launch template\'s network-interface tags)', async () => {
    const topology = loadTopology();
    topology.instances = [{ ...topology.instances![0]!, primaryEniTags: { [CLUSTER_TAG]: CLUSTER } }];
    const v = await startTestVpc({ topology });
    try {
      const primary = v.sim.instance('node-1').primaryEniId;
      const out = await v.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [primary] }));
      assert.deepEqual(out.NetworkInterfaces![0]!.TagSet, [{ Key: CLUSTER_TAG, Value: CLUSTER }]);
    } finally {
      await v.stop();
    }
    assert.throws(
      () => validateTopology({ ...topology, instances: [{ ...topology.instances![0]!, primaryEniTags: { a: 1 } }] }),
      /instances\[0\]\.primaryEniTags must be an object of string values/,
    );
  });

  test('the admin endpoint sets, lists and lifts a principal\'s policies', async () => {
    const v = await startTestVpc({ throttling: false });
    const post = (body: unknown) =>
      fetch(`${v.sim.endpoints.admin}/iam/policies`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: string } }));
    try {
      const readOnly = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' }] };
      assert.equal((await post({ principalArn: v.sim.adminArn, policies: [readOnly] })).status, 200);
      assert.deepEqual(await (await fetch(`${v.sim.endpoints.admin}/iam/policies`)).json(), { [v.sim.adminArn]: [readOnly] });
      await v.ec2.send(new DescribeSubnetsCommand({}));
      const r = await refusal(v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: v.sim.subnet('nodes-a').id })));
      assert.equal(r?.code, 'UnauthorizedOperation');
      const bad = await post({ principalArn: v.sim.adminArn, policies: [{ Statement: [{ Effect: 'Allow', Action: '*' }] }] });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error ?? '', /Resource/);
      assert.equal((await post({ principalArn: v.sim.adminArn, policies: null })).status, 200);
      await v.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: v.sim.subnet('nodes-a').id }));
    } finally {
      await v.stop();
    }
  });

  test('a topology role\'s trustPolicy (iam/\'s IRSA trust policy) decides who may assume it', async () => {
    const issuer = 'https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
    const topology = loadTopology();
    topology.roles = [
      {
        arn: ROLE,
        trustPolicy: irsaTrustPolicy({ partition: 'aws', accountId: '111122223333', oidcIssuer: issuer, serviceAccount: 'vpcwire' }) as unknown as SimPolicy,
      },
    ];
    const v = await startTestVpc({ topology, oidcIssuer: issuer });
    const sts = new STSClient({ endpoint: v.sim.endpoints.sts, region: v.sim.region });
    const assume = (serviceAccount: string) =>
      refusal(
        sts.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: ROLE,
            RoleSessionName: 's1',
            WebIdentityToken: v.sim.oidc.issueServiceAccountToken({ namespace: 'kube-system', serviceAccount }),
          }),
        ),
      );
    try {
      assert.equal(await assume('vpcwire'), undefined);
      assert.equal((await assume('aws-node'))?.code, 'AccessDenied');
    } finally {
      sts.destroy();
      await v.stop();
    }
    // A trust policy is for Principals; an identity policy's shape is refused there, and vice versa.
    assert.throws(
      () => validateTopology({ ...topology, roles: [{ arn: ROLE, trustPolicy: { Statement: [{ Effect: 'Allow', Action: 'sts:*', Resource: '*' }] } }] }),
      /roles\[0\]\.trustPolicy .*needs a Principal/,
    );
    assert.throws(() => validateTopology({ ...topology, roles: [{ arn: ROLE }] }), /roles\[0\]\.trustedSubjects/);
  });

  test('a topology role with malformed policies is refused at load, naming the field', () => {
    const topology = loadTopology();
    topology.roles = [{ ...topology.roles![0]!, policies: [{ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { NumericEquals: { a: '1' } } }] }] }];
    assert.throws(() => validateTopology(topology), /roles\[0\]\.policies\[0\].*NumericEquals/);
  });
});
