/**
 * One home for how ipamd's HTTP endpoints listen (issue 13): the metrics endpoint on TCP, the
 * introspection endpoint on TCP or a unix socket. A unix socket goes through the same steps as the
 * allocation API's (api/socket.ts): a directory ipamd owns, a stale socket replaced and a live one
 * never stolen, the socket 0600 before anyone can reach it, only our own removed on close.
 * A failure to listen names the variable that chose the address.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prepareSocketPath, publishSocket, removeSocket, type SocketIdentity } from '../api/socket.ts';
import type { ListenAddress } from '../env-parse.ts';
import { IpamdError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { TimerHandle, Timers } from '../timers.ts';

export interface HttpEndpoint {
  /** `host:port` as bound (the real port when 0 was asked for in tests), or `unix:/path`. */
  readonly address: string;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export async function listenHttp(
  listen: ListenAddress,
  handler: Handler,
  opts: { variable: string; logger: Logger; what: string },
): Promise<HttpEndpoint> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((e: unknown) => {
      opts.logger.warn(`${opts.what} request failed`, { url: req.url, error: String(e) });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal error' }));
    });
  });
  // Slow or idle clients must not pile up connections in a node daemon (upstream: 5 s timeouts).
  server.requestTimeout = 5000;
  server.headersTimeout = 5000;
  server.keepAliveTimeout = 5000;
  const fail = (e: unknown, where: string): never => {
    throw new IpamdError('IPAMD_CONFIG_INVALID', `${opts.variable}: cannot listen on ${where} for ${opts.what}: ${(e as Error).message}`, { cause: e });
  };
  if (listen.kind === 'unix') {
    const temp = await prepareSocketPath(listen.path, opts.logger).catch((e: unknown) => fail(e, `unix:${listen.path}`));
    await bind(server, (s) => s.listen(temp)).catch((e: unknown) => fail(e, `unix:${listen.path}`));
    let ours: SocketIdentity;
    try {
      ours = await publishSocket(temp, listen.path);
    } catch (e) {
      await closeServer(server);
      return fail(e, `unix:${listen.path}`);
    }
    return {
      address: `unix:${listen.path}`,
      async close() {
        await closeServer(server);
        await removeSocket(listen.path, ours).catch(() => undefined);
      },
    };
  }
  const where = `${listen.host ?? ''}:${listen.port}`;
  await bind(server, (s) => (listen.host === undefined ? s.listen(listen.port) : s.listen(listen.port, listen.host))).catch((e: unknown) => fail(e, where));
  const a = server.address() as AddressInfo;
  return {
    address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () => closeServer(server),
  };
}

export interface RetriedEndpoint {
  /** The bound address, or undefined while it could not listen yet. */
  address(): string | undefined;
  /** Resolves once listening (tests and the daemon's log); never rejects. */
  readonly listening: Promise<string>;
  close(): Promise<void>;
}

/**
 * Listens, and when it cannot (the port taken, the address not on this host) logs the reason
 * naming the variable and tries again with backoff up to a minute, as upstream's ServeMetrics
 * does: observability must never keep a node from getting pods.
 */
export function listenHttpWithRetry(
  listen: ListenAddress,
  handler: Handler,
  opts: { variable: string; logger: Logger; what: string; timers: Timers },
): RetriedEndpoint {
  let endpoint: HttpEndpoint | undefined;
  let timer: TimerHandle | undefined;
  let closed = false;
  let delay = 1000;
  let attempt: Promise<void> = Promise.resolve();
  let announce: (address: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => (announce = resolve));
  const tryListen = (): Promise<void> =>
    listenHttp(listen, handler, opts).then(
      async (e) => {
        if (closed) return e.close();
        endpoint = e;
        opts.logger.info(`${opts.what} listening`, { address: e.address });
        announce(e.address);
      },
      (e: unknown) => {
        if (closed) return;
        opts.logger.warn(`${opts.what} not served; retrying`, { error: (e as Error).message, retryInMs: delay });
        timer = opts.timers.setTimeout(() => void (attempt = tryListen()), delay);
        delay = Math.min(delay * 2, 60_000);
      },
    );
  attempt = tryListen();
  return {
    address: () => endpoint?.address,
    listening,
    async close() {
      closed = true;
      if (timer !== undefined) opts.timers.clearTimeout(timer);
      await attempt;
      await endpoint?.close();
    },
  };
}

function bind(server: Server, listen: (s: Server) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    listen(server);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A JSON answer; 2-space indentation, as an operator reads it with curl. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
