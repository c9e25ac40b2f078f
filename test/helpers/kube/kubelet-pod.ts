/**
 * One pod on the test kubelet's node (issue 11 item 9): what kubelet's pod worker does for a pod's
 * network, and only that. After the start delay, RunPodSandbox with the pod's name, namespace and
 * UID (containerd then execs the CNI plugins with K8S_POD_* in CNI_ARGS), retried with backoff
 * while it fails; the sandbox's IP from PodSandboxStatus written into the pod's status. When the
 * pod is deleted: StopPodSandbox, RemovePodSandbox, then the API object deleted with grace period
 * 0, as kubelet finalizes a deletion. No containers run: the sandbox is the pod's network.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { CriClient } from '../cri-client.ts';
import { kubeTime, STRATEGIC_MERGE } from './register-node.ts';

export interface SandboxAttempt {
  /** When RunPodSandbox was called and when it returned (epoch ms). */
  readonly calledAt: number;
  returnedAt?: number;
  /** Why it failed; undefined when it succeeded. */
  error?: string;
}

export interface PodRecord {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** When the kubelet first saw the pod bound to its node (epoch ms). */
  readonly seenAt: number;
  /** Every RunPodSandbox call, the failed ones included. */
  readonly attempts: SandboxAttempt[];
  sandboxId?: string;
  /** The sandbox's IP (PodSandboxStatus), written as status.podIP. */
  ip?: string;
  /** When the status write with the pod IP returned (epoch ms). */
  statusAt?: number;
  /** When the kubelet saw the deletion: a deletionTimestamp, or the object gone. */
  deletionSeenAt?: number;
  /** When RemovePodSandbox returned. */
  sandboxRemovedAt?: number;
  /** When the API object was deleted with grace period 0. */
  finalizedAt?: number;
  /** When the kubelet was done with the deleted pod: sandbox removed, deletion finalized if needed. */
  terminatedAt?: number;
  /** Failures other than RunPodSandbox's (status writes, teardown), each retried. */
  readonly errors: string[];
}

export interface PodWorkerContext {
  readonly core: CoreV1Api;
  readonly cri: CriClient;
  /** The node's primary IP: the pod's hostIP. */
  readonly hostIp: string;
  readonly startDelayMs: number;
  /**
   * Between failed attempts (doubling). kubelet re-syncs a pod whose sandbox failed after about
   * 10 s (its pod workers' backOffPeriod, jittered); tests default to less.
   */
  readonly backoff: { readonly minMs: number; readonly maxMs: number };
  /** Aborted by the kubelet's stop(): waits and retries end. */
  readonly signal: AbortSignal;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const httpCode = (e: unknown) => (e as { code?: unknown }).code;

export class PodWorker {
  readonly record: PodRecord;
  private readonly ctx: PodWorkerContext;
  /** Aborted once the pod is being deleted: a start not yet done stops where it is. */
  private readonly deleting = new AbortController();
  /** Ends the start: the pod being deleted, or the kubelet stopping. */
  private readonly startSignal: AbortSignal;
  private readonly started: Promise<void>;
  private terminated: Promise<void> | undefined;
  private removing: Promise<void> | undefined;

  constructor(ctx: PodWorkerContext, pod: V1Pod, seenAt: number) {
    this.ctx = ctx;
    this.startSignal = AbortSignal.any([ctx.signal, this.deleting.signal]);
    const m = pod.metadata!;
    this.record = { namespace: m.namespace!, name: m.name!, uid: m.uid!, seenAt, attempts: [], errors: [] };
    // A pod first seen already being deleted gets no sandbox, only its deletion finalized.
    this.started = m.deletionTimestamp
      ? Promise.resolve()
      : this.start().catch((e: unknown) => {
          if (!this.startSignal.aborted) this.record.errors.push(`start: ${message(e)}`);
        });
  }

  /** The pod is being deleted (`inApi`: its object still exists, with a deletionTimestamp) or is gone. */
  terminate(inApi: boolean): Promise<void> {
    this.record.deletionSeenAt ??= Date.now();
    this.deleting.abort();
    this.terminated ??= this.teardown(inApi).catch((e: unknown) => {
      if (!this.ctx.signal.aborted) this.record.errors.push(`teardown: ${message(e)}`);
    });
    return this.terminated;
  }

  /** For the kubelet's stop(): waits for what is in flight, removes the sandbox; what failed, said. */
  async close(): Promise<string | undefined> {
    this.deleting.abort();
    await this.started;
    await this.terminated;
    return this.removeSandbox().then(
      () => undefined,
      (e: unknown) => `${this.record.namespace}/${this.record.name}: ${message(e)}`,
    );
  }

  /**
   * Retries `fn` with the backoff until it succeeds, `signal` aborts, or `o.fatal` says stop; each
   * failure goes into the record's errors under `o.what`, when given.
   */
  private retry<T>(fn: () => Promise<T>, signal: AbortSignal, o: { what?: string; fatal?: (e: unknown) => boolean } = {}): Promise<T> {
    const { minMs, maxMs } = this.ctx.backoff;
    return pRetry(
      async () => {
        try {
          return await fn();
        } catch (e) {
          // p-retry gives up at once on a TypeError; kubelet would not (undici throws them).
          throw e instanceof TypeError ? new Error(e.message, { cause: e }) : e;
        }
      },
      {
        retries: Infinity,
        minTimeout: minMs,
        maxTimeout: maxMs,
        signal,
        shouldRetry: ({ error }) => !o.fatal?.(error),
        onFailedAttempt: ({ error }) => {
          if (o.what) this.record.errors.push(`${o.what}: ${error.message}`);
        },
      },
    );
  }

  private async start(): Promise<void> {
    const r = this.record;
    const signal = this.startSignal;
    const wait = r.seenAt + this.ctx.startDelayMs - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal });
    signal.throwIfAborted();
    // Its failures are recorded in its attempts.
    await this.retry(
      async () => {
        const attempt: SandboxAttempt = { calledAt: Date.now() };
        r.attempts.push(attempt);
        try {
          r.sandboxId = await this.ctx.cri.runPodSandbox({ name: r.name, namespace: r.namespace, uid: r.uid });
          attempt.returnedAt = Date.now();
        } catch (e) {
          attempt.returnedAt = Date.now();
          attempt.error = message(e);
          await this.removeStrays();
          throw e;
        }
      },
      signal,
    );
    const status = await this.ctx.cri.podSandboxStatus(r.sandboxId!);
    r.ip = status.ip;
    if (!r.ip) throw new Error(`sandbox ${r.sandboxId} has no IP`);
    // 404: the pod is gone; 409: a new pod took its name (the UID precondition failed).
    await this.retry(() => this.writeStatus(r.ip!), signal, { what: 'status', fatal: (e) => httpCode(e) === 404 || httpCode(e) === 409 });
    r.statusAt = Date.now();
  }

  /** A failed RunPodSandbox normally leaves nothing; kubelet removes whatever it did leave of the pod. */
  private async removeStrays(): Promise<void> {
    const strays = (await this.ctx.cri.listPodSandbox().catch(() => [])).filter((s) => s.uid === this.record.uid);
    for (const s of strays) {
      await this.ctx.cri.stopPodSandbox(s.id).catch(() => undefined);
      await this.ctx.cri.removePodSandbox(s.id).catch(() => undefined);
    }
  }

  /** The pod's status as kubelet's status manager patches it (strategic merge, the UID as precondition). */
  private async writeStatus(ip: string): Promise<void> {
    const r = this.record;
    const now = kubeTime();
    const conditions = ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready', 'PodScheduled'].map((type) => ({
      type,
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: now,
    }));
    const hostIp = this.ctx.hostIp;
    await this.ctx.core.patchNamespacedPodStatus(
      {
        name: r.name,
        namespace: r.namespace,
        body: {
          metadata: { uid: r.uid },
          status: {
            phase: 'Running',
            hostIP: hostIp,
            hostIPs: [{ ip: hostIp }],
            podIP: ip,
            podIPs: [{ ip }],
            startTime: kubeTime(r.seenAt),
            conditions,
          },
        },
      },
      STRATEGIC_MERGE,
    );
  }

  private async teardown(inApi: boolean): Promise<void> {
    const r = this.record;
    await this.started; // a RunPodSandbox in flight finishes first; its sandbox is removed below
    await this.retry(() => this.removeSandbox(), this.ctx.signal, { what: 'RemovePodSandbox' });
    if (inApi) await this.finalize();
    r.terminatedAt = Date.now();
  }

  /** Deletes the API object with grace period 0, as kubelet does once the pod's sandbox is gone. */
  private async finalize(): Promise<void> {
    const r = this.record;
    // Gone already (404), or a new pod of the same name (409: the UID precondition failed): done.
    const finished = (e: unknown) => httpCode(e) === 404 || httpCode(e) === 409;
    await this.retry(
      () =>
        this.ctx.core
          .deleteNamespacedPod({ name: r.name, namespace: r.namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid: r.uid } } })
          .catch((e: unknown) => {
            if (!finished(e)) throw e;
          }),
      this.ctx.signal,
      { what: 'delete' },
    );
    r.finalizedAt = Date.now();
  }

  /** StopPodSandbox then RemovePodSandbox (CNI DEL runs in the first); once done, done for good. */
  private removeSandbox(): Promise<void> {
    const id = this.record.sandboxId;
    if (!id || this.record.sandboxRemovedAt) return Promise.resolve();
    this.removing ??= (async () => {
      await this.ctx.cri.stopPodSandbox(id);
      await this.ctx.cri.removePodSandbox(id);
      this.record.sandboxRemovedAt = Date.now();
    })().finally(() => {
      this.removing = undefined;
    });
    return this.removing;
  }
}
