// The allocation API's socket lifecycle and health over a real unix socket: stock gRPC clients built
// from the .proto files alone, health Check and Watch, and the socket file (modes, stale and live
// sockets, drain on close). Same in-memory stand-in for ipamd's core as test/ipamd/api.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { credentials, loadPackageDefinition, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { connectIpam } from '../../ipamd/api/client.ts';
import { ApiError } from '../../ipamd/api/errors.ts';
import type { IpamHandlers } from '../../ipamd/api/handlers.ts';
import { HEALTH_PROTO_PATH, IPAMD_PROTO_PATH } from '../../ipamd/api/proto.ts';
import { startApiServer } from '../../ipamd/api/server.ts';
import { apiServerFixture, capture, FakeCore, pod, rejectsWith } from '../helpers/fake-ipam-handlers.ts';

const fx = apiServerFixture();
const { freshPath, serve } = fx;

// ---- stock clients: built from the .proto files only, with proto-loader's own options

type Unary = (req: object, cb: (err: ServiceError | null, reply: Record<string, unknown>) => void) => void;
const unary = (c: Client, method: string, req: object): Promise<Record<string, unknown>> =>
  new Promise((resolve, reject) =>
    ((c as unknown as Record<string, Unary>)[method]!).call(c, req, (err, reply) => (err ? reject(err) : resolve(reply))),
  );

function stockClient(protoPath: string, service: string, socketPath: string): Client {
  // camelCase fields and numeric defaults: deliberately not ipamd's loader options.
  let node: unknown = loadPackageDefinition(loadSync(protoPath, { enums: String, defaults: true }));
  for (const part of service.split('.')) node = (node as Record<string, unknown>)[part];
  const Ctor = node as new (target: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
  return new Ctor(`unix:${socketPath}`, credentials.createInsecure());
}

describe('allocation API: stock gRPC clients', () => {
  test('health Check says NOT_SERVING, then SERVING after setServing(true); Add waits for it', async () => {
    const server = await serve(new FakeCore(4));
    const health = stockClient(HEALTH_PROTO_PATH, 'grpc.health.v1.Health', server.socketPath);
    const ipam = connectIpam(server.socketPath);

    assert.deepEqual(await unary(health, 'Check', { service: '' }), { status: 'NOT_SERVING' });
    await rejectsWith(ipam.addNetwork(pod('h1')), 'IPAMD_CALL_UNAVAILABLE', /not serving yet/);

    const watch = (health as unknown as { Watch(req: object): NodeJS.ReadableStream & { cancel(): void } }).Watch({ service: '' });
    const seen: unknown[] = [];
    watch.on('data', (m: { status: string }) => seen.push(m.status));
    watch.on('error', () => undefined); // cancelled below
    while (seen.length < 1) await new Promise((r) => setTimeout(r, 5));

    server.setServing(true);
    assert.deepEqual(await unary(health, 'Check', { service: '' }), { status: 'SERVING' });
    assert.deepEqual(await unary(health, 'Check', { service: 'vpcwire.ipamd.v1.Ipam' }), { status: 'SERVING' });
    await assert.rejects(unary(health, 'Check', { service: 'nope' }), (e: ServiceError) => e.code === status.NOT_FOUND);
    while (seen.length < 2) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(seen, ['NOT_SERVING', 'SERVING']);
    watch.cancel();
    assert.ok((await ipam.addNetwork(pod('h1'))).ipv4Address);

    ipam.close();
    health.close();
    await server.close();
  });

  test('AddNetwork and DelNetwork from a client that only has ipamd.proto', async () => {
    const server = await serve(new FakeCore(4));
    server.setServing(true);
    const c = stockClient(IPAMD_PROTO_PATH, 'vpcwire.ipamd.v1.Ipam', server.socketPath);
    const triple = { networkName: 'vpcwire', containerId: 'stock1', ifName: 'eth0' };
    const added = await unary(c, 'AddNetwork', { clientVersion: '1.0.0', ...triple, netns: '/proc/1/ns/net' });
    assert.equal(added.ipv4Address, '10.0.16.0');
    assert.equal(added.routeTable, 2);
    assert.equal(added.prefix, '');
    const deleted = await unary(c, 'DelNetwork', { clientVersion: '1.0.0', ...triple, reason: 'stock' });
    assert.deepEqual(deleted, { released: true, ipv4Address: '10.0.16.0', deviceIndex: 1, routeTable: 2 });
    await assert.rejects(unary(c, 'AddNetwork', { ...triple, netns: '/x' }), (e: ServiceError) => {
      assert.equal(e.code, status.FAILED_PRECONDITION);
      return true;
    });
    c.close();
    await server.close();
  });
});

describe('allocation API: the socket file', () => {
  test('directory created 0700, socket 0600', async () => {
    const server = await serve(new FakeCore(1));
    const sock = await stat(server.socketPath);
    assert.ok(sock.isSocket());
    assert.equal(sock.mode & 0o777, 0o600);
    assert.equal((await stat(join(server.socketPath, '..'))).mode & 0o777, 0o700);
    await server.close();
  });

  test('a stale socket left by a killed server is replaced', async () => {
    const path = freshPath();
    await mkdir(join(path, '..'), { recursive: true });
    const child = spawn(
      process.execPath,
      ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('ready'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await once(child.stdout, 'data');
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.ok((await lstat(path)).isSocket(), 'the killed server left its socket behind');

    const log = capture();
    const server = await startApiServer({ socketPath: path, handlers: new FakeCore(1), logger: log.logger });
    assert.ok(log.entries.some((e) => e.level === 'warn' && /stale socket/.test(e.message) && e.meta.socketPath === path));
    server.setServing(true);
    const c = connectIpam(path);
    assert.ok((await c.addNetwork(pod('after-stale'))).ipv4Address);
    c.close();
    await server.close();
  });

  test('a second server on a live socket is refused, and the first keeps serving', async () => {
    const first = await serve(new FakeCore(2));
    first.setServing(true);
    await assert.rejects(
      startApiServer({ socketPath: first.socketPath, handlers: new FakeCore(1) }),
      (e: unknown) => e instanceof ApiError && e.code === 'IPAMD_API_SOCKET_IN_USE' && e.message.includes(first.socketPath),
    );
    const c = connectIpam(first.socketPath);
    assert.ok((await c.addNetwork(pod('first'))).ipv4Address);
    c.close();
    await first.close();
  });

  test('a path holding something other than a socket is refused and left alone', async () => {
    const path = join(fx.dir, 'plain-file.sock');
    await writeFile(path, 'not a socket');
    await assert.rejects(
      startApiServer({ socketPath: path, handlers: new FakeCore(1) }),
      (e: unknown) => e instanceof ApiError && e.code === 'IPAMD_API_SOCKET_PATH_INVALID',
    );
    assert.ok((await lstat(path)).isFile());
    await assert.rejects(
      startApiServer({ socketPath: 'relative.sock', handlers: new FakeCore(1) }),
      (e: unknown) => e instanceof ApiError && e.code === 'IPAMD_API_INVALID_OPTION' && /socketPath/.test(e.message),
    );
    await assert.rejects(
      startApiServer({ socketPath: freshPath(), handlers: new FakeCore(1), minClientVersion: '2.0.0' }),
      (e: unknown) => e instanceof ApiError && e.code === 'IPAMD_API_INVALID_OPTION' && /minClientVersion/.test(e.message),
    );
  });

  test('close() drains an in-flight call, removes the socket, and later calls are UNAVAILABLE', async () => {
    const core = new FakeCore(2);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: IpamHandlers = { add: async (r) => (await gate, core.add(r)), del: (r) => core.del(r), status: () => core.status(), poolStatus: () => core.poolStatus() };
    const server = await serve(slow);
    server.setServing(true);
    const c = connectIpam(server.socketPath, { deadlineMs: 3000 });
    const inFlight = c.addNetwork(pod('drain'));
    await new Promise((r) => setTimeout(r, 50));
    const closed = server.close();
    release();
    assert.ok((await inFlight).ipv4Address, 'the in-flight call was answered');
    await closed;
    await assert.rejects(lstat(server.socketPath), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    await server.close(); // idempotent
    c.close();
    const late = connectIpam(server.socketPath, { deadlineMs: 1000 });
    await rejectsWith(late.addNetwork(pod('late')), 'IPAMD_CALL_UNAVAILABLE');
    late.close();
  });

  test("close() leaves a successor's socket in place", async () => {
    const old = await serve(new FakeCore(1));
    await unlink(old.socketPath); // an operator removed it; a new ipamd took the path
    await unlink(old.pluginSocketPath); // (both of them: the old one would still answer on its plugin socket)
    const successor = await startApiServer({ socketPath: old.socketPath, handlers: new FakeCore(1) });
    await old.close();
    assert.ok((await lstat(successor.socketPath)).isSocket());
    assert.ok((await lstat(successor.pluginSocketPath)).isSocket());
    await successor.close();
  });
});
