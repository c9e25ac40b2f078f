/**
 * vpcwire's IAM policies as code: rendered for one partition, account, Region, cluster and VPC, so
 * what an operator attaches, what `iam/*.json` shows and what the emulator enforces in tests are the
 * same documents. No AWS SDK: these are plain JSON values.
 *
 * - fullCniPolicy: the actions of AWS's managed AmazonEKS_CNI_Policy, for drop-in parity.
 * - scopedCniPolicy: the same job confined to the cluster's VPC and to ENIs tagged with the cluster
 *   name. ipamd puts `cluster.k8s.amazonaws.com/name` on the ENIs it creates only when CLUSTER_NAME
 *   is set (ipamd/eni-manager.ts), so this policy requires CLUSTER_NAME: without it ipamd's ENIs
 *   are untagged and every mutation of them is refused.
 * - metricsPolicy: cloudwatch:PutMetricData into one namespace only.
 * - irsaTrustPolicy / podIdentityTrustPolicy: who may assume the role that carries them.
 */

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Readonly<Record<string, string | readonly string[]>>;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export interface ClusterScope {
  /** `aws`, `aws-cn`, `aws-us-gov`. */
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  /** The value ipamd's CLUSTER_NAME is set to. */
  readonly clusterName: string;
  /** The cluster's VPC, e.g. `vpc-0123456789abcdef0`. */
  readonly vpcId: string;
}

/** The tag ipamd puts on every ENI it creates when CLUSTER_NAME is set (ipamd/eni-manager.ts TAG_CLUSTER_NAME). */
export const CLUSTER_TAG = 'cluster.k8s.amazonaws.com/name';

/**
 * The names the documents are rendered for unless told otherwise (render.ts's defaults, the CDK
 * app's): ipamd's ServiceAccount (the chart's default name), the metrics publisher's, both in
 * kube-system, and the CloudWatch namespace the publisher writes to.
 */
export const SERVICE_ACCOUNT = 'vpcwire';
export const METRICS_SERVICE_ACCOUNT = 'vpcwire-metrics';
// Upstream's namespace (cni-metrics-helper), so its dashboards and alarms carry over; the publisher's
// CLOUDWATCH_NAMESPACE default (metrics-helper/catalog.ts DEFAULT_CLOUDWATCH_NAMESPACE, which a test holds equal).
export const METRICS_NAMESPACE = 'Kubernetes';

/**
 * The actions of AWS's managed policy AmazonEKS_CNI_Policy (arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy),
 * as listed in the AWS Managed Policy Reference
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEKS_CNI_Policy.html):
 * version v5 (edited 2024-03-04) has the twelve actions below on `*` plus ec2:CreateTags on
 * `arn:aws:ec2:*:*:network-interface/*`; v6 adds ec2:DescribeSecurityGroups (ipamd reads the
 * primary ENI's groups and the ENIConfig's groups with it).
 */
export const EKS_CNI_POLICY_ACTIONS = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:AttachNetworkInterface',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeInstances',
  'ec2:DescribeTags',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups', // v6
  'ec2:DetachNetworkInterface',
  'ec2:ModifyNetworkInterfaceAttribute',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/** The read-only actions ipamd calls; EC2's Describe* actions take no resource-level permissions. */
export const DESCRIBE_ACTIONS = [
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeTags',
] as const;

/** Mutations of an existing ENI; each needs the ENI to carry the cluster tag in the scoped policy. */
export const ENI_MUTATION_ACTIONS = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:AttachNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DetachNetworkInterface',
  'ec2:ModifyNetworkInterfaceAttribute',
  'ec2:UnassignPrivateIpAddresses',
] as const;

const arn = (s: Pick<ClusterScope, 'partition' | 'region' | 'accountId'>, resource: string) =>
  `arn:${s.partition}:ec2:${s.region}:${s.accountId}:${resource}`;

/** AmazonEKS_CNI_Policy's statements, with the ENI ARN in the given partition. */
export function fullCniPolicy(s: Pick<ClusterScope, 'partition'>): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AmazonEKSCNIPolicy',
        Effect: 'Allow',
        Action: EKS_CNI_POLICY_ACTIONS,
        Resource: '*',
      },
      {
        Sid: 'AmazonEKSCNIPolicyENITag',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: `arn:${s.partition}:ec2:*:*:network-interface/*`,
      },
    ],
  };
}

/** Statement ids of the scoped policy; each allows one part of ipamd's job (see iam/README.md). */
export const SCOPED_SIDS = {
  describe: 'Describe',
  createInVpc: 'CreateEniInClusterVpc',
  createTagged: 'CreateEniTaggedForCluster',
  tagOnCreate: 'TagEniOnlyAtCreation',
  attachToInstance: 'AttachDetachOnInstances',
  mutateClusterEnis: 'MutateClusterEnis',
} as const;

/**
 * The least-privilege policy for ipamd in one cluster. Requires CLUSTER_NAME = `clusterName` on
 * every node (ipamd tags its ENIs with it only then).
 */
export function scopedCniPolicy(s: ClusterScope): PolicyDocument {
  const vpcArn = arn(s, `vpc/${s.vpcId}`);
  const eniArn = arn(s, 'network-interface/*');
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: SCOPED_SIDS.describe, Effect: 'Allow', Action: DESCRIBE_ACTIONS, Resource: '*' },
      {
        // The subnet and security groups of a new ENI must be in the cluster's VPC.
        Sid: SCOPED_SIDS.createInVpc,
        Effect: 'Allow',
        Action: 'ec2:CreateNetworkInterface',
        Resource: [arn(s, 'subnet/*'), arn(s, 'security-group/*')],
        Condition: { StringEquals: { 'ec2:Vpc': vpcArn } },
      },
      {
        // The new ENI itself: only when the request tags it with this cluster's name.
        Sid: SCOPED_SIDS.createTagged,
        Effect: 'Allow',
        Action: 'ec2:CreateNetworkInterface',
        Resource: eniArn,
        Condition: { StringEquals: { [`aws:RequestTag/${CLUSTER_TAG}`]: s.clusterName } },
      },
      {
        // Tags only as part of CreateNetworkInterface: existing ENIs cannot be (re)tagged into the cluster.
        Sid: SCOPED_SIDS.tagOnCreate,
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: eniArn,
        Condition: { StringEquals: { 'ec2:CreateAction': 'CreateNetworkInterface' } },
      },
      {
        // Attach and Detach also name the instance.
        Sid: SCOPED_SIDS.attachToInstance,
        Effect: 'Allow',
        Action: ['ec2:AttachNetworkInterface', 'ec2:DetachNetworkInterface'],
        Resource: arn(s, 'instance/*'),
      },
      {
        Sid: SCOPED_SIDS.mutateClusterEnis,
        Effect: 'Allow',
        Action: ENI_MUTATION_ACTIONS,
        Resource: eniArn,
        Condition: { StringEquals: { [`aws:ResourceTag/${CLUSTER_TAG}`]: s.clusterName } },
      },
    ],
  };
}

/** The metrics publisher's policy: PutMetricData into `namespace` only (PutMetricData has no resource ARNs). */
export function metricsPolicy(opts: { namespace: string }): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PutMetricDataInNamespace',
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': opts.namespace } },
      },
    ],
  };
}

export interface IrsaTrustOptions {
  readonly partition: string;
  readonly accountId: string;
  /** The cluster's OIDC issuer URL, e.g. `https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`. */
  readonly oidcIssuer: string;
  readonly namespace?: string;
  readonly serviceAccount: string;
}

/** IRSA: the cluster's OIDC provider may assume the role for one service account's tokens. */
export function irsaTrustPolicy(o: IrsaTrustOptions): PolicyDocument {
  const provider = o.oidcIssuer.replace(/^https:\/\//, '').replace(/\/$/, '');
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:${o.partition}:iam::${o.accountId}:oidc-provider/${provider}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${provider}:sub`]: `system:serviceaccount:${o.namespace ?? 'kube-system'}:${o.serviceAccount}`,
            [`${provider}:aud`]: 'sts.amazonaws.com',
          },
        },
      },
    ],
  };
}

/** EKS Pod Identity: the Pod Identity agent's service principal assumes the role and tags the session. */
export function podIdentityTrustPolicy(): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowEksAuthToAssumeRoleForPodIdentity',
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      },
    ],
  };
}

/** The example the checked-in iam/*.json are rendered for (AWS's documentation account and VPC). */
export const EXAMPLE = {
  partition: 'aws',
  accountId: '111122223333',
  region: 'us-west-2',
  clusterName: 'my-cluster',
  vpcId: 'vpc-0123456789abcdef0',
  oidcIssuer: 'https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
  metricsNamespace: METRICS_NAMESPACE,
  serviceAccount: SERVICE_ACCOUNT,
  metricsServiceAccount: METRICS_SERVICE_ACCOUNT,
} as const;

export interface RenderOptions extends ClusterScope {
  readonly oidcIssuer: string;
  /** CloudWatch namespace the metrics publisher writes to. */
  readonly metricsNamespace: string;
  /** Service accounts (in kube-system) of ipamd and of the metrics publisher. */
  readonly serviceAccount: string;
  readonly metricsServiceAccount: string;
}

/** Every document, by its file name under iam/. */
export function renderAll(o: RenderOptions): Record<string, PolicyDocument> {
  const trust = { partition: o.partition, accountId: o.accountId, oidcIssuer: o.oidcIssuer };
  return {
    'cni-policy-full.json': fullCniPolicy(o),
    'cni-policy-scoped.json': scopedCniPolicy(o),
    'metrics-policy.json': metricsPolicy({ namespace: o.metricsNamespace }),
    'cni-trust-irsa.json': irsaTrustPolicy({ ...trust, serviceAccount: o.serviceAccount }),
    'metrics-trust-irsa.json': irsaTrustPolicy({ ...trust, serviceAccount: o.metricsServiceAccount }),
    'trust-pod-identity.json': podIdentityTrustPolicy(),
  };
}

export const toJson = (doc: PolicyDocument) => `${JSON.stringify(doc, null, 2)}\n`;
