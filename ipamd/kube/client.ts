/**
 * The Kubernetes client (@kubernetes/client-node), loaded only when ipamd talks to Kubernetes: a
 * standalone ipamd never imports it (kube/index.ts is itself imported lazily by the daemon).
 *
 * What is loaded is the part ipamd uses, bundled into one file by kube/build-client.ts
 * (build/kube-client.mjs; `npm run build`, the image): the package's index loads some 1,000
 * modules, about 85 MiB resident and 0.5 s here, the bundle about 40 MiB and 0.14 s. Without the
 * bundle (a source checkout never built) the package itself is loaded: the same code, heavier.
 */
import { existsSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { IpamdError } from '../errors.ts';
import type { KubeSettings } from './settings.ts';

/** What ipamd takes from client-node: the bundle exports exactly these (kube/build-client.ts). */
export type KubeClientModule = Pick<
  typeof k8s,
  'KubeConfig' | 'ListWatch' | 'Watch' | 'CoreV1Api' | 'EventsV1Api' | 'CustomObjectsApi' | 'setHeaderOptions' | 'PatchStrategy'
>;

export const KUBE_CLIENT_BUNDLE = new URL('../../build/kube-client.mjs', import.meta.url);

let loaded: KubeClientModule | undefined;

/** Loads the client once (the bundle when built); call before anything else here. */
export async function loadKubeClient(): Promise<{ module: KubeClientModule; bundled: boolean }> {
  const bundled = existsSync(KUBE_CLIENT_BUNDLE);
  loaded ??= bundled ? ((await import(KUBE_CLIENT_BUNDLE.href)) as KubeClientModule) : await import('@kubernetes/client-node');
  return { module: loaded, bundled };
}

/** The loaded client; loadKubeClient() must have run (kube/index.ts does it first). */
export function kubeClient(): KubeClientModule {
  if (!loaded) throw new IpamdError('IPAMD_INTERNAL', 'the Kubernetes client is used before loadKubeClient()');
  return loaded;
}

/** A KubeConfig for the configured mode; CLUSTER_ENDPOINT replaces the API server address. */
export function kubeConfig(s: KubeSettings): k8s.KubeConfig {
  const kc = new (kubeClient().KubeConfig)();
  try {
    if (s.mode === 'kubeconfig') kc.loadFromFile(s.kubeconfig!);
    else kc.loadFromCluster(s.serviceAccountRoot);
  } catch (e) {
    const where = s.mode === 'kubeconfig' ? `kubeconfig ${s.kubeconfig}` : `in-cluster configuration under '${s.serviceAccountRoot || '/'}'`;
    throw new IpamdError('IPAMD_CONFIG_INVALID', `cannot load the ${where}: ${(e as Error).message}`, { cause: e });
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new IpamdError('IPAMD_CONFIG_INVALID', `the ${s.mode} configuration names no current cluster`);
  if (s.mode === 'in-cluster' && !s.clusterEndpoint && !process.env.KUBERNETES_SERVICE_HOST) {
    throw new IpamdError('IPAMD_CONFIG_INVALID', 'in-cluster: set KUBERNETES_SERVICE_HOST/PORT (a pod has them) or CLUSTER_ENDPOINT');
  }
  // Upstream's CLUSTER_ENDPOINT: talk to the API server directly (before kube-proxy has programmed
  // the service address); the token and CA stay the pod's.
  if (s.clusterEndpoint) {
    const server = s.clusterEndpoint.replace(/\/+$/, '');
    kc.loadFromOptions({
      clusters: kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server } : c)),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
  }
  return kc;
}

/** The status code of a client-node error (ApiException.code, or a watch's statusCode). */
export function statusOf(e: unknown): number | undefined {
  const x = e as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof x?.code === 'number') return x.code;
  if (typeof x?.statusCode === 'number') return x.statusCode;
  return undefined;
}

/** The API server's own words for an error (its Status message names verb and resource on 403). */
export function messageOf(e: unknown): string {
  const body = (e as { body?: unknown } | undefined)?.body;
  if (typeof body === 'string') {
    try {
      const m = (JSON.parse(body) as { message?: string }).message;
      if (m) return m;
    } catch {
      // not JSON: fall through
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return e instanceof Error ? e.message.split('\n')[0]! : String(e);
}

/** An IpamdError for a failed API call: forbidden names the missing grant; anything else is unavailable. */
export function kubeError(what: string, e: unknown): IpamdError {
  const status = statusOf(e);
  if (status === 403) {
    return new IpamdError(
      'IPAMD_KUBE_FORBIDDEN',
      `${what}: forbidden: ${messageOf(e)} (ipamd's ClusterRole, deploy/kubernetes/rbac.yaml, must grant it)`,
      { cause: e },
    );
  }
  return new IpamdError('IPAMD_KUBE_UNAVAILABLE', `${what}: ${status ? `HTTP ${status}: ` : ''}${messageOf(e)}`, { cause: e });
}
