/**
 * The vpcwire test cluster (issue 12 item 7): an EKS cluster that installs no default CNI, with
 * vpcwire installed from the local chart, its roles through IRSA, and a managed node group whose
 * kubelet maxPods comes from the same computation as `vpcwire max-pods`.
 *
 * Order of creation: cluster -> kube-proxy add-on and the vpcwire chart (its DaemonSet waits for
 * nodes) -> ENIConfigs -> nodes -> CoreDNS (a Deployment: on a cluster without nodes its add-on
 * would wait for them). A node that boots finds its CNI already scheduled for it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { CfnOutput, Fn, Stack, type StackProps, Token } from 'aws-cdk-lib';
import { EKS_USE_NATIVE_OIDC_PROVIDER } from 'aws-cdk-lib/cx-api';
import type * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import type { TestClusterConfig } from './config.ts';
import { ClusterNetwork } from './network.ts';
import { nodeadmUserData, nodeGroupMaxPods } from './node-config.ts';
import { CLUSTER_TAG, METRICS_NAMESPACE, METRICS_SERVICE_ACCOUNT, SERVICE_ACCOUNT } from '../iam/policies.ts';
import { publisherDashboard } from './dashboard.ts';
import { ipamdPolicy, irsaPrincipal, metricsPublisherPolicy, toCdkDocument } from './policies.ts';

export const NAMESPACE = 'kube-system';
/** Custom networking: each node picks the ENIConfig named after its zone (DESIGN.md §9). */
export const ENI_CONFIG_LABEL = 'topology.kubernetes.io/zone';

export interface TestClusterStackProps extends StackProps {
  readonly config: TestClusterConfig;
}

export class TestClusterStack extends Stack {
  readonly cluster: eks.Cluster;
  readonly network: ClusterNetwork;
  readonly maxPods: number;
  readonly chartValues: Record<string, unknown>;
  readonly dashboard: cw.Dashboard;

  constructor(scope: Construct, id: string, props: TestClusterStackProps) {
    super(scope, id, props);
    // IRSA's OIDC provider as the native AWS::IAM::OIDCProvider, not the deprecated custom resource
    // (one Lambda fewer). Set before any child exists, as context must be.
    this.node.setContext(EKS_USE_NATIVE_OIDC_PROVIDER, true);
    const c = props.config;
    this.maxPods = nodeGroupMaxPods(c.instanceTypes, c);

    this.network = new ClusterNetwork(this, 'Network', { podCidr: c.podCidr });
    const vpc = this.network.vpc;

    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: c.clusterName,
      version: eks.KubernetesVersion.of(c.kubernetesVersion),
      vpc,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      // vpcwire is the CNI: EKS must not install aws-node (nor its kube-proxy and CoreDNS, added below).
      bootstrapSelfManagedAddons: false,
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      kubectlProviderOptions: { kubectlLayer: new KubectlV35Layer(this, 'KubectlLayer') },
    });

    // iam/'s documents (the one home of vpcwire's policies), scoped to this cluster and VPC: each
    // role's IRSA trust and its policy, and the ServiceAccount that names the role.
    const scopeOfPolicy = { clusterName: c.clusterName, partition: this.partition, region: this.region, accountId: this.account, vpcId: vpc.vpcId };
    const irsaServiceAccount = (id: string, name: string, policy: iam.PolicyDocument) => {
      const provider = this.cluster.openIdConnectProvider;
      const role = new iam.Role(this, `${id}Role`, {
        assumedBy: irsaPrincipal(this, `${id}Trust`, provider, { partition: this.partition, accountId: this.account, namespace: NAMESPACE, serviceAccount: name }),
      });
      role.node.addDependency(provider);
      new iam.Policy(this, `${id}Policy`, { document: policy, roles: [role] });
      return this.cluster.addManifest(id, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name, namespace: NAMESPACE, annotations: { 'eks.amazonaws.com/role-arn': role.roleArn } },
      });
    };
    const ipamdSa = irsaServiceAccount('VpcwireServiceAccount', SERVICE_ACCOUNT, toCdkDocument(ipamdPolicy(scopeOfPolicy)));
    const metricsSa = irsaServiceAccount('MetricsPublisherServiceAccount', METRICS_SERVICE_ACCOUNT, toCdkDocument(metricsPublisherPolicy()));

    const kubeProxy = new eks.Addon(this, 'KubeProxy', { cluster: this.cluster, addonName: 'kube-proxy' });

    const env: Record<string, string> = {
      CLUSTER_NAME: c.clusterName,
      ENABLE_SUBNET_DISCOVERY: 'true',
      AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: String(c.customNetworking),
      ENABLE_PREFIX_DELEGATION: String(c.prefixDelegation),
    };
    if (c.customNetworking) env.ENI_CONFIG_LABEL_DEF = ENI_CONFIG_LABEL;
    this.chartValues = {
      env,
      serviceAccount: { create: false, name: SERVICE_ACCOUNT },
      // The ENIConfigs are the stack's (below): their names are AZs, which an environment-agnostic
      // stack only knows as tokens, and chart values cannot have tokens for keys.
      eniConfig: { create: false },
      // The CloudWatch publisher under the IRSA account above (its role may PutMetricData into
      // METRICS_NAMESPACE only), feeding the dashboard below.
      metricsHelper: {
        enabled: true,
        clusterId: c.clusterName,
        // The chart values must be a literal: an environment-agnostic stack's Region is a token,
        // and then EKS's IRSA webhook gives the pod AWS_REGION.
        ...(Token.isUnresolved(this.region) ? {} : { region: this.region }),
        cloudwatchNamespace: METRICS_NAMESPACE,
        serviceAccount: { create: false, name: METRICS_SERVICE_ACCOUNT },
      },
      ...c.chartValues,
    };
    if (!existsSync(join(c.chartPath, 'Chart.yaml'))) {
      throw new Error(`no Helm chart at ${c.chartPath} (no Chart.yaml): give the vpcwire chart's directory with -c chartPath=DIR`);
    }
    const chart = this.cluster.addHelmChart('Vpcwire', {
      chartAsset: new Asset(this, 'VpcwireChart', { path: c.chartPath }),
      release: 'vpcwire',
      namespace: NAMESPACE,
      values: this.chartValues,
    });
    chart.node.addDependency(ipamdSa, metricsSa);

    const eniConfigs = c.customNetworking
      ? this.network.podSubnets.map((s, i) => {
          const m = this.cluster.addManifest(`EniConfig${i + 1}`, {
            apiVersion: 'crd.k8s.amazonaws.com/v1alpha1',
            kind: 'ENIConfig',
            metadata: { name: s.availabilityZone },
            spec: { subnet: s.subnetId, securityGroups: [this.cluster.clusterSecurityGroupId] },
          });
          m.node.addDependency(chart); // the chart brings the ENIConfig CRD
          return m;
        })
      : [];

    const launchTemplate = new ec2.CfnLaunchTemplate(this, 'NodeLaunchTemplate', {
      launchTemplateData: {
        userData: Fn.base64(nodeadmUserData(this.maxPods)),
        metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 2 },
        // iam's scoped policy changes only ENIs tagged CLUSTER_TAG = the cluster (its MutateClusterEnis
        // statement), and ipamd assigns addresses on the primary ENI too, which it cannot tag itself:
        // the instance's network interfaces get the tag at launch (iam/README.md, primaryEniTags).
        tagSpecifications: [{ resourceType: 'network-interface', tags: [{ key: CLUSTER_TAG, value: c.clusterName }] }],
      },
    });
    // The node role without AmazonEKS_CNI_Policy (which EKS's default node role carries): vpcwire's
    // EC2 calls get only the scoped policy above, through IRSA, so a gap in it shows up on the cluster.
    const nodeRole = new iam.Role(this, 'NodeRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryReadOnly', 'AmazonSSMManagedInstanceCore'].map((n) =>
        iam.ManagedPolicy.fromAwsManagedPolicyName(n),
      ),
    });
    const nodes = this.cluster.addNodegroupCapacity('Nodes', {
      nodeRole,
      amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      instanceTypes: c.instanceTypes.map((t) => new ec2.InstanceType(t)),
      desiredSize: c.nodeCount,
      minSize: c.nodeCount,
      maxSize: c.nodeCount,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplateSpec: { id: launchTemplate.ref, version: launchTemplate.attrLatestVersionNumber },
    });
    nodes.node.addDependency(kubeProxy, chart, ...eniConfigs);
    new eks.Addon(this, 'CoreDns', { cluster: this.cluster, addonName: 'coredns' }).node.addDependency(nodes);

    if (c.adminPrincipalArn) {
      this.cluster.grantAccess('Admin', c.adminPrincipalArn, [
        eks.AccessPolicy.fromAccessPolicyName('AmazonEKSClusterAdminPolicy', { accessScopeType: eks.AccessScopeType.CLUSTER }),
      ]);
    }

    this.dashboard = publisherDashboard(this, 'VpcwireDashboard', { clusterId: c.clusterName, namespace: METRICS_NAMESPACE, dashboardName: `vpcwire-${c.clusterName}` });

    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
    new CfnOutput(this, 'NodeMaxPods', { value: String(this.maxPods) });
    new CfnOutput(this, 'UpdateKubeconfig', { value: `aws eks update-kubeconfig --name ${this.cluster.clusterName} --region ${this.region}` });
  }
}
