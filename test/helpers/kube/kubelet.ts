/**
 * A kubelet for tests (issue 11 item 9, DESIGN.md §7): the containerd harness playing kubelet for
 * one emulated node of a local cluster, against the real API server. It registers the node's Node
 * object, watches the pods bound to it (fieldSelector spec.nodeName) with client-node's ListWatch,
 * and for each one runs a sandbox over CRI and writes its IP into the pod's status
 * (kubelet-pod.ts); a deleted pod's sandbox is removed and its deletion finalized. It does
 * networking only: no containers, probes, volumes or node heartbeats.
 *
 * It talks to the API server as the admin: it is test infrastructure, not the product, and a real
 * kubelet's node identity (the Node authorizer, NodeRestriction) would test nothing of vpcwire.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type KubeConfig, ListWatch, type V1Pod, Watch } from '@kubernetes/client-node';
import type { LocalNode } from '../../../cluster/local-node.ts';
import type { CriClient } from '../cri-client.ts';
import { type PodRecord, PodWorker } from './kubelet-pod.ts';
import { registerNode } from './register-node.ts';

export type { PodRecord, SandboxAttempt } from './kubelet-pod.ts';

export interface KubeletOptions {
  /** The admin's KubeConfig (ControlPlane.admin()). */
  readonly kube: KubeConfig;
  /** The emulated node: its primary IP is the Node's InternalIP and every pod's hostIP. */
  readonly node: LocalNode;
  /** The node's runtime (startContainerdNode's containerd.cri). */
  readonly cri: CriClient;
  /** The Node object's name; default the emulated node's name. */
  readonly nodeName?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /** The Node's capacity and allocatable pods; default kubelet's 110. */
  readonly maxPods?: number;
  /** How long after seeing a pod bound its RunPodSandbox starts (a benchmark binds N pods, then starts them Δ later); default 0. */
  readonly startDelayMs?: number;
  /** Between failed sandbox starts, status writes and teardown steps (doubling); default 250 ms to 5 s. */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
}

export interface Kubelet {
  readonly nodeName: string;
  /** Every pod seen bound to the node, in the order seen (one record per UID). */
  records(): readonly PodRecord[];
  record(uid: string): PodRecord | undefined;
  /** Resolves with the pod's record once its status.podIP is written. */
  running(uid: string, timeoutMs?: number): Promise<PodRecord>;
  /** Resolves once the pod's sandbox is removed and, when deleted through the API, its object deleted. */
  gone(uid: string, timeoutMs?: number): Promise<PodRecord>;
  /** The informer's failures, each followed by a restart (an API server restart shows here). */
  informerErrors(): readonly { readonly at: number; readonly message: string }[];
  /** Stops the informer and removes every sandbox it made (the pods' API objects stay). */
  stop(): Promise<void>;
}

/** The informer's restart backoff: short, so a test's API server restart costs little. */
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 2000;

export async function startKubelet(o: KubeletOptions): Promise<Kubelet> {
  const nodeName = o.nodeName ?? o.node.name;
  const core = o.kube.makeApiClient(CoreV1Api);
  await registerNode(core, {
    name: nodeName,
    internalIp: o.node.primaryIp,
    runtime: await o.cri.version(),
    ...(o.labels ? { labels: o.labels } : {}),
    ...(o.annotations ? { annotations: o.annotations } : {}),
    ...(o.maxPods ? { maxPods: o.maxPods } : {}),
  });

  const stopping = new AbortController();
  const workers = new Map<string, PodWorker>();
  const errors: { at: number; message: string }[] = [];
  const ctx = {
    core,
    cri: o.cri,
    hostIp: o.node.primaryIp,
    startDelayMs: o.startDelayMs ?? 0,
    backoff: o.backoff ?? { minMs: 250, maxMs: 5000 },
    signal: stopping.signal,
  };

  let restartMs = RESTART_MIN_MS; // back to the minimum once a list or an event shows the informer works
  const seen = (pod: V1Pod) => {
    restartMs = RESTART_MIN_MS;
    const uid = pod.metadata?.uid;
    if (stopping.signal.aborted || !uid || pod.spec?.nodeName !== nodeName) return;
    let w = workers.get(uid);
    if (!w) {
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
      w = new PodWorker(ctx, pod, Date.now());
      workers.set(uid, w);
    }
    if (pod.metadata?.deletionTimestamp) void w.terminate(true);
  };
  const vanished = (pod: V1Pod) => {
    restartMs = RESTART_MIN_MS;
    if (!stopping.signal.aborted) void workers.get(pod.metadata?.uid ?? '')?.terminate(false);
  };

  // makeInformer passes no field selector to its watch (DESIGN.md §9): a ListWatch does.
  const fieldSelector = `spec.nodeName=${nodeName}`;
  const informer = new ListWatch<V1Pod>(
    '/api/v1/pods',
    new Watch(o.kube),
    async () => {
      const list = await core.listPodForAllNamespaces({ fieldSelector });
      restartMs = RESTART_MIN_MS;
      return list;
    },
    false,
    undefined,
    fieldSelector,
  );
  informer.on('add', seen);
  informer.on('update', seen);
  informer.on('delete', vanished);
  // ListWatch re-watches by itself after a watch ends cleanly, and gives up on any other error
  // (a refused connection while the API server restarts): start it again, with a short backoff.
  let restart: NodeJS.Timeout | undefined;
  let starting = Promise.resolve();
  const startInformer = () => {
    starting = informer.start().catch((e: unknown) => {
      errors.push({ at: Date.now(), message: `start: ${String(e)}` });
    });
    return starting;
  };
  informer.on('error', (err?: unknown) => {
    if (stopping.signal.aborted || restart) return;
    errors.push({ at: Date.now(), message: err instanceof Error ? err.message : String(err) });
    restart = setTimeout(() => {
      restart = undefined;
      if (!stopping.signal.aborted) void startInformer();
    }, restartMs);
    restartMs = Math.min(restartMs * 2, RESTART_MAX_MS);
  });
  await startInformer();

  const until = async (uid: string, done: (r: PodRecord) => boolean, what: string, timeoutMs: number): Promise<PodRecord> => {
    for (const deadline = Date.now() + timeoutMs; ; await sleep(20)) {
      const r = workers.get(uid)?.record;
      if (r && done(r)) return r;
      if (Date.now() > deadline) {
        throw new Error(`pod ${uid} not ${what} within ${timeoutMs} ms: ${r ? JSON.stringify(r) : 'never seen bound to ' + nodeName}`);
      }
    }
  };

  let stopped: Promise<void> | undefined;
  return {
    nodeName,
    records: () => [...workers.values()].map((w) => w.record),
    record: (uid) => workers.get(uid)?.record,
    running: (uid, timeoutMs = 30_000) => until(uid, (r) => r.statusAt !== undefined, 'running', timeoutMs),
    gone: (uid, timeoutMs = 30_000) => until(uid, (r) => r.terminatedAt !== undefined, 'gone', timeoutMs),
    informerErrors: () => errors,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        clearTimeout(restart);
        await informer.stop();
        // A start in flight (listing) opens its watch without looking at stop() again: end that one too.
        await starting;
        await informer.stop();
        const problems: string[] = [];
        for (const w of workers.values()) {
          const p = await w.close();
          if (p) problems.push(p);
        }
        if (problems.length) throw new Error(`test kubelet of ${nodeName} left sandboxes: ${problems.join('; ')}`);
      })();
      return stopped;
    },
  };
}
