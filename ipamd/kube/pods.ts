/**
 * Pods bound to this node (spec.nodeName), watched so the pool grows for them before their ADD
 * calls arrive (issue 11 item 8, prewarm; none of the peers does this): a pod Kubernetes has
 * scheduled here but whose sandbox has no address yet is counted as expected, and the planner
 * treats it as if it already held one (warm-pool/counts.ts reserveFor).
 */
import type { Logger } from '../logger.ts';
import type * as k8s from '@kubernetes/client-node';
import { kubeClient } from './client.ts';
import { Watched } from './watch.ts';

export function watchPods(kc: k8s.KubeConfig, nodeName: string, logger: Logger): Watched<k8s.V1Pod> {
  const core = kc.makeApiClient(kubeClient().CoreV1Api);
  const fieldSelector = `spec.nodeName=${nodeName}`;
  return new Watched<k8s.V1Pod>({
    kc,
    path: '/api/v1/pods',
    what: `pods on ${nodeName}`,
    fieldSelector,
    list: () => core.listPodForAllNamespaces({ fieldSelector }),
    logger,
  });
}

/** Whether a bound pod will ask this node for an address: not host-network, not finished, not being deleted. */
export function needsAddress(pod: k8s.V1Pod): boolean {
  if (pod.spec?.hostNetwork) return false;
  if (pod.metadata?.deletionTimestamp) return false;
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** Pods bound here that need an address and hold none yet: `allocated` has "namespace/name" of pods holding one. */
export function expectedPods(pods: readonly k8s.V1Pod[], allocated: ReadonlySet<string>): number {
  let n = 0;
  for (const p of pods) {
    if (!needsAddress(p)) continue;
    if (!allocated.has(`${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`)) n++;
  }
  return n;
}
