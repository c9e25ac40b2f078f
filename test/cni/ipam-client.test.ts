// The CNI plugin's ipamd client (cni/ipam/client.ts) against ipamd's REAL allocation API server
// (ipamd/api/server.ts) on its plugin socket, with the fake core of test/helpers: replies as the
// plugin sees them, a big reply, concurrency, and the failures the plugin must classify (no socket,
// stale socket, silent server, deadline, hang-up). The cases both transports share are in
// test/contract/transports.test.ts; the server's handling of malformed frames in
// test/ipamd/plugin-protocol.test.ts; the one-shot process view in ipam-oneshot.test.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { API_VERSION } from '../../contract/api.ts';
import type { AddNetworkRequest } from '../../contract/messages.ts';
import { MAX_REQUEST_BYTES } from '../../contract/plugin-protocol.ts';
import { connectIpam } from '../../ipamd/api/client.ts';
import { callIpamd, IpamError, type IpamErrorCode } from '../../cni/ipam/client.ts';
import type { ApiServer } from '../../ipamd/api/server.ts';
import { apiServerFixture, FakeCore, pod, rejectsWith } from '../helpers/fake-ipam-handlers.ts';

const fx = apiServerFixture();

/** test/helpers' pod() as the plugin sends it. */
const addRequest = (containerId: string): AddNetworkRequest => {
  const p = pod(containerId);
  return {
    client_version: API_VERSION,
    network_name: p.key.networkName,
    container_id: p.key.containerId,
    if_name: p.key.ifName,
    netns: p.netns,
    k8s_pod_namespace: p.pod.namespace!,
    k8s_pod_name: p.pod.name!,
    k8s_pod_uid: p.pod.uid!,
    k8s_pod_infra_container_id: p.pod.infraContainerId!,
  };
};
const delRequest = (containerId: string) => ({
  client_version: API_VERSION, network_name: 'vpcwire', container_id: containerId, if_name: 'eth0', reason: '', k8s_pod_namespace: '', k8s_pod_name: '',
});
const versioned = { client_version: API_VERSION };

const rejects = async (p: Promise<unknown>, code: IpamErrorCode, details?: RegExp): Promise<IpamError> => {
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

describe('plugin client against the real ipamd server', () => {
  let core: FakeCore;
  let server: ApiServer;
  let s: string;
  before(async () => {
    core = new FakeCore(1200);
    server = await fx.serve(core);
    server.setServing(true);
    s = server.pluginSocketPath;
  });
  after(() => server.close());

  test('the plugin socket is plugin.sock next to the gRPC socket', () => {
    assert.equal(s, join(server.socketPath, '..', 'plugin.sock'));
  });

  test('INVALID_ARGUMENT: the message names the method and the socket', async () => {
    const err = await rejects(callIpamd(s, 'AddNetwork', { ...addRequest('v1'), netns: '' }), 'CNI_IPAM_INVALID_ARGUMENT', /^netns is required$/);
    assert.equal(err.message, `AddNetwork on ${s}: INVALID_ARGUMENT: netns is required`);
  });

  test('non-ASCII text in an error reads exactly as grpc-js reads it on the gRPC socket', async () => {
    const containerId = 'ünïcødé-100%-🚀 «ok»';
    const ours = await rejects(callIpamd(s, 'AddNetwork', addRequest(containerId)), 'CNI_IPAM_INVALID_ARGUMENT', /^container_id "ünïcødé-100%-🚀 «ok»" is invalid/);
    const stock = connectIpam(server.socketPath);
    try {
      const theirs = await rejectsWith(stock.addNetwork(pod(containerId)), 'IPAMD_CALL_INVALID_ARGUMENT');
      assert.equal(ours.details, theirs.details);
    } finally {
      stock.close();
    }
  });

  test('a request near the limit arrives whole; one over it is refused unsent', async () => {
    // ipamd can only name the length if it got the whole request.
    await rejects(callIpamd(s, 'AddNetwork', { ...addRequest('big1'), netns: `/${'n'.repeat(19_999)}` }), 'CNI_IPAM_INVALID_ARGUMENT', /^netns is 20000 characters long/);
    const err = await rejects(
      callIpamd(join(fx.dir, 'never-dialled.sock'), 'AddNetwork', { ...addRequest('big2'), netns: `/${'n'.repeat(70_000)}` }),
      'CNI_IPAM_RESOURCE_EXHAUSTED',
    );
    assert.match(err.details, new RegExp(`request of \\d+ bytes exceeds the limit of ${MAX_REQUEST_BYTES}`));
  });

  test('50 concurrent calls, each on its own connection, all answered with distinct addresses', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `conc${i}`);
    const replies = await Promise.all(ids.map((id) => callIpamd(s, 'AddNetwork', addRequest(id))));
    assert.equal(new Set(replies.map((r) => r.ipv4_address)).size, 50);
    assert.ok(replies.every((r) => !r.existing));
    const dels = await Promise.all(ids.map((id) => callIpamd(s, 'DelNetwork', delRequest(id))));
    assert.deepEqual(dels.map((d) => d.ipv4_address).sort(), replies.map((r) => r.ipv4_address).sort());
  });

  test('ListAllocations of a quarter MiB arrives whole, in many reads', async () => {
    // Real sandbox IDs are 64 hex characters; 1000 pods make a reply of about a quarter MiB.
    const ids = Array.from({ length: 1000 }, (_, i) => `${i.toString(16).padStart(8, '0')}${'ab'.repeat(28)}`);
    for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map((id) => callIpamd(s, 'AddNetwork', addRequest(id))));
    const list = (await callIpamd(s, 'ListAllocations', versioned, { deadlineMs: 5000 })).allocations;
    assert.ok(JSON.stringify(list).length > 4 * 65536, 'a reply far over one socket read');
    assert.equal(list.length, core.byKey.size);
    for (const a of list) {
      const held = core.byKey.get(`${a.network_name}/${a.container_id}/${a.if_name}`)!;
      assert.deepEqual(a, {
        network_name: 'vpcwire', container_id: held.key.containerId, if_name: 'eth0',
        k8s_pod_namespace: 'default', k8s_pod_name: `web-${held.key.containerId}`, k8s_pod_uid: `uid-${held.key.containerId}`,
        ipv4_address: held.ipv4Address, eni_id: 'eni-0b', allocated_at_unix_ms: '1700000000123', route_table: held.routeTable,
        recovered: false, host_veth_name: '',
      });
    }
  });
});

describe('when ipamd cannot be reached in time', () => {
  test('UNAVAILABLE for a missing socket, naming the path and ENOENT', async () => {
    const path = join(fx.dir, 'missing', 'plugin.sock');
    const err = await rejects(callIpamd(path, 'AddNetwork', addRequest('m1')), 'CNI_IPAM_UNAVAILABLE', /ENOENT/);
    assert.ok(err.details.includes(path) && err.message.includes('AddNetwork'), err.message);
  });

  test('UNAVAILABLE for a stale socket nobody listens on (ipamd killed): ECONNREFUSED', async () => {
    const path = join(fx.dir, 'stale.sock');
    // A listener SIGKILLed leaves its socket file behind, as a crashed ipamd does.
    const script = "require('node:net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))";
    assert.throws(() => execFileSync(process.execPath, ['-e', script, path], { stdio: 'ignore' }));
    await rejects(callIpamd(path, 'DelNetwork', delRequest('x')), 'CNI_IPAM_UNAVAILABLE', /ECONNREFUSED/);
  });

  test('DEADLINE_EXCEEDED against a server that accepts and stays silent; the connection is then closed', async () => {
    const path = join(fx.dir, 'silent.sock');
    const { server, closed } = await silentServer(path);
    try {
      const t0 = performance.now();
      await rejects(callIpamd(path, 'AddNetwork', addRequest('d1'), { deadlineMs: 300 }), 'CNI_IPAM_DEADLINE_EXCEEDED', /no reply within 300 ms/);
      const elapsed = performance.now() - t0;
      assert.ok(elapsed >= 290 && elapsed < 2000, `took ${elapsed} ms`);
      await closed;
    } finally {
      server.close();
    }
  });

  test('UNAVAILABLE when the connection closes before a whole reply; INTERNAL for a reply that is not ipamd\'s', async () => {
    const path = join(fx.dir, 'hangup.sock');
    const replies = [Buffer.from([0, 0, 0, 9, 0x7b]), Buffer.from([0, 0, 0, 3, 0x31, 0x32, 0x33]), Buffer.from([0xff, 0xff, 0xff, 0xff])];
    const server = createServer({ allowHalfOpen: true }, (sock) => sock.once('data', () => sock.end(replies.shift()!)));
    await new Promise<void>((r) => server.listen(path, r));
    try {
      await rejects(callIpamd(path, 'GetPoolStatus', versioned), 'CNI_IPAM_UNAVAILABLE', /closed before the reply arrived/);
      await rejects(callIpamd(path, 'GetPoolStatus', versioned), 'CNI_IPAM_INTERNAL', /neither "ok" nor an "error"/);
      await rejects(callIpamd(path, 'GetPoolStatus', versioned), 'CNI_IPAM_INTERNAL', /is not ipamd's/);
    } finally {
      server.close();
    }
  });

  test('INVALID_OPTION for a deadline setTimeout cannot honour, before anything is sent', async () => {
    await rejects(callIpamd('/nonexistent.sock', 'GetPoolStatus', versioned, { deadlineMs: 0 }), 'CNI_IPAM_INVALID_OPTION', /deadlineMs/);
    await rejects(callIpamd('/nonexistent.sock', 'GetPoolStatus', versioned, { deadlineMs: 2 ** 31 }), 'CNI_IPAM_INVALID_OPTION', /deadlineMs/);
  });
});
