/**
 * ipamd's observability wiring (issue 13): the metrics registry (only when metrics are on: with
 * DISABLE_METRICS=true prom-client is never loaded), the allocation API timed and counted, and the
 * metrics and introspection endpoints started once ipamd serves. The daemon calls these; nothing
 * else in ipamd knows whether metrics are on (it talks to a MetricsPort, a no-op when off).
 */
import { readFileSync } from 'node:fs';
import type { IpamHandlers } from './api/handlers.ts';
import type { Config } from './config.ts';
import type { Datastore } from './datastore/datastore.ts';
import type { DriftLog } from './drift.ts';
import type { HistoryJournal } from './history/journal.ts';
import { historyRoute } from './history/route.ts';
import { ipamdRoutes, type Routes } from './introspect/routes.ts';
import { serveIntrospection } from './introspect/server.ts';
import type { Logger } from './logger.ts';
import { createMetrics, serveMetrics } from './metrics/endpoint.ts';
import type { RetriedEndpoint } from './metrics/http-listen.ts';
import { readPool } from './metrics/pool-reading.ts';
import { type MetricsPort, noMetrics } from './metrics/port.ts';
import type { IpamdMetrics } from './metrics/prometheus.ts';
import type { Reconciler } from './reconciler.ts';
import type { Timers } from './timers.ts';

/** The registry when metrics are on; undefined (and prom-client not loaded) when off. */
export async function metricsFor(config: Config): Promise<IpamdMetrics | undefined> {
  if (!config.metricsListen) return undefined;
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return createMetrics(version);
}

/** The allocation API as the metrics see it: each ADD and DEL counted and timed, failures by kind. */
export function measuredHandlers(handlers: IpamHandlers, metrics: MetricsPort): IpamHandlers {
  if (metrics === noMetrics) return handlers;
  const seconds = (t0: number) => (performance.now() - t0) / 1000;
  return {
    ...handlers,
    async add(req) {
      const t0 = performance.now();
      try {
        const r = await handlers.add(req);
        metrics.ipamRequest('add', seconds(t0), { ok: true });
        return r;
      } catch (e) {
        const poolEmpty = (e as { code?: string }).code === 'IPAMD_DATASTORE_POOL_EMPTY';
        metrics.ipamRequest('add', seconds(t0), { ok: false, poolEmpty });
        throw e;
      }
    },
    async del(req) {
      const t0 = performance.now();
      try {
        const r = await handlers.del(req);
        metrics.ipamRequest('del', seconds(t0), { ok: true, delReason: req.reason });
        return r;
      } catch (e) {
        metrics.ipamRequest('del', seconds(t0), { ok: false, delReason: req.reason });
        throw e;
      }
    },
  };
}

export interface Endpoints {
  readonly metrics: RetriedEndpoint | undefined;
  readonly introspection: RetriedEndpoint | undefined;
  close(): Promise<void>;
}

/** Starts whichever endpoints are on; a port that cannot be had is retried in the background. */
export function startEndpoints(o: {
  config: Config;
  logger: Logger;
  timers: Timers;
  metrics: IpamdMetrics | undefined;
  store: Datastore;
  reconciler: Reconciler;
  drift: DriftLog;
  instanceId: string;
  now: () => number;
  /** The address history's writer (its counts become metrics); undefined with VPCWIRE_HISTORY=false. */
  history: HistoryJournal | undefined;
  /** Routes a caller adds (a test's), beside ipamd's own and the address history's /v1/history. */
  routes?: Routes;
}): Endpoints {
  const { config, logger, timers } = o;
  o.metrics?.setSources({
    pool: () => readPool(o.store, o.reconciler, config, o.now()),
    drift: () => ({ found: o.drift.counts(), repaired: o.drift.repairedCounts() }),
    history: () => o.history?.stats(),
  });
  const metrics = o.metrics && config.metricsListen ? serveMetrics(o.metrics, config.metricsListen, logger, timers) : undefined;
  const introspection = config.introspectionListen
    ? serveIntrospection({
        listen: config.introspectionListen,
        routes: {
          ...ipamdRoutes({ store: o.store, reconciler: o.reconciler, config, drift: o.drift, instanceId: o.instanceId, now: o.now, env: process.env }),
          '/v1/history': historyRoute({ dir: config.history?.dir, now: o.now }),
          ...o.routes,
        },
        logger,
        timers,
      })
    : undefined;
  return {
    metrics,
    introspection,
    async close() {
      await Promise.all([metrics?.close(), introspection?.close()]);
    },
  };
}
