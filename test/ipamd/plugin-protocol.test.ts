// ipamd's plugin protocol server (ipamd/api/plugin-server.ts, contract/plugin-protocol.ts) fed raw
// bytes: the socket file, then what a peer that is not the plugin may send (garbage, the wrong
// JSON, half a frame, an oversized length, silence, more than one request) and what it gets back.
// Well-formed calls through the plugin's own client are in test/contract/transports.test.ts.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { API_VERSION } from '../../contract/api.ts';
import { frame, MAX_REQUEST_BYTES } from '../../contract/plugin-protocol.ts';
import { createIpamMethods } from '../../ipamd/api/methods.ts';
import { createPluginServer } from '../../ipamd/api/plugin-server.ts';
import type { ApiServer } from '../../ipamd/api/server.ts';
import { apiServerFixture, capture, FakeCore } from '../helpers/fake-ipam-handlers.ts';

const fx = apiServerFixture();

/** Writes `bytes` (then half-closes if asked) and reads until ipamd closes: the reply frame, parsed. */
async function exchange(path: string, bytes: Buffer, opts: { halfClose?: boolean } = {}): Promise<{ reply?: Record<string, unknown>; raw: Buffer }> {
  const sock = connect({ path, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  sock.on('error', () => undefined);
  sock.on('end', () => sock.end()); // ipamd is done: finish our side too
  sock.write(bytes);
  if (opts.halfClose) sock.end();
  await once(sock, 'close');
  const raw = Buffer.concat(chunks);
  if (raw.length < 4) return { raw };
  assert.equal(raw.readUInt32BE(0), raw.length - 4, 'exactly one whole frame, then the end');
  return { reply: JSON.parse(raw.subarray(4).toString('utf8')) as Record<string, unknown>, raw };
}

const request = (method: string, message: unknown) => frame(JSON.stringify({ method, message }));
const errorOf = (r: { reply?: Record<string, unknown> }) => r.reply?.error as { code: string; message: string } | undefined;

describe('plugin protocol: the socket', () => {
  test('plugin.sock is 0600 in the gRPC socket\'s 0700 directory, and both are gone after close', async () => {
    const server = await fx.serve(new FakeCore(1));
    assert.equal(dirname(server.pluginSocketPath), dirname(server.socketPath));
    const st = await stat(server.pluginSocketPath);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal((await stat(dirname(server.pluginSocketPath))).mode & 0o777, 0o700);
    await server.close();
    await assert.rejects(stat(server.pluginSocketPath), { code: 'ENOENT' });
    await assert.rejects(stat(server.socketPath), { code: 'ENOENT' });
  });
});

describe('plugin protocol: what a peer that is not the plugin gets', () => {
  const log = capture();
  let server: ApiServer;
  let path: string;
  before(async () => {
    server = await fx.serve(new FakeCore(8), { logger: log.logger });
    server.setServing(true);
    path = server.pluginSocketPath;
  });
  after(() => server.close());
  const add = { client_version: API_VERSION, network_name: 'vpcwire', container_id: 'p1', if_name: 'eth0', netns: '/var/run/netns/p1' };

  test('a well-formed request: one reply frame {"ok"}, then the end', async () => {
    const r = await exchange(path, request('AddNetwork', add));
    assert.equal((r.reply?.ok as { ipv4_address: string }).ipv4_address, '10.0.16.0');
  });

  test('bytes after the request frame are never read; unknown fields are ignored', async () => {
    const r = await exchange(path, Buffer.concat([request('GetPoolStatus', { client_version: API_VERSION, from_the_future: [1] }), Buffer.from('garbage')]));
    assert.equal((r.reply?.ok as { serving: boolean }).serving, true);
  });

  test('garbage: not JSON, not UTF-8, not an object, no method, an unknown method, a field of the wrong type', async () => {
    const cases: [Buffer, string, RegExp][] = [
      [frame('{"method": "AddNetwork", '), 'INVALID_ARGUMENT', /^the request is not UTF-8 JSON/],
      [Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from([0xc3, 0x28])]), 'INVALID_ARGUMENT', /^the request is not UTF-8 JSON/],
      [frame('[1, 2]'), 'INVALID_ARGUMENT', /must be a JSON object \{"method", "message"\}/],
      [frame('{"message": {}}'), 'INVALID_ARGUMENT', /no "method" string/],
      [request('Check', {}), 'UNIMPLEMENTED', /^unknown method "Check"$/],
      [request('AddNetwork', 'x'), 'INVALID_ARGUMENT', /"message" must be a JSON object/],
      [request('AddNetwork', { ...add, netns: 5 }), 'INVALID_ARGUMENT', /^netns must be a string$/],
    ];
    for (const [bytes, code, message] of cases) {
      const e = errorOf(await exchange(path, bytes));
      assert.equal(e?.code, code, JSON.stringify(e));
      assert.match(e!.message, message);
    }
  });

  test('an empty frame, and a length over the limit (refused before its payload is read)', async () => {
    assert.equal(errorOf(await exchange(path, Buffer.from([0, 0, 0, 0])))?.code, 'INVALID_ARGUMENT');
    const big = Buffer.alloc(4);
    big.writeUInt32BE(0xffffffff);
    const e = errorOf(await exchange(path, big));
    assert.equal(e?.code, 'RESOURCE_EXHAUSTED');
    assert.equal(e?.message, `request of 4294967295 bytes exceeds the limit of ${MAX_REQUEST_BYTES}`);
  });

  test('half-closed in the middle of a frame: told how much arrived', async () => {
    const whole = request('AddNetwork', add);
    const e = errorOf(await exchange(path, whole.subarray(0, 10), { halfClose: true }));
    assert.equal(e?.code, 'INVALID_ARGUMENT');
    assert.equal(e?.message, 'the request frame ended after 10 bytes');
    assert.ok(log.entries.some((l) => l.message === 'plugin protocol: refused a request' && l.meta.details === e?.message));
  });

  test('a client that leaves before its reply does not disturb the next one', async () => {
    const sock = connect(path);
    sock.on('error', () => undefined);
    sock.write(request('AddNetwork', { ...add, container_id: 'gone' }));
    sock.destroy();
    const r = await exchange(path, request('ListAllocations', { client_version: API_VERSION }));
    assert.ok(Array.isArray((r.reply?.ok as { allocations: unknown[] }).allocations));
  });
});

describe('plugin protocol: a connection that never completes its request', () => {
  test('is closed without a reply after the request timeout', async () => {
    const log = capture();
    const methods = createIpamMethods({ handlers: new FakeCore(1), isServing: () => true, minClientVersion: '1.0.0', logger: log.logger });
    const server: Server = createPluginServer({ methods, logger: log.logger, requestTimeoutMs: 200 });
    const path = join(fx.dir, 'timeout.sock');
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const t0 = performance.now();
      const r = await exchange(path, Buffer.from([0, 0, 0, 50, 0x7b]));
      assert.equal(r.raw.length, 0);
      assert.ok(performance.now() - t0 >= 190);
      assert.ok(log.entries.some((l) => /no whole request in time/.test(l.message) && l.meta.received === 5));
    } finally {
      server.close();
    }
  });
});
