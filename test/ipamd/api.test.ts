// The allocation API (issue 3 item 7) over a real unix socket, with a small in-memory stand-in for
// ipamd's core: the handlers interface is the unit's edge. Assertions are on replies, statuses and
// the socket file, never on call order.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdir, mkdtemp, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { credentials, loadPackageDefinition, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { connectIpam, type IpamClient } from '../../ipamd/api/client.ts';
import {
  addReplyToWire,
  addRequestToWire,
  allocationToWire,
  delReplyToWire,
  delRequestToWire,
  statusToWire,
} from '../../ipamd/api/convert.ts';
import { ApiError, IpamCallError } from '../../ipamd/api/errors.ts';
import type {
  AddRequest,
  AddResult,
  AllocationStatus,
  DelRequest,
  DelResult,
  IpamHandlers,
  Status,
} from '../../ipamd/api/handlers.ts';
import { HEALTH_PROTO_PATH, IPAMD_PROTO_PATH } from '../../ipamd/api/proto.ts';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../ipamd/api/server.ts';
import { API_VERSION } from '../../ipamd/api/version.ts';

// ---- a stand-in for ipamd's core: a fixed pool on one secondary ENI

class FakeCore implements IpamHandlers {
  readonly free: string[];
  readonly byKey = new Map<string, AllocationStatus>();
  readonly seen: AddRequest[] = [];
  crashNext = false;

  constructor(size: number) {
    this.free = Array.from({ length: size }, (_, i) => `10.0.${16 + (i >> 8)}.${i & 255}`);
  }

  private static id = (k: AddRequest['key']): string => `${k.networkName}/${k.containerId}/${k.ifName}`;

  async add(req: AddRequest): Promise<AddResult> {
    this.seen.push(req);
    await new Promise((r) => setImmediate(r)); // interleave concurrent calls
    if (this.crashNext) {
      this.crashNext = false;
      throw new TypeError("Cannot read properties of undefined (reading 'eni')");
    }
    const k = FakeCore.id(req.key);
    let a = this.byKey.get(k);
    if (!a) {
      const ip = this.free.shift();
      if (ip === undefined) throw Object.assign(new Error('no free address on 2 ENIs; growing'), { code: 'POOL_EMPTY' });
      a = { key: req.key, pod: req.pod, ipv4Address: ip, eniId: 'eni-0b', allocatedAt: 1_700_000_000_123 };
      this.byKey.set(k, a);
    }
    return {
      ipv4Address: a.ipv4Address,
      deviceIndex: 1,
      routeTable: 2,
      eniId: 'eni-0b',
      eniMac: '02:00:00:00:00:0b',
      subnetCidr: '10.0.16.0/20',
      subnetGateway: '10.0.16.1',
      vpcCidrs: ['10.0.0.0/16', '100.64.0.0/16'],
      mtu: 9001,
      vethPrefix: 'eni',
    };
  }

  async del(req: DelRequest): Promise<DelResult> {
    if (req.key.containerId === 'bad-request') {
      throw Object.assign(new Error('container_id names a sandbox ipamd refuses'), { code: 'INVALID_ARGUMENT' });
    }
    const k = FakeCore.id(req.key);
    const a = this.byKey.get(k);
    if (!a) return { released: false };
    this.byKey.delete(k);
    this.free.push(a.ipv4Address);
    return { released: true, ipv4Address: a.ipv4Address, deviceIndex: 1, routeTable: 2 };
  }

  async status(): Promise<Status> {
    return {
      instanceId: 'i-0123456789abcdef0',
      prefixMode: false,
      enis: [
        {
          id: 'eni-0a', deviceIndex: 0, mac: '02:00:00:00:00:0a', primaryIp: '10.0.0.4', isPrimary: true,
          subnetCidr: '10.0.0.0/20', addresses: [], prefixes: [],
        },
        {
          id: 'eni-0b', deviceIndex: 1, mac: '02:00:00:00:00:0b', primaryIp: '10.0.16.200', isPrimary: false,
          subnetCidr: '10.0.16.0/20',
          addresses: [
            { ip: '10.0.16.0', state: 'assigned' },
            { ip: '10.0.16.1', state: 'free' },
            { ip: '10.0.16.2', state: 'cooling' },
          ],
          prefixes: [{ prefix: '10.0.17.0/28', addresses: [{ ip: '10.0.17.0', state: 'free' }] }],
        },
      ],
      allocations: [...this.byKey.values()],
      poolTargets: { WARM_ENI_TARGET: '1', max_pods: '11' },
    };
  }
}

const pod = (containerId: string, extra: Partial<AddRequest> = {}): AddRequest => ({
  key: { networkName: 'vpcwire', containerId, ifName: 'eth0' },
  netns: `/var/run/netns/cni-${containerId}`,
  pod: { namespace: 'default', name: `web-${containerId}`, uid: `uid-${containerId}`, infraContainerId: containerId },
  ...extra,
});

const rejectsWith = async (p: Promise<unknown>, code: string, details?: RegExp): Promise<IpamCallError> => {
  const err = await p.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof IpamCallError, String(err));
  assert.equal(err.code, code, err.message);
  if (details) assert.match(err.details, details);
  return err;
};

/** Keeps every log entry: the API must say why it refused or replaced something. */
const capture = () => {
  const entries: { level: string; message: string; meta: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, meta: Record<string, unknown> = {}) => entries.push({ level, message, meta });
  return { entries, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
};

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vw-api-'));
});
after(() => rm(dir, { recursive: true, force: true }));

let n = 0;
const freshPath = (): string => join(dir, `s${++n}`, 'ipamd.sock');

async function serve(core: IpamHandlers, extra: Partial<ApiServerOptions> = {}): Promise<ApiServer> {
  return startApiServer({ socketPath: freshPath(), handlers: core, drainTimeoutMs: 2000, ...extra });
}

describe('allocation API: calls', () => {
  let core: FakeCore;
  let server: ApiServer;
  let client: IpamClient;
  const log = capture();
  before(async () => {
    core = new FakeCore(96);
    server = await serve(core, { logger: log.logger });
    server.setServing(true);
    client = connectIpam(server.socketPath);
  });
  after(async () => {
    client.close();
    await server.close();
  });
  beforeEach(() => {
    core.seen.length = 0;
  });

  test('add and del round trip; a repeated ADD returns the same address; DEL is idempotent', async () => {
    const first = await client.addNetwork(pod('c1'));
    assert.deepEqual(first, {
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
    });
    assert.deepEqual(core.seen[0], pod('c1'), 'the core sees the request in vpcwire types');
    assert.equal((await client.addNetwork(pod('c1'))).ipv4Address, first.ipv4Address);

    const key = pod('c1').key;
    assert.deepEqual(await client.delNetwork({ key, reason: 'cni-del' }), {
      released: true, ipv4Address: first.ipv4Address, deviceIndex: 1, routeTable: 2,
    });
    assert.deepEqual(await client.delNetwork({ key, reason: 'cni-del' }), { released: false });
  });

  test('pod fields absent from CNI_ARGS reach the core as undefined, not empty strings', async () => {
    await client.addNetwork({ ...pod('podman1'), pod: {} });
    assert.deepEqual(core.seen[0]!.pod, {});
    await client.delNetwork({ key: pod('podman1').key, reason: '' });
  });

  test('GetStatus and ListAllocations carry ENIs, address states, prefixes, allocations and targets', async () => {
    await client.addNetwork(pod('s1'));
    const s = await client.getStatus();
    assert.equal(s.apiVersion, API_VERSION);
    assert.equal(s.serving, true);
    assert.deepEqual(s.enis, (await core.status()).enis);
    assert.deepEqual(s.poolTargets, { WARM_ENI_TARGET: '1', max_pods: '11' });
    const mine = s.allocations.find((a) => a.key.containerId === 's1')!;
    assert.deepEqual(mine, { ...core.byKey.get('vpcwire/s1/eth0')!, pod: { namespace: 'default', name: 'web-s1', uid: 'uid-s1' } });
    assert.equal(mine.allocatedAt, 1_700_000_000_123);
    assert.deepEqual(await client.listAllocations(), s.allocations);
    await client.delNetwork({ key: pod('s1').key, reason: 'test' });
  });

  test('INVALID_ARGUMENT names each missing AddNetwork field, and the core is not called', async () => {
    const cases: [string, AddRequest][] = [
      ['network_name', { ...pod('v1'), key: { ...pod('v1').key, networkName: '' } }],
      ['container_id', { ...pod('v1'), key: { ...pod('v1').key, containerId: '' } }],
      ['if_name', { ...pod('v1'), key: { ...pod('v1').key, ifName: '' } }],
      ['netns', { ...pod('v1'), netns: '' }],
    ];
    for (const [field, req] of cases) {
      await rejectsWith(client.addNetwork(req), 'INVALID_ARGUMENT', new RegExp(`^${field} is required$`));
    }
    assert.equal(core.seen.length, 0);
  });

  test('INVALID_ARGUMENT names each missing DelNetwork field', async () => {
    const key = pod('v2').key;
    for (const [field, k] of [
      ['network_name', { ...key, networkName: '' }],
      ['container_id', { ...key, containerId: '' }],
      ['if_name', { ...key, ifName: '' }],
    ] as const) {
      await rejectsWith(client.delNetwork({ key: k, reason: 'x' }), 'INVALID_ARGUMENT', new RegExp(`^${field} is required$`));
    }
  });

  test('INVALID_ARGUMENT for malformed values (CNI spec rules), naming the field', async () => {
    const k = pod('v3').key;
    const cases: [RegExp, AddRequest][] = [
      [/^container_id "-abc" is invalid/, { ...pod('v3'), key: { ...k, containerId: '-abc' } }],
      [/^container_id "a b" is invalid/, { ...pod('v3'), key: { ...k, containerId: 'a b' } }],
      [/^container_id is 300 characters long/, { ...pod('v3'), key: { ...k, containerId: 'a'.repeat(300) } }],
      [/^network_name "my net" is invalid/, { ...pod('v3'), key: { ...k, networkName: 'my net' } }],
      [/^if_name "eth0\/1" is invalid/, { ...pod('v3'), key: { ...k, ifName: 'eth0/1' } }],
      [/^if_name "abcdefghijklmnop" is invalid: at most 15 bytes/, { ...pod('v3'), key: { ...k, ifName: 'abcdefghijklmnop' } }],
      [/^if_name "\.\." is invalid/, { ...pod('v3'), key: { ...k, ifName: '..' } }],
      [/^netns "netns\/x" is invalid: must be an absolute path/, { ...pod('v3'), netns: 'netns/x' }],
      [/^k8s_pod_name .* contains control characters/, { ...pod('v3'), pod: { name: 'web\n' } }],
    ];
    for (const [re, req] of cases) await rejectsWith(client.addNetwork(req), 'INVALID_ARGUMENT', re);
    assert.equal(core.seen.length, 0);
  });

  test('a handler error with code INVALID_ARGUMENT answers INVALID_ARGUMENT', async () => {
    await rejectsWith(
      client.delNetwork({ key: { ...pod('x').key, containerId: 'bad-request' }, reason: '' }),
      'INVALID_ARGUMENT',
      /^container_id names a sandbox ipamd refuses$/,
    );
  });

  test('FAILED_PRECONDITION for a missing, malformed or other-major client version, naming both versions', async () => {
    for (const [v, re] of [
      ['', /^client_version \(missing\) is not a semantic version; ipamd serves API 1\.0\.0/],
      ['banana', /^client_version "banana" is not a semantic version; ipamd serves API 1\.0\.0/],
      ['2.0.0', /^client_version 2\.0\.0 is incompatible: ipamd serves API 1\.0\.0 and accepts clients 1\.x/],
      ['0.9.1', /^client_version 0\.9\.1 is incompatible: ipamd serves API 1\.0\.0/],
    ] as const) {
      const c = connectIpam(server.socketPath, { clientVersion: v });
      await rejectsWith(c.addNetwork(pod('ver')), 'FAILED_PRECONDITION', re);
      await rejectsWith(c.delNetwork({ key: pod('ver').key, reason: '' }), 'FAILED_PRECONDITION', re);
      await rejectsWith(c.getStatus(), 'FAILED_PRECONDITION', re);
      c.close();
    }
    const minor = connectIpam(server.socketPath, { clientVersion: '1.7.0-rc.1+build.5' });
    assert.ok((await minor.addNetwork(pod('ver'))).ipv4Address, 'a newer minor of the same major is accepted');
    await minor.delNetwork({ key: pod('ver').key, reason: '' });
    minor.close();
    assert.equal(core.seen.length, 1, 'refused versions never reach the core');
  });

  test('INTERNAL for a handler crash, with its message, and the server keeps serving', async () => {
    core.crashNext = true;
    await rejectsWith(client.addNetwork(pod('boom')), 'INTERNAL', /reading 'eni'/);
    const logged = log.entries.find((e) => e.level === 'error' && e.meta.status === 'INTERNAL');
    assert.match(String(logged?.meta.stack), /^TypeError: Cannot read properties/, 'a crash is logged with its stack');
    const ok = await client.addNetwork(pod('boom'));
    assert.ok(ok.ipv4Address);
    await client.delNetwork({ key: pod('boom').key, reason: '' });
  });

  test('64 concurrent AddNetwork calls are all answered, with 64 distinct addresses', async () => {
    const ids = Array.from({ length: 64 }, (_, i) => `conc${i}`);
    const replies = await Promise.all(ids.map((id) => client.addNetwork(pod(id))));
    assert.equal(replies.length, 64);
    assert.equal(new Set(replies.map((r) => r.ipv4Address)).size, 64);
    await Promise.all(ids.map((id) => client.delNetwork({ key: pod(id).key, reason: 'cleanup' })));
  });
});

describe('allocation API: empty pool', () => {
  test('RESOURCE_EXHAUSTED with the POOL_EMPTY marker, then service again once an address is back', async () => {
    const log = capture();
    const server = await serve(new FakeCore(2), { logger: log.logger });
    server.setServing(true);
    const client = connectIpam(server.socketPath);
    await client.addNetwork(pod('p1'));
    await client.addNetwork(pod('p2'));
    const err = await rejectsWith(client.addNetwork(pod('p3')), 'POOL_EMPTY', /^POOL_EMPTY: no free address/);
    assert.equal(err.grpcCode, status.RESOURCE_EXHAUSTED);
    assert.ok(log.entries.some((e) => e.level === 'warn' && e.meta.status === 'RESOURCE_EXHAUSTED' && e.meta.method === 'AddNetwork'));
    await client.delNetwork({ key: pod('p1').key, reason: '' });
    assert.ok((await client.addNetwork(pod('p3'))).ipv4Address);
    client.close();
    await server.close();
  });
});

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
    await rejectsWith(ipam.addNetwork(pod('h1')), 'UNAVAILABLE', /not serving yet/);

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
      (e: unknown) => e instanceof ApiError && e.code === 'SOCKET_IN_USE' && e.message.includes(first.socketPath),
    );
    const c = connectIpam(first.socketPath);
    assert.ok((await c.addNetwork(pod('first'))).ipv4Address);
    c.close();
    await first.close();
  });

  test('a path holding something other than a socket is refused and left alone', async () => {
    const path = join(dir, 'plain-file.sock');
    await writeFile(path, 'not a socket');
    await assert.rejects(
      startApiServer({ socketPath: path, handlers: new FakeCore(1) }),
      (e: unknown) => e instanceof ApiError && e.code === 'SOCKET_PATH_INVALID',
    );
    assert.ok((await lstat(path)).isFile());
    await assert.rejects(
      startApiServer({ socketPath: 'relative.sock', handlers: new FakeCore(1) }),
      (e: unknown) => e instanceof ApiError && e.code === 'INVALID_OPTION' && /socketPath/.test(e.message),
    );
    await assert.rejects(
      startApiServer({ socketPath: freshPath(), handlers: new FakeCore(1), minClientVersion: '2.0.0' }),
      (e: unknown) => e instanceof ApiError && e.code === 'INVALID_OPTION' && /minClientVersion/.test(e.message),
    );
  });

  test('close() drains an in-flight call, removes the socket, and later calls are UNAVAILABLE', async () => {
    const core = new FakeCore(2);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: IpamHandlers = { add: async (r) => (await gate, core.add(r)), del: (r) => core.del(r), status: () => core.status() };
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
    await rejectsWith(late.addNetwork(pod('late')), 'UNAVAILABLE');
    late.close();
  });

  test("close() leaves a successor's socket in place", async () => {
    const old = await serve(new FakeCore(1));
    await unlink(old.socketPath); // an operator removed it; a new ipamd took the path
    const successor = await startApiServer({ socketPath: old.socketPath, handlers: new FakeCore(1) });
    await old.close();
    assert.ok((await lstat(successor.socketPath)).isSocket());
    await successor.close();
  });
});

describe('allocation API: converters cover every field of the .proto', () => {
  const def = loadSync(IPAMD_PROTO_PATH, { keepCase: true });
  const fields = (message: string): string[] =>
    ((def[`vpcwire.ipamd.v1.${message}`] as { type: { field: { name: string }[] } }).type.field.map((f) => f.name)).sort();
  const keys = (o: object): string[] => Object.keys(o).sort();

  test('each message written by the server or the client sets every declared field', async () => {
    const core = new FakeCore(1);
    const added = await core.add(pod('drift'));
    const status = statusToWire({ ...(await core.status()), apiVersion: API_VERSION, serving: true });
    assert.deepEqual(keys(addRequestToWire(pod('d'), '1.0.0')), fields('AddNetworkRequest'));
    assert.deepEqual(keys(addReplyToWire({ ...added, prefix: '10.0.17.0/28' })), fields('AddNetworkReply'));
    assert.deepEqual(keys(delRequestToWire({ key: pod('d').key, reason: '' }, '1.0.0')), fields('DelNetworkRequest'));
    assert.deepEqual(keys(delReplyToWire({ released: false })), fields('DelNetworkReply'));
    assert.deepEqual(keys(status), fields('GetStatusReply'));
    assert.deepEqual(keys(status.enis[1]!), fields('Eni'));
    assert.deepEqual(keys(status.enis[1]!.addresses[0]!), fields('Address'));
    assert.deepEqual(keys(status.enis[1]!.prefixes[0]!), fields('Prefix'));
    assert.deepEqual(keys(allocationToWire(core.byKey.get('vpcwire/drift/eth0')!)), fields('Allocation'));
  });
});
