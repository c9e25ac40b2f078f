/**
 * The plugin protocol's server (contract/plugin-protocol.ts; issue 10 item 1): the Ipam methods
 * (methods.ts, the very ones the gRPC server calls) on a socket of their own, one length-prefixed
 * JSON request and reply per connection, written with node:net for a client that lives 50 ms.
 *
 * A request's message is decoded into exactly the object the gRPC server would hand the methods:
 * each known field type-checked, then run through the loader's own serializer and deserializer
 * (proto.ts), so defaults and unknown fields are treated alike on both transports.
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  type ErrorReply,
  frame,
  MAX_REQUEST_BYTES,
  readFrame,
  REQUEST_TIMEOUT_MS,
  type StatusName,
} from '../../contract/plugin-protocol.ts';
import type { ApiLogger } from './handlers.ts';
import type { IpamMethods } from './methods.ts';
import { ipamService } from './proto.ts';
import { ApiStatusError, type ApiStatusCode } from './errors.ts';
import { statusName } from './status-map.ts';
import type * as wire from '../../contract/messages.ts';

export interface PluginServerOptions {
  readonly methods: IpamMethods;
  readonly logger: ApiLogger;
  /** Default REQUEST_TIMEOUT_MS. */
  readonly requestTimeoutMs?: number;
}

const refuse = (code: ApiStatusCode, message: string): never => {
  throw new ApiStatusError(code, message);
};

/** The request message of `method` as the gRPC server would decode it; throws ApiStatusError. */
function decodeRequest(payload: Buffer): { method: string; request: wire.VersionedRequest } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (e) {
    refuse('IPAMD_API_INVALID_ARGUMENT', `the request is not UTF-8 JSON: ${(e as Error).message.slice(0, 200)}`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(parsed)) return refuse('IPAMD_API_INVALID_ARGUMENT', 'the request must be a JSON object {"method", "message"}');
  const { method, message } = parsed;
  if (typeof method !== 'string') return refuse('IPAMD_API_INVALID_ARGUMENT', 'the request has no "method" string');
  const def = ipamService()[method];
  if (!def) return refuse('IPAMD_API_UNKNOWN_METHOD', `unknown method ${JSON.stringify(method.slice(0, 64))}`);
  if (message !== undefined && !isObject(message)) return refuse('IPAMD_API_INVALID_ARGUMENT', '"message" must be a JSON object');
  const known: Record<string, unknown> = {};
  // proto-loader's method definitions carry the request's descriptor (grpc-js's type omits it).
  const fields = (def as unknown as { requestType: { type: { field: { name: string; type: string }[] } } }).requestType.type.field;
  for (const f of fields) {
    const v = message?.[f.name];
    if (v === undefined || v === null) continue;
    // Every request field of ipamd.proto is a string; proto3 JSON allows no other type for one.
    if (f.type === 'TYPE_STRING' && typeof v !== 'string') refuse('IPAMD_API_INVALID_ARGUMENT', `${f.name} must be a string`);
    known[f.name] = v;
  }
  return { method, request: def.requestDeserialize(def.requestSerialize(known)) as wire.VersionedRequest };
}

const errorFrame = (failure: ApiStatusError): Buffer =>
  frame(JSON.stringify({ error: { code: statusName(failure.grpcCode) as StatusName, message: failure.message } satisfies ErrorReply }));

/** A net.Server answering the plugin protocol; the caller listens and closes it. */
export function createPluginServer(opts: PluginServerOptions): Server {
  const { methods, logger } = opts;
  const timeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;

  const serve = (sock: Socket): void => {
    let received: Buffer = Buffer.alloc(0);
    let whole = false; // the request frame has arrived
    let answered = false;
    const answer = (bytes: Buffer): void => {
      answered = true;
      sock.removeListener('data', onData);
      sock.setTimeout(timeoutMs); // a peer that never closes its side is cut after this
      sock.end(bytes);
    };
    const fail = (failure: ApiStatusError): void => {
      logger.warn('plugin protocol: refused a request', { status: statusName(failure.grpcCode), details: failure.message });
      answer(errorFrame(failure));
    };
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const got = readFrame(received, MAX_REQUEST_BYTES);
      if (got === 'more') return;
      if ('problem' in got) {
        fail(
          got.problem === 'empty'
            ? new ApiStatusError('IPAMD_API_INVALID_ARGUMENT', 'the request frame is empty')
            : new ApiStatusError('IPAMD_API_REQUEST_TOO_LARGE', `request of ${got.length} bytes exceeds the limit of ${MAX_REQUEST_BYTES}`),
        );
        return;
      }
      whole = true;
      sock.pause(); // one request per connection: whatever follows is never read
      sock.removeListener('data', onData);
      sock.setTimeout(0); // the request is whole: the handler may take its time
      let decoded: ReturnType<typeof decodeRequest>;
      try {
        decoded = decodeRequest(got.payload);
      } catch (e) {
        fail(e instanceof ApiStatusError ? e : new ApiStatusError('IPAMD_API_INTERNAL', String(e), { cause: e }));
        return;
      }
      void methods.call(decoded.method, decoded.request).then((outcome) => {
        if (sock.destroyed) return; // the client gave up (its deadline); the call's effect stands
        answer('ok' in outcome ? frame(JSON.stringify({ ok: outcome.ok })) : errorFrame(outcome.failure));
      });
    };
    sock.on('data', onData);
    // Half-closed before a whole frame: answer if we still can, so the client reads why.
    sock.on('end', () => {
      if (!whole && !answered) {
        fail(new ApiStatusError('IPAMD_API_INVALID_ARGUMENT', `the request frame ended after ${received.length} bytes`));
      }
    });
    sock.setTimeout(timeoutMs, () => {
      if (!answered) logger.warn('plugin protocol: no whole request in time; closing the connection', { timeoutMs, received: received.length });
      sock.destroy();
    });
    sock.on('error', () => undefined); // a client that vanished: nothing to answer
  };

  return createServer({ allowHalfOpen: true }, serve);
}
