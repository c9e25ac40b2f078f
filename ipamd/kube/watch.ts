/**
 * A watched collection that outlives its API server: client-node's ListWatch (list, then watch
 * from the list's resourceVersion; on 410 Gone it lists again and reports what vanished as
 * deletes, so no event is lost), restarted with capped backoff after any error, including the API
 * server going away. Never blocks ipamd: `synced` resolves at the first complete list, and until
 * then the cache is simply empty.
 */
import type { Logger } from '../logger.ts';
import type { IpamdError } from '../errors.ts';
import type * as k8s from '@kubernetes/client-node';
import { kubeClient, kubeError } from './client.ts';

export interface WatchOptions<T> {
  readonly kc: k8s.KubeConfig;
  /** e.g. /api/v1/nodes */
  readonly path: string;
  /** What it is, for logs: 'Node ip-10-0-0-1', 'ENIConfigs'. */
  readonly what: string;
  /** The RBAC verbs and resource the list needs, for a forbidden error: 'list nodes'. */
  readonly list: () => Promise<k8s.KubernetesListObject<T & k8s.KubernetesObject>>;
  readonly fieldSelector?: string;
  readonly logger: Logger;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export class Watched<T extends k8s.KubernetesObject> {
  readonly #o: WatchOptions<T>;
  readonly #lw: k8s.ListWatch<T>;
  #backoff: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #synced = false;
  #markSynced!: () => void;
  /** Resolves at the first complete list. */
  readonly synced: Promise<void>;
  /** The last error, until the next successful list or watch event. */
  lastError: IpamdError | undefined;
  errors = 0;

  constructor(o: WatchOptions<T>) {
    this.#o = o;
    this.#backoff = o.minBackoffMs ?? 200;
    this.synced = new Promise((resolve) => (this.#markSynced = resolve));
    const list = async () => {
      const l = await o.list();
      // ListWatch adds the listed items right after this resolves, in the same tick.
      setImmediate(() => this.#onSynced());
      return l;
    };
    this.#lw = new (kubeClient().ListWatch)<T>(o.path, new (kubeClient().Watch)(o.kc), list, false, undefined, o.fieldSelector);
    this.#lw.on('error', (e: unknown) => this.#onError(e));
    this.#lw.on('add', () => this.#healthy());
    this.#lw.on('update', () => this.#healthy());
  }

  get isSynced(): boolean {
    return this.#synced;
  }

  start(): void {
    void this.#lw.start();
  }

  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void {
    this.#lw.on(verb, cb);
  }

  list(): readonly T[] {
    return this.#lw.list();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#lw.get(name, namespace);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#lw.stop();
  }

  #onSynced(): void {
    this.#healthy();
    if (this.#synced) return;
    this.#synced = true;
    this.#o.logger.info('watch synced', { watch: this.#o.what, objects: this.#lw.list().length });
    this.#markSynced();
  }

  #healthy(): void {
    if (this.lastError) this.#o.logger.info('watch resumed', { watch: this.#o.what, after: this.lastError.message });
    this.lastError = undefined;
    this.#backoff = this.#o.minBackoffMs ?? 200;
  }

  #onError(e: unknown): void {
    if (this.#stopped) return;
    this.errors++;
    const err = kubeError(`watching ${this.#o.what}`, e);
    const repeated = this.lastError?.message === err.message;
    this.lastError = err;
    // Once per distinct error: an API server down for minutes must not flood the log.
    if (!repeated) this.#o.logger[err.code === 'IPAMD_KUBE_FORBIDDEN' ? 'error' : 'warn'](err.message, { code: err.code, retryInMs: this.#backoff });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#stopped) void this.#lw.start();
    }, this.#backoff);
    this.#timer.unref();
    this.#backoff = Math.min(this.#backoff * 2, this.#o.maxBackoffMs ?? 10_000);
  }
}
