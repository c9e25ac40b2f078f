/**
 * The publisher's loop: list and scrape every scrape interval, send a period every publish
 * interval, then store the new baselines. Nothing here ends the loop: a failed listing, scrape,
 * send or store is logged and the next cycle tries again (a failed send or store leaves the
 * baselines where they were, so the period's increments go out with the next one).
 */
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { readExposition, type Reading } from './exposition.ts';
import type { Ledger, LedgerState } from './ledger.ts';
import type { Log } from './log.ts';
import { type Sender, SendError, toMetricDatum } from './cloudwatch.ts';
import { StateConflictError, type StateStore } from './state-store.ts';
import { scrapeAll, type Scraper, type Target } from './targets.ts';

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
}

export interface CycleReport {
  readonly targets: number;
  readonly scraped: number;
  readonly failed: number;
}

export class Publisher {
  private sending = false;
  /** The send in progress, awaited on shutdown so a period is never half recorded. */
  inFlight: Promise<boolean> = Promise.resolve(true);
  private readonly p: PublisherPorts;
  constructor(ports: PublisherPorts) {
    this.p = ports;
  }

  get log(): Log {
    return this.p.log;
  }

  /** One scrape cycle into the ledger. */
  async scrapeOnce(): Promise<CycleReport> {
    let targets: Target[];
    try {
      targets = await this.p.list();
    } catch (e) {
      this.p.log('error', 'listing ipamd pods failed', { error: (e as Error).message });
      return { targets: 0, scraped: 0, failed: 0 };
    }
    const texts = await scrapeAll(targets, this.p.scrape, this.p.scrapeTimeoutMs);
    const readings = new Map<string, Reading>();
    let failed = 0;
    for (const [key, t] of texts) {
      try {
        if (t instanceof Error) throw t;
        readings.set(key, readExposition(t));
      } catch (e) {
        failed++;
        this.p.log('warn', 'scrape failed', { pod: key, error: (e as Error).message });
      }
    }
    this.p.ledger.observe(targets, readings);
    this.p.log('debug', 'scraped', { targets: targets.length, scraped: readings.size, failed });
    return { targets: targets.length, scraped: readings.size, failed };
  }

  /** Sends the period and stores the baselines; false when it has to be carried over. */
  publishOnce(): Promise<boolean> {
    if (this.sending) return Promise.resolve(false); // the send still retrying carries this period
    this.sending = true;
    this.inFlight = this.publishPeriod().finally(() => {
      this.sending = false;
    });
    return this.inFlight;
  }

  private async publishPeriod(): Promise<boolean> {
    const { datums, next } = this.p.ledger.close({ perNode: this.p.nodeDimension });
    if (datums.length === 0) {
      this.p.log('info', 'nothing to publish (no ipamd answered yet)');
      return true;
    }
    const data: MetricDatum[] = datums.map((d) => toMetricDatum(d, this.p.clusterId));
    // Sent: the baselines move at once whatever the store says, so this process never sends the
    // increments twice. A failed store is written again with the next period; only a publisher
    // that dies before then would resend this one (the log says so).
    let sent: { calls: number; retries: number } | undefined;
    let stored: LedgerState;
    try {
      sent = await this.p.sender.send(data);
      stored = this.p.ledger.commit(next);
    } catch (e) {
      const accepted = e instanceof SendError ? e.accepted : 0;
      this.p.log('error', 'PutMetricData failed; what was not sent is carried into the next period', { error: (e as Error).message, accepted, of: data.length });
      if (accepted === 0) return false;
      // Part of the period went out (it took several calls): the metrics whose datums were all
      // accepted move on, the others are carried, so nothing is sent twice.
      const sentMetrics = new Set(datums.map((d) => d.metric.name));
      for (const d of datums.slice(accepted)) sentMetrics.delete(d.metric.name);
      stored = this.p.ledger.commit(next, sentMetrics);
    }
    try {
      await this.p.store.save(stored);
    } catch (e) {
      this.p.log('error', 'storing the baselines failed after the period was sent; retried with the next period', { error: (e as Error).message });
      if (e instanceof StateConflictError) await this.p.store.load().catch(() => undefined);
      return false;
    }
    if (!sent) return false;
    this.p.log('info', 'published', { datums: data.length, calls: sent.calls, retries: sent.retries, tracked: this.p.ledger.tracked });
    return true;
  }
}

/** Runs both timers until `signal` aborts; the first scrape right away, the first send one interval later. */
export async function runPublisher(pub: Publisher, o: { scrapeIntervalMs: number; publishIntervalMs: number; signal: AbortSignal }): Promise<void> {
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
  await pub.inFlight.catch(() => undefined);
}
