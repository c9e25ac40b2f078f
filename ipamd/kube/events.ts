/**
 * Events (events.k8s.io/v1) on the right object, deduplicated and rate-limited (issue 11 item 4).
 * The same reason and note about the same object is one Event: a repeat only raises its series
 * count, patched at most once per `repeatMs`. Posting never blocks ipamd: Events wait in a bounded
 * queue and are retried with backoff, so an API server that is away for a while costs no Event.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { NoticeReason, Notices } from '../notices.ts';
import type * as k8s from '@kubernetes/client-node';
import { kubeClient, kubeError, statusOf } from './client.ts';
import type { Watched } from './watch.ts';

export const REPORTING_CONTROLLER = 'vpcwire.io/ipamd';

/**
 * A MicroTime as the API server parses it (RFC 3339 with exactly six fractional digits). The
 * client would send a Date with three, which the server refuses; the string passes through.
 */
function microTime(d: Date): Date {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
}

interface Regarding {
  readonly kind: 'Node' | 'Pod';
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
}

interface Pending {
  readonly regarding: Regarding;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly note: string;
  readonly action: string;
  readonly name: string;
  readonly namespace: string;
  readonly firstSeen: Date;
  count: number;
  lastSeen: Date;
  /** Count last written to the API server; 0 = not created yet. */
  sentCount: number;
  lastSentAt: number;
}

export interface EventRecorderOptions {
  readonly kc: k8s.KubeConfig;
  readonly nodeName: string;
  readonly node: Watched<k8s.V1Node>;
  readonly logger: Logger;
  /** A repeated Event's count is patched at most this often. */
  readonly repeatMs?: number;
  /** API calls per second, and the burst. */
  readonly ratePerSec?: number;
  readonly burst?: number;
  /** Distinct Events kept (dedup memory); the oldest already posted are forgotten first. */
  readonly maxKept?: number;
}

export class EventRecorder implements Notices {
  readonly #o: EventRecorderOptions;
  readonly #api: k8s.EventsV1Api;
  readonly #events = new Map<string, Pending>();
  #tokens: number;
  #lastRefill = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #backoffMs = 0;
  #flushing = false;
  #stopped = false;
  #lastRefusal: string | undefined;
  /** Events created and patched, for tests and status. */
  created = 0;
  patched = 0;

  constructor(o: EventRecorderOptions) {
    this.#o = o;
    this.#api = o.kc.makeApiClient(kubeClient().EventsV1Api);
    this.#tokens = o.burst ?? 10;
  }

  warn(reason: NoticeReason, note: string, action: string): void {
    this.record({ kind: 'Node', name: this.#o.nodeName }, 'Warning', reason, note, action);
  }

  record(regarding: Regarding, type: 'Normal' | 'Warning', reason: string, note: string, action: string): void {
    if (this.#stopped) return;
    const n = note.length > 1000 ? `${note.slice(0, 997)}...` : note;
    const key = `${regarding.kind}/${regarding.namespace ?? ''}/${regarding.name}/${type}/${reason}/${n}`;
    const now = new Date();
    const seen = this.#events.get(key);
    if (seen) {
      seen.count++;
      seen.lastSeen = now;
    } else {
      this.#events.set(key, {
        regarding, type, reason, note: n, action,
        name: `${regarding.name}.${randomBytes(8).toString('hex')}`,
        namespace: regarding.namespace ?? 'default',
        firstSeen: now, lastSeen: now, count: 1, sentCount: 0, lastSentAt: 0,
      });
      this.#forgetOld();
    }
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** Events not yet written as they stand (for tests: 0 once everything reached the API server). */
  get pending(): number {
    const now = Date.now();
    return [...this.#events.values()].filter((e) => this.#due(e, now) || e.sentCount < e.count && e.sentCount === 0).length;
  }

  #due(e: Pending, now: number): boolean {
    if (e.sentCount === 0) return true;
    return e.count > e.sentCount && now - e.lastSentAt >= (this.#o.repeatMs ?? 60_000);
  }

  #forgetOld(): void {
    const max = this.#o.maxKept ?? 256;
    for (const [key, e] of this.#events) {
      if (this.#events.size <= max) break;
      if (e.sentCount > 0) this.#events.delete(key);
    }
  }

  #schedule(ms: number): void {
    if (this.#stopped || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#flush();
    }, ms);
    this.#timer.unref();
  }

  #take(): boolean {
    const now = Date.now();
    const rate = this.#o.ratePerSec ?? 2;
    this.#tokens = Math.min(this.#o.burst ?? 10, this.#tokens + ((now - this.#lastRefill) / 1000) * rate);
    this.#lastRefill = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }

  async #flush(): Promise<void> {
    if (this.#flushing || this.#stopped) return;
    this.#flushing = true;
    let next: number | undefined;
    try {
      const now = Date.now();
      for (const e of this.#events.values()) {
        if (!this.#due(e, now)) {
          if (e.count > e.sentCount) next = Math.min(next ?? Infinity, e.lastSentAt + (this.#o.repeatMs ?? 60_000) - now);
          continue;
        }
        if (!this.#take()) {
          next = 1000 / (this.#o.ratePerSec ?? 2);
          break;
        }
        await this.#send(e);
      }
      this.#backoffMs = 0;
    } catch (err) {
      this.#backoffMs = Math.min(Math.max(this.#backoffMs * 2, 500), 30_000);
      next = this.#backoffMs;
      const error = kubeError('posting an Event', err);
      // Unreachable is expected (retried quietly); a refusal (RBAC, validation) must be seen, once.
      const refused = (statusOf(err) ?? 0) >= 400;
      if (refused && error.message !== this.#lastRefusal) this.#o.logger.warn('event refused by the API server; will retry', { error: error.message, code: error.code });
      else if (!refused) this.#o.logger.debug('event not posted yet; will retry', { error: error.message, retryInMs: next });
      if (refused) this.#lastRefusal = error.message;
    } finally {
      this.#flushing = false;
    }
    if (next !== undefined) this.#schedule(Math.max(0, next));
  }

  async #send(e: Pending): Promise<void> {
    const count = e.count;
    if (e.sentCount === 0) {
      const uid = e.regarding.uid ?? (e.regarding.kind === 'Node' ? this.#o.node.list()[0]?.metadata?.uid : undefined);
      const body: k8s.EventsV1Event = {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: e.name, namespace: e.namespace },
        eventTime: microTime(e.firstSeen),
        reportingController: REPORTING_CONTROLLER,
        reportingInstance: `ipamd-${this.#o.nodeName}`.slice(0, 128),
        action: e.action.slice(0, 128),
        reason: e.reason,
        note: e.note,
        type: e.type,
        regarding: {
          apiVersion: 'v1',
          kind: e.regarding.kind,
          name: e.regarding.name,
          ...(e.regarding.namespace ? { namespace: e.regarding.namespace } : {}),
          ...(uid ? { uid } : {}),
        },
        ...(count > 1 ? { series: { count, lastObservedTime: microTime(e.lastSeen) } } : {}),
      };
      try {
        await this.#api.createNamespacedEvent({ namespace: e.namespace, body });
        this.created++;
      } catch (err) {
        // A create that reached the server before a lost answer: the Event exists; patch it next.
        if (statusOf(err) !== 409) throw err;
      }
    } else {
      const patch = [{ op: 'add', path: '/series', value: { count, lastObservedTime: microTime(e.lastSeen) } }];
      try {
        await this.#api.patchNamespacedEvent({ name: e.name, namespace: e.namespace, body: patch });
        this.patched++;
      } catch (err) {
        // Gone (expired by the API server's event TTL): make it again.
        if (statusOf(err) !== 404) throw err;
        e.sentCount = 0;
        return this.#send(e);
      }
    }
    e.sentCount = count;
    e.lastSentAt = Date.now();
    this.#o.logger.info('event posted', { reason: e.reason, regarding: `${e.regarding.kind}/${e.regarding.name}`, count });
  }
}
