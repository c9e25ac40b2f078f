/** The value sets the chart tests render, lint and apply (issue 12 item 6). */
export const IRSA_ROLE = 'arn:aws:iam::111122223333:role/vpcwire-cni';
export const METRICS_IRSA_ROLE = 'arn:aws:iam::111122223333:role/vpcwire-metrics';

export const VALUE_SETS: Readonly<Record<string, Record<string, unknown>>> = {
  defaults: {},
  'custom networking with ENIConfigs': {
    env: { AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'true', ENI_CONFIG_LABEL_DEF: 'topology.kubernetes.io/zone' },
    eniConfig: {
      create: true,
      region: 'us-west-2',
      subnets: { 'us-west-2a': { id: 'subnet-0a1b2c3d', securityGroups: ['sg-0a1b2c3d', 'sg-0e0f'] }, 'us-west-2b': { id: 'subnet-0b2c3d4e' } },
    },
  },
  'prefix delegation with warm targets': {
    env: { ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '1', WARM_IP_TARGET: '5', MINIMUM_IP_TARGET: '2' },
  },
  'metrics publisher with IRSA, per-node series': {
    metricsHelper: {
      enabled: true,
      clusterId: 'my-cluster',
      region: 'us-west-2',
      nodeDimension: true,
      serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': METRICS_IRSA_ROLE } },
      env: { LOG_LEVEL: 'debug' },
    },
  },
  IRSA: { serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': IRSA_ROLE } } },
  'OnDelete updates': { updateStrategy: { type: 'OnDelete' } },
  'external SNAT': { env: { AWS_VPC_K8S_CNI_EXTERNALSNAT: 'true', AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: '10.10.0.0/16,192.168.0.0/24' } },
  'pod IP annotation, tuned pod': {
    env: { ANNOTATE_POD_IP: 'true' },
    podAnnotations: { 'example.com/team': 'net' },
    podLabels: { team: 'net' },
    resources: { requests: { cpu: '50m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    livenessProbeTimeoutSeconds: 15,
    readinessProbeTimeoutSeconds: 7,
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'net', effect: 'NoSchedule' }],
  },
};
