// The allocation API's contract, through BOTH transports against the same handlers (DESIGN.md §4;
// issue 10 item 1): gRPC (a grpc-js client with ipamd's loader options, as stock tooling calls it)
// and the plugin protocol (the CNI plugin's own client, cni/ipam/client.ts). Every case runs the
// same requests and asserts the same replies and errors on both, so the transports cannot drift.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { credentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { API_VERSION, POOL_EMPTY_MARKER } from '../../contract/api.ts';
import type { IpamMethods } from '../../contract/messages.ts';
import { callIpamd, IpamError } from '../../cni/ipam/client.ts';
import { IpamClientCtor } from '../../ipamd/api/proto.ts';
import type { ApiServer } from '../../ipamd/api/server.ts';
import { statusName } from '../../ipamd/api/status-map.ts';
import { apiServerFixture, FakeCore } from '../helpers/fake-ipam-handlers.ts';

const fx = apiServerFixture();

type Outcome<R> = { ok: R } | { code: string; details: string };

interface Transport {
  readonly name: string;
  call<M extends keyof IpamMethods>(method: M, request: Partial<IpamMethods[M]['request']>): Promise<Outcome<IpamMethods[M]['reply']>>;
  close(): void;
}

/** The gRPC socket, as any grpc-js tooling built from contract/ipamd.proto calls it. */
function grpcTransport(server: ApiServer): Transport {
  const client = new (IpamClientCtor())(`unix:${server.socketPath}`, credentials.createInsecure()) as Client &
    Record<string, (req: unknown, cb: (err: ServiceError | null, reply: unknown) => void) => void>;
  return {
    name: 'gRPC',
    call: (method, request) =>
      new Promise((resolve) =>
        client[method]!.call(client, request, (err, reply) => {
          if (!err) return resolve({ ok: reply as never });
          const details = err.details ?? err.message;
          const code = statusName(err.code);
          resolve({ code: code === 'RESOURCE_EXHAUSTED' && details.startsWith(POOL_EMPTY_MARKER) ? 'POOL_EMPTY' : code, details });
        }),
      ),
    close: () => client.close(),
  };
}

/** The plugin socket, through the CNI plugin's own client. */
function pluginTransport(server: ApiServer): Transport {
  return {
    name: 'plugin protocol',
    call: (method, request) =>
      callIpamd(server.pluginSocketPath, method, request as never).then(
        (ok) => ({ ok }),
        (e: unknown) => {
          if (!(e instanceof IpamError)) throw e;
          return { code: e.status, details: e.details };
        },
      ),
    close: () => undefined,
  };
}

const ok = <R>(o: Outcome<R>): R => {
  assert.ok('ok' in o, `expected a reply, got ${JSON.stringify(o)}`);
  return o.ok;
};
const failed = (o: Outcome<unknown>, code: string, details: RegExp): void => {
  assert.ok(!('ok' in o), `expected ${code}, got a reply`);
  assert.equal(o.code, code, o.details);
  assert.match(o.details, details);
};

const v = { client_version: API_VERSION };
const add = (id: string) => ({
  ...v, network_name: 'vpcwire', container_id: id, if_name: 'eth0', netns: `/var/run/netns/${id}`,
  k8s_pod_namespace: 'default', k8s_pod_name: `web-${id}`, k8s_pod_uid: `uid-${id}`, k8s_pod_infra_container_id: id,
});
const del = (id: string) => ({ ...v, network_name: 'vpcwire', container_id: id, if_name: 'eth0', reason: 'cni-del' });

for (const make of [grpcTransport, pluginTransport]) {
  describe(`the allocation API contract over ${make.name === 'grpcTransport' ? 'gRPC' : 'the plugin protocol'}`, () => {
    let core: FakeCore;
    let server: ApiServer;
    let t: Transport;
    before(async () => {
      core = new FakeCore(2);
      server = await fx.serve(core);
      t = make(server);
    });
    after(async () => {
      t.close();
      await server.close();
    });

    test('NOT_SERVING: ADD and DEL are UNAVAILABLE, pool status answers serving = false', async () => {
      failed(await t.call('AddNetwork', add('ns1')), 'UNAVAILABLE', /^ipamd is not serving yet \(starting\) or any more \(stopping\)$/);
      failed(await t.call('DelNetwork', del('ns1')), 'UNAVAILABLE', /not serving/);
      assert.deepEqual(ok(await t.call('GetPoolStatus', v)), {
        serving: false, free_addresses: 0, assigned_addresses: 0, can_grow: false, reason: 'ipamd is not serving (starting or stopping)', host_network_problem: '',
      });
      server.setServing(true);
    });

    test('ADD: every reply field; a repeated ADD returns the same address with existing = true', async () => {
      const first = ok(await t.call('AddNetwork', add('a1')));
      const want = {
        ipv4_address: '10.0.16.0', device_index: 1, route_table: 2, eni_id: 'eni-0b', eni_mac: '02:00:00:00:00:0b',
        subnet_cidr: '10.0.16.0/20', subnet_gateway: '10.0.16.1', vpc_cidrs: ['10.0.0.0/16', '100.64.0.0/16'], mtu: 9001,
        veth_prefix: 'eni', prefix: '', existing: false, host_veth_name: '',
      };
      assert.deepEqual(first, want);
      assert.deepEqual(core.seen.at(-1), {
        key: { networkName: 'vpcwire', containerId: 'a1', ifName: 'eth0' },
        netns: '/var/run/netns/a1',
        pod: { namespace: 'default', name: 'web-a1', uid: 'uid-a1', infraContainerId: 'a1' },
      }, 'every request field reached the handlers');
      assert.deepEqual(ok(await t.call('AddNetwork', add('a1'))), { ...want, existing: true });
    });

    test('ListAllocations and GetPoolStatus', async () => {
      assert.deepEqual(ok(await t.call('ListAllocations', v)).allocations, [{
        network_name: 'vpcwire', container_id: 'a1', if_name: 'eth0', k8s_pod_namespace: 'default', k8s_pod_name: 'web-a1',
        k8s_pod_uid: 'uid-a1', ipv4_address: '10.0.16.0', eni_id: 'eni-0b', allocated_at_unix_ms: '1700000000123', route_table: 2,
        recovered: false, host_veth_name: '',
      }]);
      assert.deepEqual(ok(await t.call('GetPoolStatus', v)), {
        serving: true, free_addresses: 1, assigned_addresses: 1, can_grow: true, reason: '', host_network_problem: '',
      });
    });

    test('POOL_EMPTY: RESOURCE_EXHAUSTED with the marker', async () => {
      ok(await t.call('AddNetwork', add('a2')));
      failed(await t.call('AddNetwork', add('a3')), 'POOL_EMPTY', /^POOL_EMPTY: no free address on 2 ENIs; growing$/);
      ok(await t.call('DelNetwork', del('a2')));
    });

    test('DEL releases; a DEL of an unknown triple succeeds with released = false', async () => {
      assert.deepEqual(ok(await t.call('DelNetwork', del('a1'))), { released: true, ipv4_address: '10.0.16.0', device_index: 1, route_table: 2 });
      assert.deepEqual(ok(await t.call('DelNetwork', del('a1'))), { released: false, ipv4_address: '', device_index: 0, route_table: 0 });
    });

    test('INVALID_ARGUMENT names the field as the .proto spells it', async () => {
      failed(await t.call('AddNetwork', { ...add('i1'), netns: '' }), 'INVALID_ARGUMENT', /^netns is required$/);
      failed(await t.call('AddNetwork', { ...add('i1'), netns: 'relative' }), 'INVALID_ARGUMENT', /^netns /);
      failed(await t.call('DelNetwork', { ...del('i1'), if_name: 'a/b' }), 'INVALID_ARGUMENT', /^if_name /);
      failed(await t.call('DelNetwork', del('bad-request')), 'INVALID_ARGUMENT', /^container_id names a sandbox ipamd refuses$/);
    });

    test('FAILED_PRECONDITION for a version ipamd does not accept, naming both versions', async () => {
      failed(await t.call('AddNetwork', { ...add('f1'), client_version: '2.0.0' }), 'FAILED_PRECONDITION', /2\.0\.0.*1\.0\.0/);
      failed(await t.call('ListAllocations', { client_version: 'banana' }), 'FAILED_PRECONDITION', /not a semantic version/);
      failed(await t.call('GetPoolStatus', {}), 'FAILED_PRECONDITION', /\(missing\)/);
    });

    test('a handler crash is INTERNAL with its message', async () => {
      core.crashNext = true;
      failed(await t.call('AddNetwork', add('c1')), 'INTERNAL', /Cannot read properties of undefined/);
    });
  });
}
