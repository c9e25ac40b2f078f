/**
 * ipamd's metrics endpoint (issue 13): `GET /metrics` on VPCWIRE_METRICS_BIND_ADDRESS (upstream's
 * `:61678`). prom-client is loaded here, by import(), only when metrics are on: with
 * DISABLE_METRICS=true no port is opened and prom-client never loaded.
 */
import { METRICS_PATH } from '../../contract/metrics.ts';
import type { ListenAddress } from '../env-parse.ts';
import type { Logger } from '../logger.ts';
import type { Timers } from '../timers.ts';
import { listenHttpWithRetry, type RetriedEndpoint } from './http-listen.ts';
import type { IpamdMetrics } from './prometheus.ts';

export async function createMetrics(version: string): Promise<IpamdMetrics> {
  const { IpamdMetrics } = await import('./prometheus.ts');
  return new IpamdMetrics({ version });
}

export function serveMetrics(metrics: IpamdMetrics, listen: ListenAddress, logger: Logger, timers: Timers): RetriedEndpoint {
  return listenHttpWithRetry(
    listen,
    async (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path !== METRICS_PATH) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found; metrics are at ${METRICS_PATH}\n`);
        return;
      }
      const text = await metrics.scrape();
      res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    { variable: 'VPCWIRE_METRICS_BIND_ADDRESS', logger, what: 'metrics endpoint', timers },
  );
}
