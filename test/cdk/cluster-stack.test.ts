/**
 * The CDK test cluster (issue 12 item 7), synthesized offline in-process with the repository's
 * chart (charts/vpcwire): what the template says about the cluster, the pod subnets, the chart, the
 * roles and their iam/ documents, the nodes' maxPods and custom networking.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { App, Aws } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { TestClusterStack, type TestClusterStackProps } from '../../cdk/cluster-stack.ts';
import { DEFAULT_CHART_PATH, readConfig } from '../../cdk/config.ts';
import { CNI_SUBNET_TAG } from '../../cdk/network.ts';
import { maxPodsInUserData } from '../../cdk/node-config.ts';
import { toCdkDocument } from '../../cdk/policies.ts';
import { CLUSTER_TAG, irsaTrustPolicy, metricsPolicy, METRICS_NAMESPACE, SCOPED_SIDS, scopedCniPolicy } from '../../iam/policies.ts';
import { instanceCatalog } from '../../ipamd/instance-catalog.ts';
import { calculateMaxPods } from '../../ipamd/max-pods.ts';

/** The chart the app installs by default: the repository's own. */
const CHART = DEFAULT_CHART_PATH;
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vpcwire-cdk-test-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;
type Resource = { Type: string; Properties: Json; DependsOn?: string[] };

function synth(context: Json = {}, extra: Partial<TestClusterStackProps> = {}) {
  const app = new App({ outdir: join(dir, `out-${Math.random().toString(36).slice(2)}`) });
  const config = readConfig((k) => context[k]);
  const stack = new TestClusterStack(app, 'TestCluster', { config, ...extra });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  return { app, stack, template, resources, ofType };
}

/** The expected maxPods, straight from ipamd's calculator on the image's instance data. */
function expectedMaxPods(type: string, o: { customNetworking?: boolean } = {}): number {
  const t = instanceCatalog().get(type)!;
  const r = calculateMaxPods({ maxEnis: t.maxEnis, ipv4PerEni: t.ipv4PerEni, nitro: t.hypervisor === 'nitro' }, o);
  assert.ok(r.ok);
  return r.maxPods;
}

function userDataOf(s: ReturnType<typeof synth>): string {
  const [[, lt]] = s.ofType('AWS::EC2::LaunchTemplate') as [[string, Resource]];
  const data = (lt.Properties.LaunchTemplateData as Json).UserData as { 'Fn::Base64': string };
  assert.equal(typeof data['Fn::Base64'], 'string', 'the user data is a literal: maxPods is decided at synth time');
  return data['Fn::Base64'];
}

function helmValues(s: ReturnType<typeof synth>): Json {
  const [[, helm]] = s.ofType('Custom::AWSCDK-EKS-HelmChart') as [[string, Resource]];
  return JSON.parse(helm.Properties.Values as string) as Json;
}

/**
 * iam's irsaTrustPolicy for kube-system:<sa>, rendered for the stack's tokens: web identity from
 * the cluster's (native) OIDC provider, whose issuer is a token, so the condition, keyed by it, is a
 * CfnJson (compared with the issuer as a placeholder).
 */
function assertIrsaTrust(s: ReturnType<typeof synth>, role: Resource, sa: string) {
  const st = s.stack;
  const [statement, ...more] = (role.Properties.AssumeRolePolicyDocument as { Statement: Json[] }).Statement as [Json];
  assert.deepEqual(more, []);
  const issuer = st.cluster.openIdConnectProvider.openIdConnectProviderIssuer;
  const [rendered] = irsaTrustPolicy({ partition: st.partition, accountId: st.account, oidcIssuer: issuer, serviceAccount: sa }).Statement;
  // Only what has no token in a key resolves here; the condition is compared below.
  const expected = st.resolve({ Action: rendered!.Action, Principal: rendered!.Principal }) as Json;
  assert.equal(statement.Action, expected.Action);
  assert.equal(statement.Effect, 'Allow');
  assert.deepEqual(statement.Principal, expected.Principal, "iam's Federated principal: the provider's ARN");
  const [[providerId]] = s.ofType('AWS::IAM::OIDCProvider') as [[string, Resource]];
  assert.match(JSON.stringify(statement.Principal), new RegExp(providerId), 'built from the native OIDC provider (no custom resource)');
  const roleId = Object.entries(s.resources).find(([, r]) => r === role)![0];
  assert.ok((role as Resource & { DependsOn?: string[] }).DependsOn?.includes(providerId), `${roleId} is created after the provider`);
  const conditionId = ((statement.Condition as Json).StringEquals as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const value = s.resources[conditionId]!.Properties.Value as { 'Fn::Join': [string, unknown[]] };
  const condition = value['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : '<issuer>')).join('');
  const [placeholder] = irsaTrustPolicy({ partition: 'aws', accountId: '111122223333', oidcIssuer: '<issuer>', serviceAccount: sa }).Statement;
  assert.deepEqual(JSON.parse(condition), placeholder!.Condition!.StringEquals);
}

describe('default settings', () => {
  const s = () => defaults;
  let defaults: ReturnType<typeof synth>;
  before(() => {
    defaults = synth();
  });

  test('EKS installs no default CNI (nor kube-proxy, CoreDNS: they come as add-ons), at the chosen version', () => {
    s().template.hasResourceProperties('AWS::EKS::Cluster', { BootstrapSelfManagedAddons: false, Version: '1.35', Name: 'vpcwire-test' });
    const addons = s().ofType('AWS::EKS::Addon').map(([, r]) => r.Properties.AddonName);
    assert.deepEqual(addons.sort(), ['coredns', 'kube-proxy']);
    assert.equal(s().ofType('AWS::EKS::Nodegroup').length, 1, 'only our node group: no default capacity');
  });

  test('pod subnets from the secondary CIDR, one per AZ, tagged for subnet discovery; node subnets not', () => {
    s().template.hasResourceProperties('AWS::EC2::VPCCidrBlock', { CidrBlock: '100.64.0.0/16' });
    const subnets = s().ofType('AWS::EC2::Subnet');
    const tagged = subnets.filter(([, r]) => ((r.Properties.Tags ?? []) as { Key: string; Value: string }[]).some((t) => t.Key === CNI_SUBNET_TAG && t.Value === '1'));
    assert.equal(tagged.length, 2);
    for (const [, r] of tagged) {
      const [index, cidr] = (r.Properties.CidrBlock as { 'Fn::Select': [number, Json] })['Fn::Select'];
      assert.deepEqual(cidr, { 'Fn::Cidr': ['100.64.0.0/16', 4, '14'] });
      assert.ok(index === 0 || index === 1);
      assert.ok((r.DependsOn ?? []).some((d) => d.includes('PodCidr')), 'created after the CIDR is associated');
    }
    const azs = tagged.map(([, r]) => JSON.stringify(r.Properties.AvailabilityZone));
    assert.equal(new Set(azs).size, 2, 'one pod subnet per AZ');
    assert.equal(subnets.length, 6, '2 public, 2 node, 2 pod subnets');
  });

  test('the Helm chart resource installs the local chart asset with the expected values', () => {
    const [[, helm]] = s().ofType('Custom::AWSCDK-EKS-HelmChart') as [[string, Resource]];
    assert.equal(helm.Properties.Release, 'vpcwire');
    assert.equal(helm.Properties.Namespace, 'kube-system');
    const url = JSON.stringify(helm.Properties.ChartAssetURL);
    const hash = /([0-9a-f]{64})\.zip/.exec(url)?.[1];
    assert.ok(hash, `an S3 asset URL: ${url}`);
    // The asset is the chart directory given as chartPath, staged into the cloud assembly.
    const assembly = s().app.synth();
    const staged = join(assembly.directory, `asset.${hash}`);
    assert.equal(readFileSync(join(staged, 'Chart.yaml'), 'utf8'), readFileSync(join(CHART, 'Chart.yaml'), 'utf8'));
    assert.equal(readFileSync(join(staged, 'values.schema.json'), 'utf8'), readFileSync(join(CHART, 'values.schema.json'), 'utf8'));
    assert.deepEqual(helmValues(s()), {
      env: { CLUSTER_NAME: 'vpcwire-test', ENABLE_SUBNET_DISCOVERY: 'true', AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'false', ENABLE_PREFIX_DELEGATION: 'false' },
      serviceAccount: { create: false, name: 'vpcwire' },
      eniConfig: { create: false },
      // The publisher under the IRSA account the stack made (no Region: a token; EKS's webhook sets AWS_REGION).
      metricsHelper: { enabled: true, clusterId: 'vpcwire-test', cloudwatchNamespace: 'Kubernetes', serviceAccount: { create: false, name: 'vpcwire-metrics' } },
    });
  });

  test("vpcwire's service account role: IRSA trust for kube-system:vpcwire and exactly iam's scoped policy", () => {
    const st = s().stack;
    const roles = s().ofType('AWS::IAM::Role').filter(([id]) => id.includes('VpcwireServiceAccountRole'));
    assert.equal(roles.length, 1);
    const [[roleId, role]] = roles as [[string, Resource]];
    assertIrsaTrust(s(), role, 'vpcwire');

    // iam/policies.ts rendered for the stack's tokens, resolved as the template resolves them.
    const scope = { clusterName: 'vpcwire-test', partition: st.partition, region: st.region, accountId: st.account, vpcId: st.network.vpc.vpcId };
    const expected = st.resolve(scopedCniPolicy(scope).Statement);
    const policies = s().ofType('AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]));
    assert.equal(policies.length, 1);
    const doc = policies[0]![1].Properties.PolicyDocument as { Statement: Json[] };
    assert.deepEqual(doc.Statement, expected);
    // The scoping itself, spelled out.
    const bySid = new Map(doc.Statement.map((x) => [x.Sid, x]));
    assert.deepEqual(bySid.get(SCOPED_SIDS.createTagged)!.Condition, { StringEquals: { 'aws:RequestTag/cluster.k8s.amazonaws.com/name': 'vpcwire-test' } });
    assert.deepEqual(bySid.get(SCOPED_SIDS.mutateClusterEnis)!.Condition, { StringEquals: { 'aws:ResourceTag/cluster.k8s.amazonaws.com/name': 'vpcwire-test' } });
    assert.deepEqual(bySid.get(SCOPED_SIDS.tagOnCreate)!.Condition, { StringEquals: { 'ec2:CreateAction': 'CreateNetworkInterface' } });
    const [vpcId] = s().ofType('AWS::EC2::VPC')[0]!;
    assert.deepEqual(bySid.get(SCOPED_SIDS.createInVpc)!.Condition, {
      StringEquals: { 'ec2:Vpc': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':vpc/', { Ref: vpcId }]] } },
    }, "the stack's own VPC");
    assert.ok(doc.Statement.filter((x) => x.Resource === '*').every((x) => (x.Action as string[]).every((a) => a.startsWith('ec2:Describe'))), 'only Describe* on *');
  });

  test("the metrics publisher's role (kube-system/vpcwire-metrics, iam's name) may only PutMetricData, only to namespace Kubernetes", () => {
    const roles = s().ofType('AWS::IAM::Role').filter(([id]) => id.includes('MetricsPublisherServiceAccountRole'));
    assert.equal(roles.length, 1);
    assertIrsaTrust(s(), roles[0]![1], 'vpcwire-metrics');
    assert.equal(METRICS_NAMESPACE, 'Kubernetes');
    s().template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roles[0]![0] }],
      PolicyDocument: metricsPolicy({ namespace: 'Kubernetes' }),
    });
  });

  test("the launch template tags each node's network interfaces with exactly the tag key and value the scoped policy's MutateClusterEnis demands, and the chart's CLUSTER_NAME is that value", () => {
    const [[, policy]] = s().ofType('AWS::IAM::Policy').filter(([id]) => id.includes('VpcwireServiceAccountPolicy')) as [[string, Resource]];
    const mutate = ((policy.Properties.PolicyDocument as { Statement: Json[] }).Statement).find((x) => x.Sid === SCOPED_SIDS.mutateClusterEnis)!;
    const [[conditionKey, value]] = Object.entries((mutate.Condition as { StringEquals: Record<string, string> }).StringEquals) as [[string, string]];
    const tagKey = /^aws:ResourceTag\/(.+)$/.exec(conditionKey)?.[1];
    assert.equal(tagKey, CLUSTER_TAG);
    const [[, lt]] = s().ofType('AWS::EC2::LaunchTemplate') as [[string, Resource]];
    const specs = (lt.Properties.LaunchTemplateData as { TagSpecifications: { ResourceType: string; Tags: { Key: string; Value: string }[] }[] }).TagSpecifications;
    assert.deepEqual(specs, [{ ResourceType: 'network-interface', Tags: [{ Key: tagKey, Value: value }] }]);
    assert.equal((helmValues(s()).env as Json).CLUSTER_NAME, value, 'ipamd tags the ENIs it creates with CLUSTER_NAME: the same value');
  });

  test('the node role has no AmazonEKS_CNI_Policy: vpcwire gets EC2 only through its scoped role', () => {
    const [[, ng]] = s().ofType('AWS::EKS::Nodegroup') as [[string, Resource]];
    const nodeRoleId = (ng.Properties.NodeRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const managed = JSON.stringify(s().resources[nodeRoleId]!.Properties.ManagedPolicyArns);
    assert.match(managed, /AmazonEKSWorkerNodePolicy/);
    assert.doesNotMatch(managed, /AmazonEKS_CNI_Policy/);
  });

  test("the launch template's AL2023 NodeConfig carries the calculator's maxPods for t3.medium", () => {
    const ud = userDataOf(s());
    assert.match(ud, /Content-Type: application\/node\.eks\.aws/);
    assert.match(ud, /kind: NodeConfig/);
    assert.equal(maxPodsInUserData(ud), expectedMaxPods('t3.medium'));
    assert.equal(maxPodsInUserData(ud), 17); // 3 ENIs x (6 - 1) + 2, as `vpcwire max-pods --instance-type t3.medium`
    s().template.hasResourceProperties('AWS::EKS::Nodegroup', {
      AmiType: 'AL2023_x86_64_STANDARD',
      InstanceTypes: ['t3.medium'],
      LaunchTemplate: { Id: { Ref: Match.stringLikeRegexp('NodeLaunchTemplate') } },
    });
  });

  test('the node group waits for the chart and kube-proxy; CoreDNS waits for the nodes', () => {
    const [[ngId, ng]] = s().ofType('AWS::EKS::Nodegroup') as [[string, Resource]];
    const deps = ng.DependsOn ?? [];
    const [[helmId]] = s().ofType('Custom::AWSCDK-EKS-HelmChart') as [[string, Resource]];
    const [[kubeProxyId]] = s().ofType('AWS::EKS::Addon').filter(([, r]) => r.Properties.AddonName === 'kube-proxy') as [[string, Resource]];
    assert.ok(deps.includes(helmId), `node group DependsOn ${deps.join(', ')}`);
    assert.ok(deps.includes(kubeProxyId));
    const [[, coredns]] = s().ofType('AWS::EKS::Addon').filter(([, r]) => r.Properties.AddonName === 'coredns') as [[string, Resource]];
    assert.ok((coredns.DependsOn ?? []).includes(ngId));
  });

  test('custom networking off: no ENIConfig', () => {
    const manifests = s().ofType('Custom::AWSCDK-EKS-KubernetesResource').map(([, r]) => JSON.stringify(r.Properties.Manifest));
    assert.ok(!manifests.some((m) => m.includes('ENIConfig')));
  });
});

describe('custom networking on, m5.large', () => {
  let s: ReturnType<typeof synth>;
  before(() => {
    s = synth({ customNetworking: 'true', instanceTypes: 'm5.large', clusterName: 'cn-test' });
  });

  test('renders one ENIConfig per AZ, named after the AZ, pointing at that AZ pod subnet, after the chart', () => {
    const [[helmId]] = s.ofType('Custom::AWSCDK-EKS-HelmChart') as [[string, Resource]];
    const podSubnets = s.ofType('AWS::EC2::Subnet').filter(([id]) => id.includes('PodSubnet'));
    const eniConfigs = s.ofType('Custom::AWSCDK-EKS-KubernetesResource').filter(([, r]) => JSON.stringify(r.Properties.Manifest).includes('"kind\\":\\"ENIConfig'));
    assert.equal(eniConfigs.length, 2);
    for (const [i, [, r]] of eniConfigs.entries()) {
      const [podSubnetId, podSubnet] = podSubnets[i]!;
      // The manifest is a Fn::Join of JSON text around tokens: rebuild it with the tokens as placeholders.
      const parts = ((r.Properties.Manifest as Json)['Fn::Join'] as [string, unknown[]])[1];
      const tokens: unknown[] = [];
      const text = parts.map((p) => (typeof p === 'string' ? p : `@${tokens.push(p) - 1}@`)).join('');
      const token = (text: string) => tokens[Number(/^@(\d+)@$/.exec(text)![1])];
      const [obj] = JSON.parse(text) as [{ apiVersion: string; kind: string; metadata: { name: string }; spec: { subnet: string; securityGroups: string[] } }];
      assert.equal(obj.apiVersion, 'crd.k8s.amazonaws.com/v1alpha1');
      assert.deepEqual(token(obj.metadata.name), podSubnet.Properties.AvailabilityZone);
      assert.deepEqual(token(obj.spec.subnet), { Ref: podSubnetId });
      assert.equal(obj.spec.securityGroups.length, 1);
      assert.ok((r.DependsOn ?? []).includes(helmId), 'the chart brings the ENIConfig CRD');
    }
  });

  test('the chart is told to read them, by zone', () => {
    const env = helmValues(s).env as Json;
    assert.equal(env.AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG, 'true');
    assert.equal(env.ENI_CONFIG_LABEL_DEF, 'topology.kubernetes.io/zone');
    assert.equal(env.CLUSTER_NAME, 'cn-test');
  });

  test('maxPods without the primary ENI, as the calculator gives it', () => {
    assert.equal(maxPodsInUserData(userDataOf(s)), expectedMaxPods('m5.large', { customNetworking: true }));
    assert.equal(maxPodsInUserData(userDataOf(s)), 20); // 2 x 9 + 2
  });
});

test('several instance types share one launch template: the smallest maxPods', () => {
  const s = synth({ instanceTypes: '["m5.large","t3.medium"]' });
  assert.equal(maxPodsInUserData(userDataOf(s)), Math.min(expectedMaxPods('m5.large'), expectedMaxPods('t3.medium')));
});

test('a type whose answer depends on its vCPUs needs them in context', () => {
  assert.throws(() => synth({ instanceTypes: 'm5.8xlarge' }), /vcpus/);
  const s = synth({ instanceTypes: 'm5.8xlarge', vcpus: '{"m5.8xlarge":32}' });
  assert.equal(maxPodsInUserData(userDataOf(s)), 234);
});

test('bad context values are rejected naming the key', () => {
  assert.throws(() => synth({ kubernetesVersion: '1.30' }), /context 'kubernetesVersion'.*kubectl/);
  assert.throws(() => synth({ kubernetesVersion: 'latest' }), /context 'kubernetesVersion'/);
  assert.throws(() => synth({ instanceTypes: 'x9.huge' }), /'x9.huge' is not in data\/ec2-instance-network-limits.json/);
  assert.throws(() => synth({ customNetworking: 'yes' }), /context 'customNetworking'/);
  assert.throws(() => synth({ clusterName: '-bad' }), /context 'clusterName'/);
  synth({ kubernetesVersion: '1.36' }).template.hasResourceProperties('AWS::EKS::Cluster', { Version: '1.36' });
});

test("the adapter passes tokens in a document's values and refuses one in a condition key (that would need a CfnJson)", () => {
  const withValue = toCdkDocument({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeSubnets', Resource: `arn:${Aws.PARTITION}:ec2:*:*:subnet/*` }] });
  assert.equal(withValue.statementCount, 1);
  assert.throws(
    () => toCdkDocument({ Version: '2012-10-17', Statement: [{ Sid: 'X', Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { [`${Aws.REGION}:sub`]: 'x' } } }] }),
    /statement X: condition StringEquals has a token for a key/,
  );
});

test('the chart path is a parameter: a directory without Chart.yaml is refused naming chartPath', () => {
  assert.throws(() => synth({ chartPath: join(dir, 'nowhere') }), /no Helm chart at .*nowhere.*-c chartPath=DIR/);
});

test('chartValues are merged over the computed values; adminPrincipalArn gets a cluster-admin access entry', () => {
  const s = synth({ chartValues: '{"image":{"repository":"123456789012.dkr.ecr.eu-west-1.amazonaws.com/vpcwire","tag":"0.1.0"}}', adminPrincipalArn: 'arn:aws:iam::123456789012:role/Admin' });
  const values = helmValues(s);
  assert.deepEqual(values.image, { repository: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/vpcwire', tag: '0.1.0' });
  assert.equal((values.env as Json).CLUSTER_NAME, 'vpcwire-test');
  const entries = s.ofType('AWS::EKS::AccessEntry').filter(([, r]) => r.Properties.PrincipalArn === 'arn:aws:iam::123456789012:role/Admin');
  assert.equal(entries.length, 1);
  const [policy] = entries[0]![1].Properties.AccessPolicies as [Json];
  assert.deepEqual(policy.AccessScope, { Type: 'cluster' });
  assert.match(JSON.stringify(policy.PolicyArn), /:eks::aws:cluster-access-policy\/AmazonEKSClusterAdminPolicy/);
  assert.throws(() => synth({ adminPrincipalArn: 'me' }), /context 'adminPrincipalArn'/);
});

test('prefix delegation: the chart is told, and maxPods counts /28 prefixes under the vCPU ceiling', () => {
  // t3.medium: 3 x 5 x 16 + 2 = 242 with prefixes, so the 110/250 ceiling decides, by vCPUs (2).
  assert.throws(() => synth({ prefixDelegation: 'true' }), /t3\.medium.*vcpus/);
  const s = synth({ prefixDelegation: 'true', vcpus: '{"t3.medium":2}' });
  assert.equal((helmValues(s).env as Json).ENABLE_PREFIX_DELEGATION, 'true');
  const t = instanceCatalog().get('t3.medium')!;
  const r = calculateMaxPods({ maxEnis: t.maxEnis, ipv4PerEni: t.ipv4PerEni, nitro: true }, { prefixDelegation: true, vcpus: 2 });
  assert.ok(r.ok);
  assert.equal(maxPodsInUserData(userDataOf(s)), r.maxPods);
  assert.equal(r.maxPods, 110);
});
