/**
 * The plugin's ipamd client (DESIGN.md §4; issue 10 item 1): one call, one connection to ipamd's
 * plugin socket, one length-prefixed JSON request and reply as contract/plugin-protocol.ts defines
 * them. node:net only: no HTTP/2, no protobuf, nothing of ipamd (the contract is all it shares).
 *
 * Every failure is an IpamError (PluginError's CNI_IPAM_* family, cni/errors.ts) with a stable
 * `code`: `CNI_IPAM_` and ipamd's status name, except RESOURCE_EXHAUSTED with POOL_EMPTY_MARKER,
 * which is CNI_IPAM_POOL_EMPTY (the plugin answers CNI error 11, try again later);
 * CNI_IPAM_UNAVAILABLE when ipamd cannot be reached or hangs up before replying;
 * CNI_IPAM_DEADLINE_EXCEEDED when it does not reply in time; CNI_IPAM_INVALID_OPTION when the call
 * was not attempted because an option is wrong. `status` is the same without the prefix, as
 * messages show it.
 */
import { connect } from 'node:net';
import { POOL_EMPTY_MARKER } from '../../contract/api.ts';
import type { IpamMethods } from '../../contract/messages.ts';
import { frame, MAX_REPLY_BYTES, MAX_REQUEST_BYTES, readFrame, type StatusName } from '../../contract/plugin-protocol.ts';
import { PluginError } from '../errors.ts';

export const DEFAULT_DEADLINE_MS = 10_000;

/** What ipamd answered (its status name), or what the client saw instead. */
export type IpamStatus = StatusName | 'POOL_EMPTY' | 'INVALID_OPTION';
export type IpamErrorCode = `CNI_IPAM_${IpamStatus}`;

export class IpamError extends PluginError {
  declare readonly code: IpamErrorCode;
  /** `code` without its prefix, as messages say it. */
  readonly status: IpamStatus;
  /** ipamd's message, or what the client saw (connection refused, deadline...). */
  readonly details: string;
  readonly method: string;
  readonly socketPath: string;
  constructor(status: IpamStatus, details: string, method: string, socketPath: string) {
    super(`CNI_IPAM_${status}`, `${method} on ${socketPath}: ${status}: ${details}`);
    this.name = 'IpamError';
    this.status = status;
    this.details = details;
    this.method = method;
    this.socketPath = socketPath;
  }
}

export interface CallOptions {
  /** The whole call, connecting included. Default 10000 ms. */
  readonly deadlineMs?: number;
}

/** Connect errors an operator can act on, said plainly. */
const CONNECT_HINTS: Record<string, string> = {
  ENOENT: 'no such socket: ipamd is not running, or not yet listening',
  ECONNREFUSED: 'nothing listens on the socket: ipamd is down or restarting',
  EACCES: 'permission denied: the socket is for root only',
};

/** Calls `method` with `message` (the request, client_version included); resolves with the reply. */
export function callIpamd<M extends keyof IpamMethods>(
  socketPath: string,
  method: M,
  message: IpamMethods[M]['request'],
  opts: CallOptions = {},
): Promise<IpamMethods[M]['reply']> {
  const error = (status: IpamStatus, details: string) => new IpamError(status, details, method, socketPath);
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  // setTimeout fires at once above 2^31-1 ms: refuse rather than time out immediately.
  if (!(deadlineMs > 0 && deadlineMs <= 2 ** 31 - 1)) {
    return Promise.reject(error('INVALID_OPTION', `deadlineMs must be a number of milliseconds in (0, 2147483647], got ${deadlineMs}`));
  }
  if (socketPath === '') return Promise.reject(error('INVALID_OPTION', 'the socket path is empty'));
  const request = frame(JSON.stringify({ method, message }));
  if (request.length - 4 > MAX_REQUEST_BYTES) {
    return Promise.reject(error('RESOURCE_EXHAUSTED', `request of ${request.length - 4} bytes exceeds the limit of ${MAX_REQUEST_BYTES}`));
  }

  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let connected = false;
    let received: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (outcome: { reply: IpamMethods[M]['reply'] } | IpamError): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (outcome instanceof IpamError) reject(outcome);
      else resolve(outcome.reply);
    };
    const timer = setTimeout(
      () => finish(error('DEADLINE_EXCEEDED', connected ? `no reply within ${deadlineMs} ms` : `could not connect within ${deadlineMs} ms`)),
      deadlineMs,
    );
    sock.on('connect', () => (connected = true));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) return finish(error('UNAVAILABLE', `connection to ${socketPath} failed: ${err.message}`));
      const hint = CONNECT_HINTS[err.code ?? ''];
      finish(error('UNAVAILABLE', `cannot connect to ${socketPath}: ${hint ? `${err.code} (${hint})` : err.message}`));
    });
    sock.on('close', () => finish(error('UNAVAILABLE', `connection to ${socketPath} closed before the reply arrived`)));
    sock.on('data', (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const got = readFrame(received, MAX_REPLY_BYTES);
      if (got === 'more') return;
      if ('problem' in got) return finish(error('INTERNAL', `a reply frame of ${got.length} bytes from ${socketPath} is not ipamd's`));
      let reply: { ok?: IpamMethods[M]['reply']; error?: { code?: unknown; message?: unknown } };
      try {
        reply = JSON.parse(got.payload.toString('utf8'));
      } catch (e) {
        return finish(error('INTERNAL', `cannot decode the reply: ${(e as Error).message}`));
      }
      if (typeof reply?.ok === 'object' && reply.ok !== null) return finish({ reply: reply.ok });
      const code = reply?.error?.code;
      const details = String(reply?.error?.message ?? '');
      if (typeof code !== 'string') return finish(error('INTERNAL', 'the reply has neither "ok" nor an "error" with a code'));
      finish(error(code === 'RESOURCE_EXHAUSTED' && details.startsWith(POOL_EMPTY_MARKER) ? 'POOL_EMPTY' : (code as StatusName), details));
    });
    // No half-close after it: the length says where the request ends, and a peer that is not
    // ipamd (one that closes on FIN) must not turn a silent hang into an early UNAVAILABLE.
    sock.write(request);
  });
}
