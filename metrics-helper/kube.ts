/**
 * The publisher's Kubernetes access: the same bundled @kubernetes/client-node ipamd loads
 * (ipamd/kube/client.ts, build/kube-client.mjs), a KubeConfig from KUBECONFIG or the pod's
 * service account, and the API server's words for a failed call.
 */
import type * as k8s from '@kubernetes/client-node';
import { loadKubeClient, messageOf, statusOf } from '../ipamd/kube/client.ts';
import { type Settings, SettingsError } from './settings.ts';

export { messageOf, statusOf };

export async function kubeCoreApi(s: Settings): Promise<k8s.CoreV1Api> {
  const { module } = await loadKubeClient();
  const kc = new module.KubeConfig();
  if (s.kubeconfig) kc.loadFromFile(s.kubeconfig);
  else {
    if (!process.env.KUBERNETES_SERVICE_HOST) throw new SettingsError('invalid KUBERNETES_SERVICE_HOST="": in-cluster configuration needs KUBERNETES_SERVICE_HOST/PORT (a pod has them); or set KUBECONFIG');
    kc.loadFromCluster(s.serviceAccountRoot);
  }
  return kc.makeApiClient(module.CoreV1Api);
}

/** "GET pods: 403 <the API server's message>" for logs. */
export function describeKubeError(what: string, e: unknown): string {
  const status = statusOf(e);
  return `${what}: ${status === undefined ? '' : `${status} `}${messageOf(e)}`;
}
