/**
 * The plugin protocol: how the CNI plugin calls ipamd (DESIGN.md §4; issue 10 item 1). The plugin
 * lives ~50 ms per pod, so it does not speak gRPC (loading node:http2 alone costs ~23 ms): ipamd
 * serves the same methods, through the same handlers as its gRPC service, on a socket of its own
 * next to the gRPC one (`plugin.sock` in the same 0700 directory, mode 0600; paths.ts).
 *
 * One request and one reply per connection, each one frame:
 *
 *     frame    = length payload
 *     length   = 4 bytes, unsigned big-endian: the payload's size in bytes, 1 to the limit
 *     payload  = UTF-8 JSON object
 *     request  = {"method": "<a method of service vpcwire.ipamd.v1.Ipam>", "message": {<its request>}}
 *     reply    = {"ok": {<its reply>}}  |  {"error": {"code": "<gRPC status name>", "message": "..."}}
 *
 * - Messages are the proto3 JSON mapping of ipamd.proto's messages with the .proto's own field
 *   names (protojson's UseProtoNames): snake_case keys, int64 as decimal strings, enums by name.
 *   ipamd writes every reply field, defaults included. A request field may be absent (its default)
 *   but must have its JSON type: every request field is a string. Unknown fields are ignored, as
 *   protobuf ignores unknown fields, so a newer peer's additions do not break an older one.
 * - Errors mean exactly what the same gRPC status means on the gRPC socket (ipamd.proto's header):
 *   RESOURCE_EXHAUSTED with a message starting POOL_EMPTY_MARKER is an empty pool (CNI error 11),
 *   INVALID_ARGUMENT names the field, FAILED_PRECONDITION names both versions, UNAVAILABLE while
 *   ipamd starts or stops. Malformed frames are answered too when the connection still allows it:
 *   a payload that is not a JSON object, or a field of the wrong type, is INVALID_ARGUMENT; an
 *   unknown method UNIMPLEMENTED; a length over the limit RESOURCE_EXHAUSTED (before its payload
 *   is read).
 * - The client may half-close after its frame; ipamd ignores anything after the request frame,
 *   answers, and ends the connection. A connection that does not deliver a whole request within
 *   REQUEST_TIMEOUT_MS is closed. The client gives up after its own deadline.
 */

/** A request is a few hundred bytes; the gRPC server's receive limit is the same. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** A full node's ListAllocations is a few hundred KiB; anything near this is not ipamd talking. */
export const MAX_REPLY_BYTES = 16 * 1024 * 1024;
/** How long ipamd waits for a whole request frame on an accepted connection. */
export const REQUEST_TIMEOUT_MS = 10_000;
export const LENGTH_BYTES = 4;

/** The gRPC status names (grpc doc/statuscodes.md), which the protocol's errors reuse. */
export const STATUS_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;
export type StatusName = Exclude<(typeof STATUS_NAMES)[number], 'OK'>;

export interface ErrorReply {
  readonly code: StatusName;
  readonly message: string;
}

/** `payload` (UTF-8 JSON text) with its length prefix. */
export function frame(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  const out = Buffer.allocUnsafe(LENGTH_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, LENGTH_BYTES);
  return out;
}

/**
 * Reads one frame from the bytes received so far: 'more' until it is whole, the payload once it
 * is, or why it can never be (a zero or oversized length, known from the first 4 bytes).
 */
export function readFrame(received: Buffer, maxBytes: number): { payload: Buffer } | 'more' | { problem: 'empty' | 'oversized'; length: number } {
  if (received.length < LENGTH_BYTES) return 'more';
  const length = received.readUInt32BE(0);
  if (length === 0) return { problem: 'empty', length };
  if (length > maxBytes) return { problem: 'oversized', length };
  if (received.length < LENGTH_BYTES + length) return 'more';
  return { payload: received.subarray(LENGTH_BYTES, LENGTH_BYTES + length) };
}
