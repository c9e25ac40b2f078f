// The HTTP/2 side of the plugin's gRPC client (cni/ipam/h2-unary.ts), frame by frame, against a
// scripted server on a unix socket that sends what nghttp2 never sends on its own: padding,
// priority fields, CONTINUATION, PINGs, unknown frames, RST_STREAM, GOAWAY, bare HTTP errors and
// protocol violations. Assertions are on the call's result and on the frames on the wire. (What
// ipamd's real server, nghttp2, sends back is in ipam-client.test.ts.)
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addNetwork, API_VERSION, getPoolStatus, IpamError } from '../../cni/ipam/client.ts';
import { unaryCall } from '../../cni/ipam/h2-unary.ts';
import { encodeHeaderBlock, type HeaderField, HpackDecoder } from '../../cni/ipam/hpack.ts';
import { huffmanEncode } from '../../cni/ipam/huffman.ts';
import { AddNetworkRequest, GetPoolStatusReply } from '../../cni/ipam/messages.ts';
import { apiServerFixture } from '../helpers/fake-ipam-handlers.ts';

const fx = apiServerFixture();

// RFC 9113 §6 frame types and flags.
const [DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const [END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG] = [0x1, 0x1, 0x4, 0x8, 0x20];

interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

const frame = (type: number, flags: number, stream: number, payload: Uint8Array = Buffer.alloc(0)): Buffer => {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
};
const u32 = (...v: number[]): Buffer => Buffer.concat(v.map((x) => Buffer.from([x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255])));
/** PROTOCOL-HTTP2 Length-Prefixed-Message. */
const lpm = (msg: Uint8Array, compressed = 0): Buffer => Buffer.concat([Buffer.from([compressed]), u32(msg.length), msg]);
/** A header block as a conforming server sends its first one after our HEADER_TABLE_SIZE 0: size update first. */
const firstBlock = (fields: HeaderField[]): Buffer => Buffer.concat([Buffer.from([0x20]), encodeHeaderBlock(fields)]);
const OK_HEADERS: HeaderField[] = [[':status', '200'], ['content-type', 'application/grpc']];
const SERVER_PREFACE = [frame(SETTINGS, 0, 0), frame(SETTINGS, ACK, 0)];

function parseFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  while (buf.length - at >= 9 && buf.length - at >= 9 + buf.readUIntBE(at, 3)) {
    const len = buf.readUIntBE(at, 3);
    frames.push({ type: buf[at + 3]!, flags: buf[at + 4]!, stream: buf.readUInt32BE(at + 5), payload: buf.subarray(at + 9, at + 9 + len) });
    at += 9 + len;
  }
  return { frames, rest: buf.subarray(at) };
}

/** One client connection as the scripted server sees it. */
class Conn {
  private buf: Buffer = Buffer.alloc(0);
  private preface = false;
  private frames: Frame[] = [];
  private wake: (() => void) | undefined;
  readonly closed: Promise<void>;
  readonly sock: Socket;
  constructor(sock: Socket) {
    this.sock = sock;
    this.closed = new Promise((r) => sock.on('close', () => r()));
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      if (!this.preface && this.buf.length >= 24) {
        assert.equal(this.buf.subarray(0, 24).toString('latin1'), 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
        [this.preface, this.buf] = [true, this.buf.subarray(24)];
      }
      if (!this.preface) return;
      const { frames, rest } = parseFrames(this.buf);
      this.frames.push(...frames);
      this.buf = rest;
      this.wake?.();
    });
  }
  /** The next frame from the client matching `pred` (frames not matching stay queued). */
  async next(pred: (f: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
  /** A queued frame matching `pred`, if one came (no waiting). */
  take(pred: (f: Frame) => boolean): Frame | undefined {
    const i = this.frames.findIndex(pred);
    return i >= 0 ? this.frames.splice(i, 1)[0] : undefined;
  }
  /** The client's whole request: its SETTINGS, connection WINDOW_UPDATE, headers and message. */
  async request(): Promise<{ settings: Map<number, number>; windowUpdate: number; headers: HeaderField[]; message: Buffer }> {
    const s = await this.next((f) => f.type === SETTINGS && !(f.flags & ACK));
    const settings = new Map(Array.from({ length: s.payload.length / 6 }, (_, i) => [s.payload.readUInt16BE(i * 6), s.payload.readUInt32BE(i * 6 + 2)] as const));
    const wu = await this.next((f) => f.type === WINDOW_UPDATE && f.stream === 0);
    const parts = [await this.next((f) => f.type === HEADERS)];
    while (!(parts.at(-1)!.flags & END_HEADERS)) parts.push(await this.next((f) => f.type === CONTINUATION));
    const headers = new HpackDecoder().decode(Buffer.concat(parts.map((p) => p.payload)));
    const data = [await this.next((f) => f.type === DATA)];
    while (!(data.at(-1)!.flags & END_STREAM)) data.push(await this.next((f) => f.type === DATA));
    const body = Buffer.concat(data.map((d) => d.payload));
    assert.equal(body[0], 0, 'uncompressed');
    assert.equal(body.readUInt32BE(1), body.length - 5, 'one length-prefixed message');
    return { settings, windowUpdate: wu.payload.readUInt32BE(0), headers, message: body.subarray(5) };
  }
  send(...frames: Buffer[]): void {
    this.sock.write(Buffer.concat(frames));
  }
}

const POOL: GetPoolStatusReply = { serving: true, freeAddresses: 7, assignedAddresses: 3, canGrow: true, reason: '', hostNetworkProblem: '' };

describe('the client against a scripted HTTP/2 server', () => {
  let server: Server;
  let path: string;
  let script: (c: Conn) => Promise<void> = async () => undefined;
  let last: Conn | undefined;
  before(async () => {
    path = join(fx.dir, 'scripted.sock');
    server = createServer((sock) => {
      last = new Conn(sock);
      script(last).catch((e: unknown) => {
        sock.destroy();
        throw e;
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
  });
  after(() => server.close());

  const failsWith = async (code: string, details: RegExp): Promise<IpamError> => {
    const err = await getPoolStatus(path, { deadlineMs: 2000 }).then(() => assert.fail(`expected ${code}`), (e: unknown) => e);
    assert.ok(err instanceof IpamError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.details, details);
    return err;
  };

  test('the request on the wire: preface, SETTINGS, connection window, headers in order, one message', async () => {
    let seen: Awaited<ReturnType<Conn['request']>> | undefined;
    script = async (c) => {
      seen = await c.request();
      c.send(...SERVER_PREFACE, frame(HEADERS, END_HEADERS, 1, firstBlock(OK_HEADERS)), frame(DATA, 0, 1, lpm(new Uint8Array())));
      c.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, encodeHeaderBlock([['grpc-status', '0']])));
    };
    const p = { networkName: 'vpcwire', containerId: 'w1', ifName: 'eth0', netns: '/var/run/netns/w1', k8sPodName: 'web' };
    const reply = await addNetwork(path, p, { deadlineMs: 1500 });
    assert.equal(reply.ipv4Address, '', 'an empty message is every field at its default');
    assert.deepEqual(Object.fromEntries(seen!.settings), { 1: 0, 2: 0, 4: 2 ** 31 - 1 }, 'HEADER_TABLE_SIZE 0, ENABLE_PUSH 0, INITIAL_WINDOW_SIZE max');
    assert.equal(seen!.windowUpdate, 2 ** 31 - 1 - 65535, 'the connection window raised to its maximum');
    assert.deepEqual(seen!.headers, [
      [':method', 'POST'], [':scheme', 'http'], [':path', '/vpcwire.ipamd.v1.Ipam/AddNetwork'], [':authority', 'localhost'],
      ['te', 'trailers'], ['grpc-timeout', '1500m'], ['content-type', 'application/grpc'],
    ]);
    assert.deepEqual(AddNetworkRequest.decode(seen!.message), {
      clientVersion: API_VERSION, networkName: 'vpcwire', containerId: 'w1', ifName: 'eth0', netns: '/var/run/netns/w1',
      k8sPodNamespace: '', k8sPodName: 'web', k8sPodUid: '', k8sPodInfraContainerId: '',
    });
  });

  test('a header block over one frame goes out as HEADERS + CONTINUATION', async () => {
    let seenPath: string | undefined;
    script = async (c) => {
      seenPath = (await c.request()).headers.find(([n]) => n === ':path')?.[1];
      c.send(...SERVER_PREFACE, frame(HEADERS, END_HEADERS | END_STREAM, 1, firstBlock([...OK_HEADERS, ['grpc-status', '12']])));
    };
    const long = `/x.Y/${'M'.repeat(40_000)}`;
    const r = await unaryCall({ socketPath: path, path: long, message: new Uint8Array(), deadlineMs: 2000, maxReplyBytes: 100 });
    assert.deepEqual(r, { ok: false, grpcCode: 12, details: '' });
    assert.equal(seenPath, long);
  });

  test('padding, priority fields, CONTINUATION, Huffman literals, PING, SETTINGS and unknown frames mid-reply', async () => {
    let pingAck: Frame | undefined;
    let settingsAck: Frame | undefined;
    script = async (c) => {
      await c.request();
      const ping = Buffer.from('vpcwire!');
      c.send(frame(SETTINGS, 0, 0, Buffer.from([0, 3, 0, 0, 0, 100])), frame(SETTINGS, ACK, 0), frame(PING, 0, 0, ping));
      pingAck = await c.next((f) => f.type === PING);
      settingsAck = await c.next((f) => f.type === SETTINGS && (f.flags & ACK) !== 0);
      // Response headers: padded, with priority fields, in three frames; Huffman, never-indexed.
      const huff = (s: string): Buffer => {
        const h = huffmanEncode(Buffer.from(s));
        return Buffer.concat([Buffer.from([0x80 | h.length]), h]);
      };
      const h = Buffer.concat([
        Buffer.from([0x20, 0x88]), // size update to 0, then ":status: 200" (static index 8)
        Buffer.from([0x0f, 0x10]), huff('application/grpc+proto'), // without indexing, name index 31 (§6.2.2)
        Buffer.from([0x10]), huff('x-id'), Buffer.from([0x03]), Buffer.from('abc'), // never indexed, new name (§6.2.3)
      ]);
      const padLen = 4;
      const first = Buffer.concat([Buffer.from([padLen]), u32(0), Buffer.from([15]), h.subarray(0, 5), Buffer.alloc(padLen)]);
      const reply = lpm(GetPoolStatusReply.encode(POOL));
      c.send(
        frame(HEADERS, PADDED | PRIORITY_FLAG, 1, first),
        frame(CONTINUATION, 0, 1, h.subarray(5, 9)),
        frame(CONTINUATION, END_HEADERS, 1, h.subarray(9)),
        frame(0xfa, 0, 0, Buffer.from('ignore me')), // unknown type (§5.5)
        frame(PRIORITY, 0, 1, Buffer.from([0, 0, 0, 0, 16])),
        frame(DATA, PADDED, 1, Buffer.concat([Buffer.from([0]), reply.subarray(0, 3)])),
        frame(WINDOW_UPDATE, 0, 0, u32(1000)),
        frame(DATA, PADDED, 1, Buffer.concat([Buffer.from([255]), reply.subarray(3, 7), Buffer.alloc(255)])),
        frame(DATA, 0, 1, reply.subarray(7)),
        frame(HEADERS, END_STREAM, 1, encodeHeaderBlock([['grpc-status', '0']]).subarray(0, 3)),
        frame(CONTINUATION, END_HEADERS, 1, encodeHeaderBlock([['grpc-status', '0']]).subarray(3)),
      );
    };
    assert.deepEqual(await getPoolStatus(path), POOL);
    assert.deepEqual(pingAck!.payload, Buffer.from('vpcwire!'));
    assert.equal(pingAck!.flags & ACK, ACK);
    assert.equal(settingsAck!.payload.length, 0);
  });

  test('Trailers-Only errors: status and percent-decoded message; a malformed escape is kept', async () => {
    script = async (c) => {
      await c.request();
      const fields: HeaderField[] = [...OK_HEADERS, ['grpc-status', '9'], ['grpc-message', 'caf%C3%A9 %E2%9C%93 100%25 %zz']];
      c.send(...SERVER_PREFACE, frame(HEADERS, END_HEADERS | END_STREAM, 1, firstBlock(fields)));
    };
    const err = await failsWith('FAILED_PRECONDITION', /^café ✓ 100% %zz$/);
    assert.equal(err.grpcCode, 9);
  });

  test('RST_STREAM codes map to statuses (PROTOCOL-HTTP2 "Errors")', async () => {
    for (const [h2, code] of [[7, 'UNAVAILABLE'], [8, 'CANCELLED'], [11, 'RESOURCE_EXHAUSTED'], [2, 'INTERNAL']] as const) {
      script = async (c) => {
        await c.request();
        c.send(...SERVER_PREFACE, frame(RST_STREAM, 0, 1, u32(h2)));
      };
      await failsWith(code, new RegExp(`reset the stream \\(HTTP/2 error ${h2}\\)`));
    }
  });

  test('GOAWAY: below our stream is UNAVAILABLE; at or above it, the call still completes', async () => {
    script = async (c) => {
      await c.request();
      c.send(...SERVER_PREFACE, frame(GOAWAY, 0, 0, Buffer.concat([u32(0, 0), Buffer.from('draining')])));
    };
    await failsWith('UNAVAILABLE', /going away.*draining/);
    script = async (c) => {
      await c.request();
      c.send(...SERVER_PREFACE, frame(GOAWAY, 0, 0, u32(1, 0)), frame(HEADERS, END_HEADERS, 1, firstBlock(OK_HEADERS)));
      c.send(frame(DATA, 0, 1, lpm(GetPoolStatusReply.encode(POOL))), frame(HEADERS, END_HEADERS | END_STREAM, 1, encodeHeaderBlock([['grpc-status', '0']])));
    };
    assert.deepEqual(await getPoolStatus(path), POOL);
  });

  test('an HTTP status without grpc-status maps as doc/http-grpc-status-mapping.md says', async () => {
    for (const [http, code] of [['503', 'UNAVAILABLE'], ['404', 'UNIMPLEMENTED'], ['418', 'UNKNOWN']] as const) {
      script = async (c) => {
        await c.request();
        c.send(...SERVER_PREFACE, frame(HEADERS, END_HEADERS, 1, firstBlock([[':status', http]])), frame(DATA, END_STREAM, 1, Buffer.from('nope')));
      };
      await failsWith(code, new RegExp(`HTTP status ${http} without grpc-status`));
    }
  });

  test('protocol violations end the call with INTERNAL; HTTP/2 ones with a GOAWAY naming the error', async () => {
    const ok = frame(HEADERS, END_HEADERS, 1, firstBlock(OK_HEADERS));
    // The last three are gRPC-level: the stream ended properly, so no GOAWAY is owed.
    const cases: [Buffer[], RegExp, number | undefined][] = [
      [[frame(HEADERS, 0, 1, firstBlock(OK_HEADERS)), frame(DATA, 0, 1, lpm(new Uint8Array()))], /header block interrupted/, 1],
      [[frame(PUSH_PROMISE, END_HEADERS, 1, u32(2))], /PUSH_PROMISE/, 1],
      [[Buffer.concat([frame(DATA, 0, 1, Buffer.alloc(0)).subarray(0, 9).fill(0xff, 0, 3)])], /exceeds SETTINGS_MAX_FRAME_SIZE/, 6],
      [[frame(DATA, 0, 1, lpm(new Uint8Array()))], /DATA before HEADERS/, 1],
      [[frame(HEADERS, END_HEADERS, 3, firstBlock(OK_HEADERS))], /frame type 1 on stream 3/, 1],
      [[frame(HEADERS, END_HEADERS, 1, encodeHeaderBlock(OK_HEADERS))], /did not lower the table/, 9],
      [[ok, frame(DATA, 0, 1, lpm(new Uint8Array(), 1)), frame(HEADERS, END_HEADERS | END_STREAM, 1, encodeHeaderBlock([['grpc-status', '0']]))], /compressed/, undefined],
      [[ok, frame(DATA, 0, 1, Buffer.concat([lpm(new Uint8Array()), lpm(new Uint8Array())])), frame(HEADERS, END_HEADERS | END_STREAM, 1, encodeHeaderBlock([['grpc-status', '0']]))], /expected one reply message/, undefined],
      [[ok, frame(HEADERS, END_HEADERS | END_STREAM, 1, encodeHeaderBlock([['grpc-status', '0']]))], /expected one reply message, got 0 bytes/, undefined],
    ];
    for (const [frames, why, goawayCode] of cases) {
      script = async (c) => {
        await c.request();
        c.send(...SERVER_PREFACE, ...frames);
      };
      await failsWith('INTERNAL', why);
      await last!.closed;
      const goaway = last!.take((f) => f.type === GOAWAY);
      assert.equal(goaway?.payload.readUInt32BE(4), goawayCode, `GOAWAY error code after ${why}`);
    }
  });

  test('a reply over maxReplyBytes is RESOURCE_EXHAUSTED, without waiting for the rest', async () => {
    script = async (c) => {
      await c.request();
      c.send(...SERVER_PREFACE, frame(HEADERS, END_HEADERS, 1, firstBlock(OK_HEADERS)), frame(DATA, 0, 1, Buffer.alloc(16384)));
    };
    const err = await getPoolStatus(path, { maxReplyBytes: 10_000 }).then(() => assert.fail('expected a failure'), (e: unknown) => e as IpamError);
    assert.equal(err.code, 'RESOURCE_EXHAUSTED');
    assert.match(err.details, /larger than 10000 bytes/);
  });
});
