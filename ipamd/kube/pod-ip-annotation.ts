/**
 * ANNOTATE_POD_IP (issue 11 item 5): the pod gets vpc.amazonaws.com/pod-ips = its address at ADD,
 * before the plugin returns, so controllers that read it (upstream's reason for the option: they
 * see the address before kubelet reports status.podIP) never miss it. A patch that cannot be made
 * within `waitMs` does not hold the pod's network: ADD answers, and the patch is retried behind it.
 * At DEL the annotation is removed if it still names the released address.
 */
import type { PodHooks } from '../core-handlers.ts';
import type { Logger } from '../logger.ts';
import type * as k8s from '@kubernetes/client-node';
import { kubeClient, kubeError } from './client.ts';

export const POD_IPS_ANNOTATION = 'vpc.amazonaws.com/pod-ips';

export function podIpAnnotation(kc: k8s.KubeConfig, logger: Logger, opts: { waitMs?: number; retries?: number } = {}): PodHooks {
  const core = kc.makeApiClient(kubeClient().CoreV1Api);
  const { setHeaderOptions, PatchStrategy } = kubeClient();
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const patch = (pod: { namespace: string; name: string }, value: string | null) =>
    core.patchNamespacedPod({ name: pod.name, namespace: pod.namespace, body: { metadata: { annotations: { [POD_IPS_ANNOTATION]: value } } } }, merge);

  /** Tries until done, or the pod is gone (404), or `retries` are spent; logs the outcome once. */
  const persist = async (pod: { namespace: string; name: string }, ip: string): Promise<void> => {
    let delay = 200;
    for (let attempt = 0; ; attempt++) {
      try {
        await patch(pod, ip);
        return;
      } catch (e) {
        const err = kubeError(`annotating pod ${pod.namespace}/${pod.name} with ${POD_IPS_ANNOTATION}=${ip}`, e);
        if ((e as { code?: number }).code === 404) return; // deleted meanwhile: nothing to annotate
        if (attempt >= (opts.retries ?? 8) || err.code === 'IPAMD_KUBE_FORBIDDEN') {
          logger.error(err.message, { code: err.code });
          return;
        }
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(delay * 2, 5000);
      }
    }
  };

  return {
    async added(pod, ip) {
      const done = persist(pod, ip);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), opts.waitMs ?? 2000)));
      const outcome = await Promise.race([done.then(() => 'done' as const), late]);
      clearTimeout(timer);
      if (outcome === 'late') logger.warn('pod IP annotation not written yet; ADD answered, still trying', { pod: `${pod.namespace}/${pod.name}`, ip });
    },
    released(pod, ip) {
      void (async () => {
        try {
          const live = await core.readNamespacedPod({ name: pod.name, namespace: pod.namespace });
          if (live.metadata?.annotations?.[POD_IPS_ANNOTATION] !== ip) return;
          await patch(pod, null);
        } catch (e) {
          if ((e as { code?: number }).code === 404) return;
          logger.debug('pod IP annotation not removed', { error: kubeError(`pod ${pod.namespace}/${pod.name}`, e).message });
        }
      })();
    },
  };
}
