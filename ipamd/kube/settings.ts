/**
 * How ipamd reaches Kubernetes (issue 11), from the environment. Three modes:
 * - in-cluster: the pod's service-account token and CA and KUBERNETES_SERVICE_HOST/PORT (a
 *   DaemonSet), with upstream's CLUSTER_ENDPOINT overriding the API server address;
 * - kubeconfig: KUBECONFIG names a file (local runs, tests);
 * - standalone: no API server at all (the demo, non-Kubernetes hosts): today's behaviour, and the
 *   Kubernetes client is never loaded.
 * VPCWIRE_KUBERNETES forces a mode; otherwise KUBECONFIG, then KUBERNETES_SERVICE_HOST decide.
 */
import { bad, bool, type Env, str } from '../env-parse.ts';

export type KubeMode = 'standalone' | 'in-cluster' | 'kubeconfig';

export interface KubeSettings {
  readonly mode: KubeMode;
  /** KUBECONFIG (kubeconfig mode). */
  readonly kubeconfig: string | undefined;
  /** CLUSTER_ENDPOINT: the API server URL, instead of KUBERNETES_SERVICE_HOST/PORT or the kubeconfig's. */
  readonly clusterEndpoint: string | undefined;
  /**
   * VPCWIRE_SERVICEACCOUNT_ROOT: prepended to /var/run/secrets/kubernetes.io/serviceaccount (tests
   * and local runs lay a token out there; empty in a pod).
   */
  readonly serviceAccountRoot: string;
  /** MY_NODE_NAME, from the downward API (spec.nodeName): the Node this ipamd serves. */
  readonly nodeName: string | undefined;
  /** AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: secondary ENIs from the node's ENIConfig. */
  readonly customNetwork: boolean;
  /** ENI_CONFIG_LABEL_DEF / ENI_CONFIG_ANNOTATION_DEF: where the Node names its ENIConfig. */
  readonly eniConfigLabelDef: string;
  readonly eniConfigAnnotationDef: string;
  /** ANNOTATE_POD_IP: the pod gets vpc.amazonaws.com/pod-ips at ADD, before the plugin returns. */
  readonly annotatePodIp: boolean;
  /** VPCWIRE_PREWARM: grow the pool for pods bound to this node before their ADD arrives. */
  readonly prewarm: boolean;
}

/** Upstream's defaults (pkg/eniconfig): both keys are k8s.amazonaws.com/eniConfig. */
export const DEFAULT_ENI_CONFIG_KEY = 'k8s.amazonaws.com/eniConfig';

const MODES: readonly KubeMode[] = ['standalone', 'in-cluster', 'kubeconfig'];

export function parseKubeSettings(env: Env): KubeSettings {
  const forced = str(env, 'VPCWIRE_KUBERNETES');
  if (forced !== undefined && !MODES.includes(forced as KubeMode)) {
    bad('VPCWIRE_KUBERNETES', forced, `expected one of ${MODES.join(', ')}`);
  }
  const kubeconfig = str(env, 'KUBECONFIG');
  const inCluster = str(env, 'KUBERNETES_SERVICE_HOST') !== undefined || str(env, 'CLUSTER_ENDPOINT') !== undefined;
  const mode: KubeMode = (forced as KubeMode | undefined) ?? (kubeconfig ? 'kubeconfig' : inCluster ? 'in-cluster' : 'standalone');
  if (mode === 'kubeconfig' && !kubeconfig) bad('VPCWIRE_KUBERNETES', 'kubeconfig', 'KUBECONFIG must name a kubeconfig file');
  const clusterEndpoint = str(env, 'CLUSTER_ENDPOINT');
  if (clusterEndpoint !== undefined && !/^https?:\/\/[^/]+/.test(clusterEndpoint)) {
    bad('CLUSTER_ENDPOINT', clusterEndpoint, 'expected the API server URL, e.g. https://ABC.gr7.us-west-2.eks.amazonaws.com');
  }
  const nodeName = str(env, 'MY_NODE_NAME');
  const customNetwork = bool(env, 'AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG', false);
  const annotatePodIp = bool(env, 'ANNOTATE_POD_IP', false);
  if (mode !== 'standalone' && nodeName === undefined) {
    bad('MY_NODE_NAME', '', 'must name this node (set it from the downward API: fieldRef spec.nodeName) when ipamd talks to Kubernetes');
  }
  if (mode === 'standalone') {
    if (customNetwork) bad('AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG', 'true', 'custom networking reads ENIConfig objects and needs Kubernetes (no API server is configured)');
    if (annotatePodIp) bad('ANNOTATE_POD_IP', 'true', 'annotating pods needs Kubernetes (no API server is configured)');
  }
  return Object.freeze({
    mode,
    kubeconfig,
    clusterEndpoint,
    serviceAccountRoot: str(env, 'VPCWIRE_SERVICEACCOUNT_ROOT') ?? '',
    nodeName,
    customNetwork,
    // Upstream: an empty value means the default too.
    eniConfigLabelDef: str(env, 'ENI_CONFIG_LABEL_DEF') ?? DEFAULT_ENI_CONFIG_KEY,
    eniConfigAnnotationDef: str(env, 'ENI_CONFIG_ANNOTATION_DEF') ?? DEFAULT_ENI_CONFIG_KEY,
    annotatePodIp,
    prewarm: bool(env, 'VPCWIRE_PREWARM', true),
  });
}
