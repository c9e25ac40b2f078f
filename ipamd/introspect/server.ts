/**
 * The introspection endpoint (issue 13; upstream's :61679): GET a route, get JSON. On
 * INTROSPECTION_BIND_ADDRESS, loopback by default (it shows the node's pods), or `unix:/path` (a
 * socket 0600, so only root on the node reads it). Other modules bring their own routes (the
 * address history's `/v1/history`) through `routes`; an unknown route answers 404 naming the
 * known ones.
 */
import type { ListenAddress } from '../env-parse.ts';
import type { Logger } from '../logger.ts';
import { listenHttpWithRetry, type RetriedEndpoint, sendJson } from '../metrics/http-listen.ts';
import type { Timers } from '../timers.ts';
import type { Routes } from './routes.ts';

export function serveIntrospection(opts: { listen: ListenAddress; routes: Routes; logger: Logger; timers: Timers }): RetriedEndpoint {
  const known = Object.keys(opts.routes).sort();
  return listenHttpWithRetry(
    opts.listen,
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://introspection');
      if (req.method !== 'GET') {
        res.setHeader('allow', 'GET');
        return sendJson(res, 405, { error: `method ${req.method} not allowed; GET a route`, routes: known });
      }
      const route = Object.hasOwn(opts.routes, url.pathname) ? opts.routes[url.pathname] : undefined;
      if (!route) return sendJson(res, 404, { error: `no route ${url.pathname}`, routes: known });
      const { status, body, headers } = await route(url.searchParams);
      sendJson(res, status, body, headers);
    },
    { variable: 'INTROSPECTION_BIND_ADDRESS', logger: opts.logger, what: 'introspection endpoint', timers: opts.timers },
  );
}
