import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, isIPv4, isIPv6 } from 'node:net';
import type { SimHandler, SimRequest, SimResponse } from './types.ts';

/** 127.0.0.0/8, ::1 or ::ffff:127.x.y.z, as IP literals (a name could resolve anywhere). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (isIPv4(h)) return h.startsWith('127.');
  if (!isIPv6(h)) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped) return mapped[1]!.startsWith('127.');
  return /^(0{0,4}:){2,7}0{0,3}1$/.test(h) || h === '::1';
}

/**
 * The emulator answers anyone with credentials it prints, and its admin endpoint rewrites the VPC
 * without any: it serves loopback only. `option` names the setting in the message (`--host`).
 */
export function assertLoopback(host: string, option: string): void {
  if (!isLoopback(host)) {
    throw new Error(
      `${option} must be a loopback address (127.0.0.0/8 or ::1), got '${host}': the emulator and its unauthenticated admin endpoint serve this machine only`,
    );
  }
}

export interface ListenOptions {
  /** Defaults to 127.0.0.1: the emulator serves loopback only (anything else is refused). */
  host?: string;
  /** 0 (the default) picks an ephemeral port. */
  port?: number;
  /** Listen on a unix socket path instead of TCP. */
  path?: string;
  /** The largest request body answered (bytes as sent); MAX_BODY (1 MiB) by default. */
  maxBody?: number;
  /**
   * The answer to a body over `maxBody`, in the service's own protocol (CloudWatch's 413
   * RequestEntityTooLarge); a plain-text 413 otherwise. `size` is the body's declared length
   * (Content-Length), or what arrived before the limit was passed when it declared none.
   */
  tooLarge?: (limit: number, size: number) => SimResponse;
}

export interface RunningServer {
  /** http://host:port, or http+unix://<path> for a unix socket. */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

export const MAX_BODY = 1 << 20;

class BodyTooLarge extends Error {
  readonly limit: number;
  readonly size: number;
  constructor(limit: number, size: number) {
    super(`request body of ${size} bytes is over ${limit} bytes`);
    this.limit = limit;
    this.size = size;
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge(limit, Number.isSafeInteger(declared) && declared > limit ? declared : size);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toSimRequest(req: IncomingMessage, body: Buffer): SimRequest {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));
  const type = String(req.headers['content-type'] ?? '');
  const form = type.startsWith('application/x-www-form-urlencoded')
    ? new URLSearchParams(body.toString('utf8'))
    : new URLSearchParams();
  return { method: req.method ?? 'GET', path, query, headers: req.headers, body, form, rawUrl };
}

/** Serves one handler over HTTP/1.1; a handler that throws answers 500 so a bug is never silent. */
export async function listen(handler: SimHandler, opts: ListenOptions = {}): Promise<RunningServer> {
  if (opts.path === undefined) assertLoopback(opts.host ?? '127.0.0.1', 'host');
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    readBody(req, opts.maxBody ?? MAX_BODY)
      .then((body) => handler(toSimRequest(req, body)))
      .then((out) => {
        const headers: Record<string, string | number> = { ...(out.headers ?? {}) };
        headers['content-length'] = Buffer.byteLength(out.body);
        res.writeHead(out.status, headers);
        res.end(out.body);
      })
      .catch((err: unknown) => {
        if (err instanceof BodyTooLarge && !res.headersSent) {
          const out = opts.tooLarge?.(err.limit, err.size) ?? { status: 413, headers: { 'content-type': 'text/plain' }, body: `${err.message}\n` };
          // The rest of the body is not read: close the connection once the answer is out.
          res.writeHead(out.status, { ...(out.headers ?? {}), connection: 'close', 'content-length': Buffer.byteLength(out.body) });
          res.end(out.body);
          return;
        }
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`internal emulator error: ${err instanceof Error ? err.stack : String(err)}`);
      });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (opts.path) server.listen(opts.path, resolve);
    else server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  let url: string;
  if (opts.path) url = `http+unix://${opts.path}`;
  else {
    const a = server.address() as AddressInfo;
    url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
