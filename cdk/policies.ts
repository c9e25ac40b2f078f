/**
 * The IAM policy documents the test cluster attaches to vpcwire's roles, as plain JSON. The app takes
 * them through `PolicySource`, so the project's own documents (iam/, issue 12) plug in by passing
 * another source; `localPolicySource` below is the app's fallback, scoped as DESIGN.md §10 describes.
 */

/** One IAM policy statement in the JSON form IAM reads (what iam.PolicyStatement.fromJson takes). */
export interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocumentJson {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatementJson[];
}

/** What the documents are scoped to. Values may be CloudFormation tokens (the stack resolves them). */
export interface PolicyScope {
  readonly clusterName: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly vpcId: string;
}

/** Where the app gets its documents: ipamd's EC2 policy and the metrics publisher's. */
export interface PolicySource {
  ipamd(scope: PolicyScope): PolicyDocumentJson;
  metricsPublisher(scope: PolicyScope): PolicyDocumentJson;
}

/** The tag ipamd puts on every ENI it creates when CLUSTER_NAME is set (ipamd/eni-manager.ts TAG_CLUSTER_NAME). */
export const CLUSTER_TAG = 'cluster.k8s.amazonaws.com/name';

/** The CloudWatch namespace the metrics publisher writes to, and the only one its role may. */
export const METRICS_NAMESPACE = 'vpcwire';

/** Reads that EC2 cannot scope to a resource (AmazonEKS_CNI_Policy's, DescribeSecurityGroups included). */
export const DESCRIBE_ACTIONS = [
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeTags',
] as const;

/** Changes to an ENI: allowed only on ENIs tagged with the cluster's name. */
export const ENI_MUTATION_ACTIONS = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:AttachNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DetachNetworkInterface',
  'ec2:ModifyNetworkInterfaceAttribute',
  'ec2:UnassignPrivateIpAddresses',
] as const;

function arn(s: PolicyScope, resource: string): string {
  return `arn:${s.partition}:ec2:${s.region}:${s.account}:${resource}`;
}

/**
 * ipamd's EC2 statements, least privilege for one cluster in one VPC:
 * - the Describe calls on `*` (EC2 has no resource-level scoping for them);
 * - CreateNetworkInterface authorized per resource: the new ENI only with the cluster tag in the
 *   request, the subnet and security groups only in the cluster's VPC;
 * - CreateTags only as part of CreateNetworkInterface (ec2:CreateAction), so no existing resource
 *   can be retagged into the cluster's scope;
 * - every mutation only on ENIs carrying the cluster tag (the node's primary ENI gets it from the
 *   launch template), attach and detach only to the cluster's instances (`eks:cluster-name`, which
 *   EKS managed node groups put on their instances).
 */
export function ipamdPolicyStatements(s: PolicyScope): PolicyStatementJson[] {
  const eni = arn(s, 'network-interface/*');
  return [
    { Sid: 'Describe', Effect: 'Allow', Action: [...DESCRIBE_ACTIONS], Resource: '*' },
    {
      Sid: 'CreateTaggedEni',
      Effect: 'Allow',
      Action: 'ec2:CreateNetworkInterface',
      Resource: eni,
      Condition: { StringEquals: { [`aws:RequestTag/${CLUSTER_TAG}`]: s.clusterName } },
    },
    {
      Sid: 'CreateEniInClusterVpc',
      Effect: 'Allow',
      Action: 'ec2:CreateNetworkInterface',
      Resource: [arn(s, 'subnet/*'), arn(s, 'security-group/*')],
      Condition: { ArnEquals: { 'ec2:Vpc': arn(s, `vpc/${s.vpcId}`) } },
    },
    {
      Sid: 'TagOnlyAtCreate',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: eni,
      Condition: { StringEquals: { 'ec2:CreateAction': 'CreateNetworkInterface' } },
    },
    {
      Sid: 'ChangeClusterEnis',
      Effect: 'Allow',
      Action: [...ENI_MUTATION_ACTIONS],
      Resource: eni,
      Condition: { StringEquals: { [`aws:ResourceTag/${CLUSTER_TAG}`]: s.clusterName } },
    },
    {
      Sid: 'AttachToClusterInstances',
      Effect: 'Allow',
      Action: ['ec2:AttachNetworkInterface', 'ec2:DetachNetworkInterface'],
      Resource: arn(s, 'instance/*'),
      Condition: { StringEquals: { 'aws:ResourceTag/eks:cluster-name': s.clusterName } },
    },
  ];
}

/** PutMetricData accepts no resource; the `cloudwatch:namespace` condition key is what scopes it. */
export function metricsPublisherPolicyStatements(_s: PolicyScope): PolicyStatementJson[] {
  return [
    {
      Sid: 'PutVpcwireMetrics',
      Effect: 'Allow',
      Action: 'cloudwatch:PutMetricData',
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
    },
  ];
}

export const localPolicySource: PolicySource = {
  ipamd: (s) => ({ Version: '2012-10-17', Statement: ipamdPolicyStatements(s) }),
  metricsPublisher: (s) => ({ Version: '2012-10-17', Statement: metricsPublisherPolicyStatements(s) }),
};
