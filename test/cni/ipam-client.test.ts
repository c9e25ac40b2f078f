// The CNI plugin's lean gRPC client (cni/ipam/) against ipamd's REAL allocation API server
// (grpc-js over nghttp2, ipamd/api/server.ts) on a temp unix socket, with the fake core of
// test/helpers: replies and statuses as the plugin sees them, big multi-frame replies, concurrency,
// and the failures the plugin must classify (no socket, stale socket, silent server, deadline);
// through a recording proxy, how nghttp2 answered our SETTINGS. The one-shot process view is in
// ipam-oneshot.test.ts, frame-level cases against a scripted peer in ipam-h2.test.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { POOL_EMPTY_MARKER as IPAMD_POOL_EMPTY_MARKER } from '../../ipamd/api/status-map.ts';
import { API_VERSION as IPAMD_API_VERSION } from '../../ipamd/api/version.ts';
import { connectIpam } from '../../ipamd/api/client.ts';
import {
  addNetwork,
  type AddNetworkParams,
  API_VERSION,
  checkHealth,
  delNetwork,
  getPoolStatus,
  IpamError,
  listAllocations,
  POOL_EMPTY_MARKER,
} from '../../cni/ipam/client.ts';
import { HpackDecoder } from '../../cni/ipam/hpack.ts';
import { AddNetworkReply, ListAllocationsReply } from '../../cni/ipam/messages.ts';
import type { ApiServer } from '../../ipamd/api/server.ts';
import { apiServerFixture, FakeCore, pod, rejectsWith } from '../helpers/fake-ipam-handlers.ts';

const fx = apiServerFixture();

/** The plugin's view of test/helpers' pod(): the same request, in the client's parameter shape. */
const params = (containerId: string): AddNetworkParams => {
  const p = pod(containerId);
  return {
    ...p.key,
    netns: p.netns,
    k8sPodNamespace: p.pod.namespace!,
    k8sPodName: p.pod.name!,
    k8sPodUid: p.pod.uid!,
    k8sPodInfraContainerId: p.pod.infraContainerId!,
  };
};

const rejects = async (p: Promise<unknown>, code: string, details?: RegExp): Promise<IpamError> => {
  const err = await p.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof IpamError, String(err));
  assert.equal(err.code, code, err.message);
  if (details) assert.match(err.details, details);
  return err;
};

/** A unix-socket server that accepts and never says a word; records when connections end. */
async function silentServer(path: string): Promise<{ server: Server; closed: Promise<void> }> {
  let onClose!: () => void;
  const closed = new Promise<void>((r) => (onClose = r));
  const server = createServer((sock: Socket) => sock.on('close', onClose).resume());
  await new Promise<void>((r) => server.listen(path, r));
  return { server, closed };
}

/** The payloads of the HEADERS frames in a byte stream of HTTP/2 frames (RFC 9113 §4.1). */
function headerFrames(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 9 <= bytes.length; at += 9 + bytes.readUIntBE(at, 3)) {
    if (bytes[at + 3] === 1) out.push(bytes.subarray(at + 9, at + 9 + bytes.readUIntBE(at, 3)));
  }
  return out;
}

describe('lean client against the real ipamd server', () => {
  let core: FakeCore;
  let server: ApiServer;
  let s: string;
  before(async () => {
    core = new FakeCore(1200);
    server = await fx.serve(core);
    server.setServing(true);
    s = server.socketPath;
  });
  after(() => server.close());

  test('add and del round trip with every reply field; a repeated ADD says existing = true', async () => {
    const first = await addNetwork(s, params('rt1'));
    assert.deepEqual(first, {
      ...AddNetworkReply.decode(new Uint8Array()), // any field the fake core does not set: its default
      ipv4Address: first.ipv4Address,
      deviceIndex: 1,
      routeTable: 2,
      eniId: 'eni-0b',
      eniMac: '02:00:00:00:00:0b',
      subnetCidr: '10.0.16.0/20',
      subnetGateway: '10.0.16.1',
      vpcCidrs: ['10.0.0.0/16', '100.64.0.0/16'],
      mtu: 9001,
      vethPrefix: 'eni',
      prefix: '',
      existing: false,
    });
    assert.match(first.ipv4Address, /^10\.0\.\d+\.\d+$/);
    assert.deepEqual(core.seen.at(-1), pod('rt1'), 'every request field reached ipamd');

    const again = await addNetwork(s, params('rt1'));
    assert.deepEqual(again, { ...first, existing: true });

    const key = { networkName: 'vpcwire', containerId: 'rt1', ifName: 'eth0', reason: 'cni-del' };
    assert.deepEqual(await delNetwork(s, key), { released: true, ipv4Address: first.ipv4Address, deviceIndex: 1, routeTable: 2 });
    assert.deepEqual(await delNetwork(s, key), { released: false, ipv4Address: '', deviceIndex: 0, routeTable: 0 });
  });

  test('INVALID_ARGUMENT names the field; the message names the method and the socket', async () => {
    const err = await rejects(addNetwork(s, { ...params('v1'), netns: '' }), 'INVALID_ARGUMENT', /^netns is required$/);
    assert.equal(err.grpcCode, 3);
    assert.equal(err.message, `AddNetwork on ${s}: INVALID_ARGUMENT: netns is required`);
    await rejects(delNetwork(s, { networkName: 'vpcwire', containerId: 'v1', ifName: '' }), 'INVALID_ARGUMENT', /^if_name is required$/);
  });

  test('a percent-encoded grpc-message with non-ASCII text reads exactly as grpc-js reads it', async () => {
    const containerId = 'ünïcødé-100%-🚀 «ok»';
    const ours = await rejects(addNetwork(s, params(containerId)), 'INVALID_ARGUMENT', /^container_id "ünïcødé-100%-🚀 «ok»" is invalid/);
    const stock = connectIpam(s);
    try {
      const theirs = await rejectsWith(stock.addNetwork(pod(containerId)), 'INVALID_ARGUMENT');
      assert.equal(ours.details, theirs.details);
    } finally {
      stock.close();
    }
  });

  test('a request over one 16 KiB frame arrives whole; one over the initial 64 KiB window is refused unsent', async () => {
    // ipamd can only name the length if it got every DATA frame of the message.
    await rejects(addNetwork(s, { ...params('big1'), netns: `/${'n'.repeat(19_999)}` }), 'INVALID_ARGUMENT', /^netns is 20000 characters long/);
    const err = await rejects(addNetwork(join(fx.dir, 'never-dialled.sock'), { ...params('big2'), netns: `/${'n'.repeat(70_000)}` }), 'RESOURCE_EXHAUSTED');
    assert.match(err.details, /request message of \d+ bytes exceeds 65530/);
  });

  test('FAILED_PRECONDITION for a client version ipamd does not accept, naming both versions', async () => {
    assert.equal(API_VERSION, IPAMD_API_VERSION, 'the client speaks the API version ipamd serves');
    const err = await rejects(addNetwork(s, params('fp1'), { clientVersion: '2.0.0' }), 'FAILED_PRECONDITION', /2\.0\.0.*1\.0\.0/);
    assert.equal(err.grpcCode, 9);
    await rejects(listAllocations(s, { clientVersion: 'banana' }), 'FAILED_PRECONDITION', /not a semantic version/);
  });

  test('health (whole server and the Ipam service) and pool status', async () => {
    assert.equal(await checkHealth(s), 'SERVING');
    assert.equal(await checkHealth(s, { service: 'vpcwire.ipamd.v1.Ipam' }), 'SERVING');
    await rejects(checkHealth(s, { service: 'no.such.Service' }), 'NOT_FOUND', /unknown service/);
    const pool = await getPoolStatus(s);
    assert.equal(pool.serving, true);
    assert.equal(pool.freeAddresses, core.free.length);
    assert.equal(pool.assignedAddresses, core.byKey.size);
    assert.equal(pool.canGrow, true);
  });

  test('50 concurrent calls, each on its own connection, all answered with distinct addresses', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `conc${i}`);
    const replies = await Promise.all(ids.map((id) => addNetwork(s, params(id))));
    assert.equal(new Set(replies.map((r) => r.ipv4Address)).size, 50);
    assert.ok(replies.every((r) => !r.existing));
    const dels = await Promise.all(ids.map((id) => delNetwork(s, { networkName: 'vpcwire', containerId: id, ifName: 'eth0' })));
    assert.deepEqual(dels.map((d) => d.ipv4Address).sort(), replies.map((r) => r.ipv4Address).sort());
  });

  test('ListAllocations far over 64 KiB (many 16 KiB DATA frames, past the default windows) arrives whole', async () => {
    // Real sandbox IDs are 64 hex characters; 1000 pods make a reply of about a quarter MiB.
    const ids = Array.from({ length: 1000 }, (_, i) => `${i.toString(16).padStart(8, '0')}${'ab'.repeat(28)}`);
    for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map((id) => addNetwork(s, params(id))));
    const list = await listAllocations(s, { deadlineMs: 5000 });
    assert.ok(ListAllocationsReply.encode({ allocations: list }).length > 4 * 65536, 'the reply spans many frames and windows');
    assert.equal(list.length, core.byKey.size);
    for (const a of list) {
      const held = core.byKey.get(`${a.networkName}/${a.containerId}/${a.ifName}`)!;
      assert.deepEqual(a, {
        networkName: 'vpcwire', containerId: held.key.containerId, ifName: 'eth0',
        k8sPodNamespace: 'default', k8sPodName: `web-${held.key.containerId}`, k8sPodUid: `uid-${held.key.containerId}`,
        ipv4Address: held.ipv4Address, eniId: 'eni-0b', allocatedAtUnixMs: 1_700_000_000_123, routeTable: held.routeTable,
        recovered: false, hostVethName: '',
      });
    }
  });
});

describe('statuses of a pool or server that cannot allocate', () => {
  test('POOL_EMPTY: RESOURCE_EXHAUSTED with the marker ipamd.proto defines', async () => {
    const server = await fx.serve(new FakeCore(0));
    try {
      server.setServing(true);
      assert.equal(POOL_EMPTY_MARKER, IPAMD_POOL_EMPTY_MARKER);
      const err = await rejects(addNetwork(server.socketPath, params('pe1')), 'POOL_EMPTY', /^POOL_EMPTY: no free address/);
      assert.equal(err.grpcCode, 8);
    } finally {
      await server.close();
    }
  });

  test('while ipamd is NOT_SERVING: health says so, ADD and DEL are UNAVAILABLE, pool status answers', async () => {
    const server = await fx.serve(new FakeCore(4));
    const s = server.socketPath;
    try {
      assert.equal(await checkHealth(s), 'NOT_SERVING');
      await rejects(addNetwork(s, params('ns1')), 'UNAVAILABLE', /not serving/);
      await rejects(delNetwork(s, { networkName: 'vpcwire', containerId: 'ns1', ifName: 'eth0' }), 'UNAVAILABLE', /not serving/);
      assert.equal((await getPoolStatus(s)).serving, false);
      server.setServing(true);
      assert.equal(await checkHealth(s), 'SERVING');
      assert.equal((await addNetwork(s, params('ns1'))).existing, false);
    } finally {
      await server.close();
    }
  });
});

describe('when ipamd cannot be reached in time', () => {
  test('UNAVAILABLE for a missing socket, naming the path and ENOENT', async () => {
    const path = join(fx.dir, 'missing', 'ipamd.sock');
    const err = await rejects(addNetwork(path, params('m1')), 'UNAVAILABLE', /ENOENT/);
    assert.equal(err.grpcCode, 14);
    assert.ok(err.details.includes(path) && err.message.includes('AddNetwork'), err.message);
  });

  test('UNAVAILABLE for a stale socket nobody listens on (ipamd killed): ECONNREFUSED', async () => {
    const path = join(fx.dir, 'stale.sock');
    // A listener SIGKILLed leaves its socket file behind, as a crashed ipamd does.
    const script = "require('node:net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))";
    assert.throws(() => execFileSync(process.execPath, ['-e', script, path], { stdio: 'ignore' }));
    await rejects(delNetwork(path, { networkName: 'vpcwire', containerId: 'x', ifName: 'eth0' }), 'UNAVAILABLE', /ECONNREFUSED/);
  });

  test('DEADLINE_EXCEEDED against a server that accepts and stays silent; the connection is then closed', async () => {
    const path = join(fx.dir, 'silent.sock');
    const { server, closed } = await silentServer(path);
    try {
      const t0 = performance.now();
      await rejects(addNetwork(path, params('d1'), { deadlineMs: 300 }), 'DEADLINE_EXCEEDED', /no reply within 300 ms/);
      const elapsed = performance.now() - t0;
      assert.ok(elapsed >= 290 && elapsed < 2000, `took ${elapsed} ms`);
      await closed;
    } finally {
      server.close();
    }
  });

  test('UNAVAILABLE when the connection closes before any status', async () => {
    const path = join(fx.dir, 'hangup.sock');
    const server = createServer((sock) => sock.once('data', () => sock.destroy()));
    await new Promise<void>((r) => server.listen(path, r));
    try {
      await rejects(getPoolStatus(path), 'UNAVAILABLE', /closed before the call's status arrived/);
    } finally {
      server.close();
    }
  });

  test('INVALID_OPTION for a deadline setTimeout cannot honour, before anything is sent', async () => {
    await rejects(checkHealth('/nonexistent.sock', { deadlineMs: 0 }), 'INVALID_OPTION', /deadlineMs/);
    await rejects(checkHealth('/nonexistent.sock', { deadlineMs: 2 ** 31 }), 'INVALID_OPTION', /deadlineMs/);
  });
});

describe("ipamd's real server (nghttp2) seen through a recording proxy", () => {
  test('it honours HEADER_TABLE_SIZE 0: its first block lowers the table, and nothing is ever indexed', async () => {
    const api = await fx.serve(new FakeCore(4));
    api.setServing(true);
    const fromServer: Buffer[] = [];
    const proxyPath = join(fx.dir, 'proxy.sock');
    const proxy = createServer((down) => {
      const up = connect(api.socketPath);
      down.pipe(up);
      up.on('data', (d: Buffer) => {
        fromServer.push(d);
        down.write(d);
      });
      up.on('close', () => down.destroy());
      down.on('close', () => up.destroy());
      // The client destroys its end as soon as it has the status: late writes may find it gone.
      up.on('error', () => undefined);
      down.on('error', () => undefined);
    });
    await new Promise<void>((r) => proxy.listen(proxyPath, r));
    try {
      const reply = await addNetwork(proxyPath, { networkName: 'vpcwire', containerId: 'px1', ifName: 'eth0', netns: '/var/run/netns/px1' });
      assert.equal(reply.eniId, 'eni-0b');
      const blocks = headerFrames(Buffer.concat(fromServer));
      assert.equal(blocks.length, 2, 'headers, then trailers');
      assert.equal(blocks[0]![0], 0x20, 'the first block starts with a dynamic table size update to 0');
      const d = new HpackDecoder(4096);
      d.setLimit(0);
      const [head, trailers] = blocks.map((b) => d.decode(b));
      assert.equal(d.tableSize, 0);
      assert.deepEqual(head!.slice(0, 2), [[':status', '200'], ['content-type', 'application/grpc+proto']]);
      assert.deepEqual(trailers, [['grpc-status', '0'], ['grpc-message', 'OK']]);
    } finally {
      proxy.close();
      await api.close();
    }
  });
});
