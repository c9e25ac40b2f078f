/**
 * One gRPC unary call over one HTTP/2 connection on a unix socket, on plain node:net: the CNI
 * plugin is exec'd per pod and cannot pay node:http2's ~23 ms of load time, let alone grpc-js's.
 * HTTP/2 with prior knowledge (RFC 9113 §3.3, cleartext), one stream, then the socket is destroyed.
 *
 * The request goes out in ONE write, before the server's preface arrives (allowed by RFC 9113
 * §3.4): preface, SETTINGS, connection WINDOW_UPDATE, HEADERS, DATA. Our SETTINGS: ENABLE_PUSH 0;
 * HEADER_TABLE_SIZE 0, so the server's HPACK encoder should never index and there is no table
 * state to get wrong; INITIAL_WINDOW_SIZE at its maximum, and with the WINDOW_UPDATE the connection
 * window too, so a large reply (ListAllocations of a full node: many DATA frames, well over the
 * default 64 KiB window) never waits for a WINDOW_UPDATE from us (§6.9).
 *
 * Reading: SETTINGS (ACKed), PING (ACKed), WINDOW_UPDATE (nothing left to send), HEADERS +
 * CONTINUATION (HPACK), DATA (padding stripped), RST_STREAM, GOAWAY; unknown frame types ignored
 * (§5.5). The result is never a rejection: the reply message, or a gRPC status with its message
 * (PROTOCOL-HTTP2 "Responses", including Trailers-Only).
 */
import { connect } from 'node:net';
import { encodeHeaderBlock, type HeaderField, HpackDecoder } from './hpack.ts';

export interface UnaryRequest {
  readonly socketPath: string;
  /** "/<package>.<Service>/<Method>" (PROTOCOL-HTTP2 "Path"). */
  readonly path: string;
  readonly message: Uint8Array;
  /** The call ends with DEADLINE_EXCEEDED after this long; also sent as grpc-timeout. */
  readonly deadlineMs: number;
  /** Larger replies end the call with RESOURCE_EXHAUSTED. */
  readonly maxReplyBytes: number;
}

export type UnaryResult =
  | { readonly ok: true; readonly message: Uint8Array }
  | { readonly ok: false; readonly grpcCode: number; readonly details: string };

/** The gRPC status codes this layer produces itself (doc/statuscodes.md). */
export const Code = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16,
} as const;

// RFC 9113 §6 frame types, §6.x flags, §7 error codes.
const DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PUSH_PROMISE = 5, PING = 6, GOAWAY = 7, WINDOW_UPDATE = 8, CONTINUATION = 9;
const END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4, PADDED = 0x8, PRIORITY = 0x20;
const NO_ERROR = 0, PROTOCOL_ERROR = 1, FRAME_SIZE_ERROR = 6, CANCEL = 8, COMPRESSION_ERROR = 9;
const STREAM = 1; // §5.1.1: the client's first stream
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'); // §3.4
const MAX_FRAME = 16384; // §6.5.2 SETTINGS_MAX_FRAME_SIZE initial value: neither side raises it
const DEFAULT_WINDOW = 65535; // §6.9.2
const MAX_WINDOW = 2 ** 31 - 1;
const MAX_HEADER_BLOCK = 64 * 1024;

function frame(type: number, flags: number, stream: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const b = Buffer.allocUnsafe(9 + payload.length); // §4.1
  b.writeUIntBE(payload.length, 0, 3);
  b[3] = type;
  b[4] = flags;
  b.writeUInt32BE(stream, 5);
  b.set(payload, 9);
  return b;
}

const u32 = (...values: number[]): Buffer => {
  const b = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v, i * 4));
  return b;
};

/** §6.5.1: 16-bit identifier + 32-bit value per setting. */
function settings(entries: [number, number][]): Buffer {
  const b = Buffer.allocUnsafe(entries.length * 6);
  entries.forEach(([id, v], i) => {
    b.writeUInt16BE(id, i * 6);
    b.writeUInt32BE(v, i * 6 + 2);
  });
  return frame(SETTINGS, 0, 0, b);
}

/** PROTOCOL-HTTP2 "Timeout": at most 8 digits and a unit; milliseconds while they fit. */
const grpcTimeout = (ms: number): string =>
  ms < 1e8 ? `${Math.max(1, Math.ceil(ms))}m` : `${Math.min(99_999_999, Math.ceil(ms / 1000))}S`;

/** Everything the client sends, as one buffer (or why it cannot be sent). */
function requestBytes(req: UnaryRequest): Buffer | string {
  const body = req.message.length + 5;
  // What fits in the initial windows (65535, §6.9.2) goes out before the server's SETTINGS; the
  // API's requests are a few hundred bytes and ipamd refuses anything over 64 KiB anyway.
  if (body > DEFAULT_WINDOW) return `request message of ${req.message.length} bytes exceeds ${DEFAULT_WINDOW - 5}`;
  // PROTOCOL-HTTP2 "Requests": pseudo-headers first (RFC 9113 §8.3), then te, timeout, content-type.
  const block = encodeHeaderBlock([
    [':method', 'POST'], [':scheme', 'http'], [':path', req.path], [':authority', 'localhost'],
    ['te', 'trailers'], ['grpc-timeout', grpcTimeout(req.deadlineMs)], ['content-type', 'application/grpc'],
  ]);
  const out = [
    PREFACE,
    settings([[2, 0], [1, 0], [4, MAX_WINDOW]]), // ENABLE_PUSH, HEADER_TABLE_SIZE, INITIAL_WINDOW_SIZE
    frame(WINDOW_UPDATE, 0, 0, u32(MAX_WINDOW - DEFAULT_WINDOW)), // the connection's window (§6.9)
  ];
  for (let at = 0; at < block.length || at === 0; at += MAX_FRAME) {
    const last = at + MAX_FRAME >= block.length;
    out.push(frame(at === 0 ? HEADERS : CONTINUATION, last ? END_HEADERS : 0, STREAM, block.subarray(at, at + MAX_FRAME)));
  }
  // PROTOCOL-HTTP2 "Length-Prefixed-Message": compressed flag 0, 4-byte big-endian length.
  const msg = Buffer.allocUnsafe(body);
  msg[0] = 0;
  msg.writeUInt32BE(req.message.length, 1);
  msg.set(req.message, 5);
  for (let at = 0; at < body; at += MAX_FRAME) {
    out.push(frame(DATA, at + MAX_FRAME >= body ? END_STREAM : 0, STREAM, msg.subarray(at, at + MAX_FRAME)));
  }
  return Buffer.concat(out);
}

/** Connect errors an operator can act on, said plainly. */
const CONNECT_HINTS: Record<string, string> = {
  ENOENT: 'no such socket: ipamd is not running, or not yet listening',
  ECONNREFUSED: 'nothing listens on the socket: ipamd is down or restarting',
  EACCES: 'permission denied: the socket is for root only',
};

/** PROTOCOL-HTTP2 "Errors": RST_STREAM codes as statuses. */
const RST_STATUS: Record<number, number> = { 7: Code.UNAVAILABLE, 8: Code.CANCELLED, 11: Code.RESOURCE_EXHAUSTED, 12: Code.PERMISSION_DENIED };
/** doc/http-grpc-status-mapping.md: an HTTP status without grpc-status. */
const HTTP_STATUS: Record<string, number> = {
  400: Code.INTERNAL, 401: Code.UNAUTHENTICATED, 403: Code.PERMISSION_DENIED, 404: Code.UNIMPLEMENTED,
  429: Code.UNAVAILABLE, 502: Code.UNAVAILABLE, 503: Code.UNAVAILABLE, 504: Code.UNAVAILABLE,
};

/**
 * PROTOCOL-HTTP2 "Status-Message": UTF-8, then percent-encoded. Header values are kept as latin1
 * (one char per byte), so decoding the escapes yields the UTF-8 bytes. A malformed escape is kept
 * as it is, never an error (the spec says not to throw the message away).
 */
export function percentDecode(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value[i] === '%' ? value.slice(i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(value.charCodeAt(i) & 0xff);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** One call; never rejects. The socket is destroyed and the timer cleared before it resolves. */
export function unaryCall(req: UnaryRequest): Promise<UnaryResult> {
  return new Promise((resolve) => {
    const request = requestBytes(req);
    if (typeof request === 'string') {
      resolve({ ok: false, grpcCode: Code.RESOURCE_EXHAUSTED, details: request });
      return;
    }
    const sock = connect(req.socketPath);
    const hpack = new HpackDecoder(4096);
    let connected = false;
    let streamOpen = true; // until the server ends or resets it (§5.1)
    let done = false;
    let pending: Buffer = Buffer.alloc(0);
    let block: Buffer[] | undefined; // header block being continued (§6.10)
    let [blockEndsStream, dataBytes, goaway] = [false, 0, ''];
    let headers: HeaderField[] | undefined;
    const data: Buffer[] = [];

    const finish = (result: UnaryResult, h2Error = NO_ERROR): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Abandoning a live stream or a broken connection: say so (§6.4, §6.8), best effort. After a
      // completed stream there is nothing left to tell, and the write would cost a cold ~1 ms.
      if (connected && !sock.destroyed && (streamOpen || h2Error !== NO_ERROR)) {
        const bye = [frame(GOAWAY, 0, 0, u32(0, h2Error))];
        if (streamOpen) bye.unshift(frame(RST_STREAM, 0, STREAM, u32(CANCEL)));
        sock.write(Buffer.concat(bye), () => undefined);
      }
      sock.destroy();
      resolve(result);
    };
    const fail = (grpcCode: number, details: string, h2Error = NO_ERROR): void => finish({ ok: false, grpcCode, details }, h2Error);
    const protocolError = (what: string, h2Error = PROTOCOL_ERROR): void =>
      fail(Code.INTERNAL, `HTTP/2 error from the server on ${req.socketPath}: ${what}`, h2Error);

    const timer = setTimeout(
      () => fail(Code.DEADLINE_EXCEEDED, connected ? `no reply within ${req.deadlineMs} ms` : `could not connect within ${req.deadlineMs} ms`),
      req.deadlineMs,
    );

    sock.on('connect', () => (connected = true));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) return fail(Code.UNAVAILABLE, `connection to ${req.socketPath} failed: ${err.message}`);
      const hint = CONNECT_HINTS[err.code ?? ''];
      fail(Code.UNAVAILABLE, `cannot connect to ${req.socketPath}: ${hint ? `${err.code} (${hint})` : err.message}`);
    });
    sock.on('close', () => fail(Code.UNAVAILABLE, `connection to ${req.socketPath} closed before the call's status arrived${goaway}`));

    // The stream ended: headers (and trailers) decide the outcome (PROTOCOL-HTTP2 "Responses").
    const ended = (trailers: HeaderField[]): void => {
      streamOpen = false;
      const get = (list: HeaderField[] | undefined, name: string) => list?.find(([n]) => n === name)?.[1];
      const status = get(trailers, 'grpc-status');
      const httpStatus = get(headers, ':status');
      if (status === undefined) {
        if (httpStatus !== '200') return fail(HTTP_STATUS[httpStatus ?? ''] ?? Code.UNKNOWN, `HTTP status ${httpStatus} without grpc-status`);
        return fail(Code.INTERNAL, 'the stream ended without grpc-status');
      }
      const code = /^\d+$/.test(status) ? Number(status) : Code.UNKNOWN;
      if (code !== Code.OK) return fail(code, percentDecode(get(trailers, 'grpc-message') ?? ''));
      // Exactly one Length-Prefixed-Message for a unary reply.
      const body = Buffer.concat(data, dataBytes);
      const len = body.length >= 5 ? body.readUInt32BE(1) : -1;
      if (len < 0 || body.length !== 5 + len) return fail(Code.INTERNAL, `expected one reply message, got ${body.length} bytes of DATA`);
      if (body[0] !== 0) return fail(Code.INTERNAL, 'the reply is compressed, but no compression was offered');
      finish({ ok: true, message: body.subarray(5) });
    };

    const headerBlock = (fragment: Buffer, endStream: boolean): void => {
      let fields: HeaderField[];
      try {
        fields = hpack.decode(fragment);
      } catch (e) {
        return protocolError(`cannot decode a header block: ${(e as Error).message}`, COMPRESSION_ERROR);
      }
      const status = fields.find(([n]) => n === ':status')?.[1];
      if (!headers && status?.startsWith('1')) return; // RFC 9113 §8.1: informational, skip
      if (!headers) {
        headers = fields;
        if (endStream) ended(fields); // Trailers-Only
      } else if (endStream) ended(fields);
      else protocolError('a second header block without END_STREAM');
    };

    const onFrame = (type: number, flags: number, stream: number, payload: Buffer, out: Buffer[]): void => {
      if (block && (type !== CONTINUATION || stream !== STREAM)) return protocolError('header block interrupted (RFC 9113 §6.10)');
      // §6.1, §6.2: strip padding (and HEADERS' priority fields).
      const unpad = (p: Buffer): Buffer | undefined => {
        const pad = flags & PADDED ? p[0]! : 0;
        const start = (flags & PADDED ? 1 : 0) + (type === HEADERS && flags & PRIORITY ? 5 : 0);
        return start + pad <= p.length ? p.subarray(start, p.length - pad) : undefined;
      };
      if ((type === DATA || type === HEADERS || type === CONTINUATION) && stream !== STREAM) {
        return protocolError(`frame type ${type} on stream ${stream}`);
      }
      if (type === DATA) {
        const body = unpad(payload);
        if (!body || !headers) return protocolError(body ? 'DATA before HEADERS' : 'bad DATA padding');
        data.push(body);
        dataBytes += body.length;
        if (dataBytes > req.maxReplyBytes + 5) return fail(Code.RESOURCE_EXHAUSTED, `reply larger than ${req.maxReplyBytes} bytes`);
        if (flags & END_STREAM) ended([]); // no trailers: only an HTTP status can explain
      } else if (type === HEADERS || type === CONTINUATION) {
        const fragment = type === HEADERS ? unpad(payload) : payload;
        if (!fragment || (type === CONTINUATION && !block)) return protocolError('malformed header block frames');
        if (type === HEADERS) [block, blockEndsStream] = [[], (flags & END_STREAM) !== 0];
        block!.push(fragment);
        if (block!.reduce((n, b) => n + b.length, 0) > MAX_HEADER_BLOCK) return protocolError('header block too large');
        if (flags & END_HEADERS) {
          const whole = Buffer.concat(block!);
          block = undefined;
          headerBlock(whole, blockEndsStream);
        }
      } else if (type === SETTINGS) {
        if (stream !== 0 || payload.length % 6 !== 0) return protocolError('malformed SETTINGS');
        if (flags & ACK) hpack.setLimit(0); // our one SETTINGS, HEADER_TABLE_SIZE 0, is in force (§6.5.3)
        else out.push(frame(SETTINGS, ACK, 0));
      } else if (type === PING) {
        if (payload.length !== 8) return protocolError('malformed PING');
        if (!(flags & ACK)) out.push(frame(PING, ACK, 0, payload)); // §6.7
      } else if (type === RST_STREAM && stream === STREAM) {
        streamOpen = false;
        const code = payload.length === 4 ? payload.readUInt32BE(0) : -1;
        fail(RST_STATUS[code] ?? Code.INTERNAL, `the server reset the stream (HTTP/2 error ${code})`);
      } else if (type === GOAWAY) {
        const last = payload.length >= 8 ? payload.readUInt32BE(0) & MAX_WINDOW : 0;
        goaway = ` (GOAWAY: error ${payload.length >= 8 ? payload.readUInt32BE(4) : -1}, ${payload.subarray(8).toString('latin1') || 'no detail'})`;
        // §6.8: a stream above last-stream-id was not processed and is safe to retry.
        if (last < STREAM) fail(Code.UNAVAILABLE, `the server on ${req.socketPath} is going away and did not take the call${goaway}`);
      } else if (type === PUSH_PROMISE) {
        protocolError('PUSH_PROMISE although ENABLE_PUSH is 0 (RFC 9113 §8.4)');
      }
    };

    sock.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      const out: Buffer[] = [];
      let at = 0;
      while (!done && pending.length - at >= 9) {
        const len = pending.readUIntBE(at, 3);
        if (len > MAX_FRAME) return protocolError(`frame of ${len} bytes exceeds SETTINGS_MAX_FRAME_SIZE (§4.2)`, FRAME_SIZE_ERROR);
        if (pending.length - at < 9 + len) break;
        const stream = pending.readUInt32BE(at + 5) & MAX_WINDOW;
        onFrame(pending[at + 3]!, pending[at + 4]!, stream, pending.subarray(at + 9, at + 9 + len), out);
        at += 9 + len;
      }
      pending = pending.subarray(at);
      if (!done && out.length) sock.write(Buffer.concat(out)); // all ACKs of one read in one write
    });

    sock.write(request);
  });
}
