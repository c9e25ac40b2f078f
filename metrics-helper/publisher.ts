/**
 * The publisher's loop: list and scrape every scrape interval, send a period every publish
 * interval, then store the new baselines. Nothing here ends the loop: a failed listing, scrape,
 * send or store is logged and the next cycle tries again (a failed send or store leaves the
 * baselines where they were, so the period's increments go out with the next one).
 *
 * Scrape cycles never overlap (a tick that finds one running is skipped), so one pod's readings
 * reach the ledger in the order they were taken; each is stamped, and the ledger drops one older
 * than the last it saw. Sends never overlap either (a period that finds one in flight is skipped
 * and carried). Only readings younger than maxReadingAgeMs count: during an outage (the API server
 * cannot be listed, ipamds do not answer) nothing is sent rather than the last figures again.
 */
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { readExposition, type Reading } from './exposition.ts';
import type { Ledger, LedgerState, Period } from './ledger.ts';
import type { Log } from './log.ts';
import { type Sender, SendError, toMetricDatum } from './cloudwatch.ts';
import { StateConflictError, type StateStore } from './state-store.ts';
import { scrapeAll, type Scraper, type Target } from './targets.ts';

/** A reading counts for this many scrape intervals (one missed scrape is tolerated, not two). */
export const MAX_READING_AGE_SCRAPES = 2;

export interface PublisherPorts {
  readonly ledger: Ledger;
  readonly list: () => Promise<Target[]>;
  readonly scrape: Scraper;
  readonly sender: Sender;
  readonly store: StateStore;
  readonly log: Log;
  readonly clusterId: string;
  readonly nodeDimension: boolean;
  readonly scrapeTimeoutMs: number;
  /** Readings older than this contribute nothing (MAX_READING_AGE_SCRAPES scrape intervals). */
  readonly maxReadingAgeMs: number;
  readonly now?: () => number;
}

export interface CycleReport {
  readonly targets: number;
  readonly scraped: number;
  readonly failed: number;
  /** The previous cycle was still running: this one did nothing. */
  readonly skipped?: true;
}

export class Publisher {
  private scraping = false;
  private sending = false;
  private sendAbort: AbortController | undefined;
  private listError: string | undefined;
  /** The send in progress, awaited on shutdown so a period is never half recorded. */
  inFlight: Promise<boolean> = Promise.resolve(true);
  private readonly p: PublisherPorts;
  private readonly now: () => number;
  constructor(ports: PublisherPorts) {
    this.p = ports;
    this.now = ports.now ?? Date.now;
  }

  get log(): Log {
    return this.p.log;
  }

  /** One scrape cycle into the ledger; skipped while the previous one runs. */
  async scrapeOnce(): Promise<CycleReport> {
    if (this.scraping) {
      this.p.log('debug', 'scrape tick skipped: the previous cycle is still running');
      return { targets: 0, scraped: 0, failed: 0, skipped: true };
    }
    this.scraping = true;
    try {
      return await this.scrapeCycle();
    } finally {
      this.scraping = false;
    }
  }

  private async scrapeCycle(): Promise<CycleReport> {
    let targets: Target[];
    try {
      targets = await this.p.list();
      this.listError = undefined;
    } catch (e) {
      this.listError = (e as Error).message;
      this.p.log('error', 'listing ipamd pods failed', { error: this.listError });
      return { targets: 0, scraped: 0, failed: 0 };
    }
    // Stamped when each request is sent: the reading is of that moment or later.
    const stamped = async (t: Target) => {
      const at = this.now();
      return { text: await this.p.scrape(t), at };
    };
    const texts = await scrapeAll(targets, stamped, this.p.scrapeTimeoutMs);
    const readings = new Map<string, Reading>();
    let failed = 0;
    for (const [key, t] of texts) {
      try {
        if (t instanceof Error) throw t;
        readings.set(key, readExposition(t.text, t.at));
      } catch (e) {
        failed++;
        this.p.log('warn', 'scrape failed', { pod: key, error: (e as Error).message });
      }
    }
    const { outOfOrder, wentBack } = this.p.ledger.observe(targets, readings);
    for (const pod of outOfOrder) this.p.log('warn', 'reading dropped: older than one already seen for this pod', { pod });
    for (const pod of wentBack) {
      this.p.log('warn', 'reading ignored: counters went back but process_start_time_seconds did not change (not a restart)', { pod, processStart: readings.get(pod)?.processStart });
    }
    this.p.log('debug', 'scraped', { targets: targets.length, scraped: readings.size - wentBack.length - outOfOrder.length, failed });
    return { targets: targets.length, scraped: readings.size, failed };
  }

  /** Sends the period and stores the baselines; false when it has to be carried over. */
  publishOnce(): Promise<boolean> {
    if (this.sending) {
      this.p.log('warn', 'period skipped: the previous send is still in flight; its increments go out with the next period');
      return Promise.resolve(false);
    }
    this.sending = true;
    const abort = new AbortController();
    this.sendAbort = abort;
    this.inFlight = this.publishPeriod(abort.signal).finally(() => {
      this.sending = false;
      this.sendAbort = undefined;
    });
    return this.inFlight;
  }

  /** Gives up the send in flight (shutdown): no more attempts; its period's baselines stay. */
  abandonSend(): void {
    this.sendAbort?.abort(new Error('the publisher is stopping'));
  }

  private async publishPeriod(signal: AbortSignal): Promise<boolean> {
    const period = this.p.ledger.close({ perNode: this.p.nodeDimension, now: this.now(), maxAgeMs: this.p.maxReadingAgeMs });
    if (period.fresh === 0) {
      this.p.log('warn', 'nothing published this period: no ipamd reading is recent enough', { why: this.noReadingsWhy(period), maxReadingAgeMs: this.p.maxReadingAgeMs });
      return false;
    }
    if (period.datums.length === 0) {
      this.p.log('info', 'nothing to publish (the ipamds export none of the metrics)');
      return true;
    }
    const data: MetricDatum[] = period.datums.map((d) => toMetricDatum(d, this.p.clusterId));
    // Sent: the baselines move at once whatever the store says, so this process never sends the
    // increments twice. A failed store is written again with the next period; only a publisher
    // that dies before then would resend this one (the log says so).
    let sent: { calls: number; retries: number } | undefined;
    let stored: LedgerState;
    try {
      sent = await this.p.sender.send(data, { signal });
      stored = this.p.ledger.commit(period);
    } catch (e) {
      const accepted = e instanceof SendError ? e.accepted : 0;
      this.p.log('error', 'PutMetricData failed; what was not sent is carried into the next period', { error: (e as Error).message, accepted, of: data.length });
      if (accepted === 0) return false;
      // Part of the period went out. A metric's datums share one call (cloudwatch.ts batches), and
      // CloudWatch takes a call whole: a metric whose cluster-wide datum was accepted was sent,
      // its baselines move; the others are carried, so nothing is sent twice.
      const acceptedMetrics = new Set(period.datums.slice(0, accepted).filter((d) => d.node === undefined).map((d) => d.metric.name));
      stored = this.p.ledger.commit(period, acceptedMetrics);
    }
    try {
      await this.p.store.save(stored);
    } catch (e) {
      this.p.log('error', 'storing the baselines failed after the period was sent; retried with the next period', { error: (e as Error).message });
      if (e instanceof StateConflictError) await this.p.store.load().catch(() => undefined);
      return false;
    }
    if (!sent) return false;
    this.p.log('info', 'published', { datums: data.length, calls: sent.calls, retries: sent.retries, tracked: this.p.ledger.tracked, stale: period.stale });
    return true;
  }

  private noReadingsWhy(period: Period): string {
    if (this.listError !== undefined) return `listing the ipamd pods fails: ${this.listError}`;
    if (period.stale > 0) return `${period.stale} listed ipamd pod(s) have not answered for ${this.p.maxReadingAgeMs} ms`;
    return 'no ipamd pod is listed, or none has answered yet';
  }
}

/** How long a SIGTERM waits for the send in flight before giving it up (the pod's grace period is 30 s). */
export const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Runs both timers until `signal` aborts; the first scrape right away, the first send one interval
 * later. Then waits up to graceMs for the send in flight; false when it had to be given up.
 */
export async function runPublisher(pub: Publisher, o: { scrapeIntervalMs: number; publishIntervalMs: number; signal: AbortSignal; graceMs?: number }): Promise<boolean> {
  // Nothing a cycle throws may end the process (an unhandled rejection would): logged, and the
  // next tick tries again.
  const guard = (what: string, p: Promise<unknown>) => p.catch((e: unknown) => pub.log('error', `${what} failed unexpectedly`, { error: (e as Error)?.stack ?? String(e) }));
  await guard('scrape', pub.scrapeOnce());
  const scrape = setInterval(() => void guard('scrape', pub.scrapeOnce()), o.scrapeIntervalMs);
  const publish = setInterval(() => void guard('publish', pub.publishOnce()), o.publishIntervalMs);
  await new Promise<void>((resolve) => (o.signal.aborted ? resolve() : o.signal.addEventListener('abort', () => resolve(), { once: true })));
  clearInterval(scrape);
  clearInterval(publish);
  // Increments since the last period stay unsent: the stored baselines give them to the next process.
  const graceMs = o.graceMs ?? SHUTDOWN_GRACE_MS;
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    pub.inFlight.then(() => true, () => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearTimeout(timer);
  if (!settled) {
    pub.log('warn', 'gave up the send in flight to stop; its period is not recorded as sent, so the next publisher sends it', { graceMs });
    pub.abandonSend();
  }
  return settled;
}
