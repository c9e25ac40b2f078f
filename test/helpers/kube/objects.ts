/** Kubernetes objects the tests make and read as the admin: Nodes, ENIConfigs, Events. */
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, EventsV1Api, type EventsV1Event, type KubeConfig } from '@kubernetes/client-node';

export async function createNode(kc: KubeConfig, name: string, meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNode({ body: { metadata: { name, ...meta } } });
}

/** Merges labels into a Node (null removes one). */
export async function labelNode(kc: KubeConfig, name: string, labels: Record<string, string | null>): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const node = await core.readNode({ name });
  const next: Record<string, string> = { ...(node.metadata?.labels ?? {}) };
  for (const [k, v] of Object.entries(labels)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  await core.replaceNode({ name, body: { ...node, metadata: { ...node.metadata, labels: next } } });
}

export async function deleteNode(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).deleteNode({ name }).catch(() => undefined);
}

export async function createEniConfig(kc: KubeConfig, name: string, spec: Record<string, unknown>): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
    group: 'crd.k8s.amazonaws.com',
    version: 'v1alpha1',
    plural: 'eniconfigs',
    body: { apiVersion: 'crd.k8s.amazonaws.com/v1alpha1', kind: 'ENIConfig', metadata: { name }, spec },
  });
}

export async function deleteEniConfig(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi)
    .deleteClusterCustomObject({ group: 'crd.k8s.amazonaws.com', version: 'v1alpha1', plural: 'eniconfigs', name })
    .catch(() => undefined);
}

/** Events (events.k8s.io/v1) regarding an object of that kind and name, in every namespace. */
export async function eventsAbout(kc: KubeConfig, kind: string, name: string): Promise<EventsV1Event[]> {
  const all = await kc.makeApiClient(EventsV1Api).listEventForAllNamespaces({ fieldSelector: `regarding.kind=${kind},regarding.name=${name}` });
  return all.items;
}

/** Polls until `probe` returns a value (not undefined), or fails naming `what`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}
