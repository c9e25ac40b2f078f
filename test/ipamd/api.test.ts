// The allocation API (issue 3 item 7) over a real unix socket, with a small in-memory stand-in for
// ipamd's core: the handlers interface is the unit's edge. Assertions are on replies, statuses and
// the socket file, never on call order. Here: calls, validation, errors and the converters; the
// socket's lifecycle and health are in api-socket.test.ts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
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
import type { AddRequest } from '../../ipamd/api/handlers.ts';
import { IPAMD_PROTO_PATH } from '../../ipamd/api/proto.ts';
import type { ApiServer } from '../../ipamd/api/server.ts';
import { API_VERSION } from '../../ipamd/api/version.ts';
import { apiServerFixture, capture, FakeCore, pod, rejectsWith } from '../helpers/fake-ipam-handlers.ts';

const { serve } = apiServerFixture();

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
      existing: false,
    });
    assert.deepEqual(core.seen[0], pod('c1'), 'the core sees the request in vpcwire types');
    const again = await client.addNetwork(pod('c1'));
    assert.equal(again.ipv4Address, first.ipv4Address);
    assert.equal(again.existing, true, 'a repeated ADD says the address was already held');

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
    assert.equal(mine.routeTable, 2, "the route table of the allocation's ENI (CNI CHECK compares the pod's rules with it)");
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
      await rejectsWith(client.addNetwork(req), 'IPAMD_CALL_INVALID_ARGUMENT', new RegExp(`^${field} is required$`));
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
      await rejectsWith(client.delNetwork({ key: k, reason: 'x' }), 'IPAMD_CALL_INVALID_ARGUMENT', new RegExp(`^${field} is required$`));
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
    for (const [re, req] of cases) await rejectsWith(client.addNetwork(req), 'IPAMD_CALL_INVALID_ARGUMENT', re);
    assert.equal(core.seen.length, 0);
  });

  test('a handler\'s DatastoreArgumentError answers INVALID_ARGUMENT', async () => {
    await rejectsWith(
      client.delNetwork({ key: { ...pod('x').key, containerId: 'bad-request' }, reason: '' }),
      'IPAMD_CALL_INVALID_ARGUMENT',
      /^container_id names a sandbox ipamd refuses$/,
    );
  });

  test('FAILED_PRECONDITION for a missing, malformed or other-major client version, naming both versions', async () => {
    for (const [v, re] of [
      ['', /^client_version \(missing\) is not a semantic version; ipamd serves API 1\.1\.0/],
      ['banana', /^client_version "banana" is not a semantic version; ipamd serves API 1\.1\.0/],
      ['2.0.0', /^client_version 2\.0\.0 is incompatible: ipamd serves API 1\.1\.0 and accepts clients 1\.x/],
      ['0.9.1', /^client_version 0\.9\.1 is incompatible: ipamd serves API 1\.1\.0/],
    ] as const) {
      const c = connectIpam(server.socketPath, { clientVersion: v });
      await rejectsWith(c.addNetwork(pod('ver')), 'IPAMD_CALL_FAILED_PRECONDITION', re);
      await rejectsWith(c.delNetwork({ key: pod('ver').key, reason: '' }), 'IPAMD_CALL_FAILED_PRECONDITION', re);
      await rejectsWith(c.getStatus(), 'IPAMD_CALL_FAILED_PRECONDITION', re);
      c.close();
    }
    const minor = connectIpam(server.socketPath, { clientVersion: '1.7.0-rc.1+build.5' });
    assert.ok((await minor.addNetwork(pod('ver'))).ipv4Address, 'a newer minor of the same major is accepted');
    await minor.delNetwork({ key: pod('ver').key, reason: '' });
    minor.close();
    const older = connectIpam(server.socketPath, { clientVersion: '1.0.0' });
    assert.ok((await older.addNetwork(pod('ver'))).ipv4Address, 'an older minor of the same major is accepted (fields are only added)');
    await older.delNetwork({ key: pod('ver').key, reason: '' });
    older.close();
    assert.equal(core.seen.length, 2, 'refused versions never reach the core');
  });

  test('INTERNAL for a handler crash, with its message, and the server keeps serving', async () => {
    core.crashNext = true;
    await rejectsWith(client.addNetwork(pod('boom')), 'IPAMD_CALL_INTERNAL', /reading 'eni'/);
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
    const err = await rejectsWith(client.addNetwork(pod('p3')), 'IPAMD_CALL_POOL_EMPTY', /^POOL_EMPTY: no free address/);
    assert.equal(err.grpcCode, status.RESOURCE_EXHAUSTED);
    assert.ok(log.entries.some((e) => e.level === 'warn' && e.meta.status === 'RESOURCE_EXHAUSTED' && e.meta.method === 'AddNetwork'));
    await client.delNetwork({ key: pod('p1').key, reason: '' });
    assert.ok((await client.addNetwork(pod('p3'))).ipv4Address);
    client.close();
    await server.close();
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
