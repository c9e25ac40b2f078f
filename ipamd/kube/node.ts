/**
 * This ipamd's Node (MY_NODE_NAME), watched for its labels and annotations: which ENIConfig it
 * names (custom networking), its uid (Events regarding it).
 */
import type { Logger } from '../logger.ts';
import type * as k8s from '@kubernetes/client-node';
import { kubeClient } from './client.ts';
import type { KubeSettings } from './settings.ts';
import { Watched } from './watch.ts';

/** Upstream's label for an ENIConfig chosen out of band (e.g. by the kubelet's flags); wins over both. */
export const EXTERNAL_ENI_CONFIG_LABEL = 'vpc.amazonaws.com/externalEniConfig';
/** The ENIConfig a Node that names none uses (upstream). */
export const DEFAULT_ENI_CONFIG = 'default';

/**
 * The ENIConfig a Node uses, with upstream's precedence: the external label, then the annotation
 * (ENI_CONFIG_ANNOTATION_DEF), then the label (ENI_CONFIG_LABEL_DEF), then 'default'.
 */
export function eniConfigNameOf(node: k8s.V1Node, s: Pick<KubeSettings, 'eniConfigLabelDef' | 'eniConfigAnnotationDef'>): string {
  const labels = node.metadata?.labels ?? {};
  const annotations = node.metadata?.annotations ?? {};
  return labels[EXTERNAL_ENI_CONFIG_LABEL] ?? annotations[s.eniConfigAnnotationDef] ?? labels[s.eniConfigLabelDef] ?? DEFAULT_ENI_CONFIG;
}

export function watchNode(kc: k8s.KubeConfig, name: string, logger: Logger): Watched<k8s.V1Node> {
  const core = kc.makeApiClient(kubeClient().CoreV1Api);
  const fieldSelector = `metadata.name=${name}`;
  return new Watched<k8s.V1Node>({
    kc,
    path: '/api/v1/nodes',
    what: `Node ${name}`,
    fieldSelector,
    list: () => core.listNode({ fieldSelector }),
    logger,
  });
}
