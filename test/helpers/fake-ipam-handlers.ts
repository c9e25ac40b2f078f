// Fakes shared by the allocation API tests (test/ipamd/api.test.ts, test/ipamd/api-socket.test.ts):
// a stand-in for ipamd's core (a fixed pool on one secondary ENI), a pod's ADD request, an
// assertion on a refused call, and a logger that keeps every entry.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { IpamCallError, type IpamCallErrorCode } from '../../ipamd/api/errors.ts';
import { DatastoreArgumentError, PoolEmptyError } from '../../ipamd/datastore/errors.ts';
import type {
  AddRequest,
  AddResult,
  AllocationStatus,
  DelRequest,
  DelResult,
  IpamHandlers,
  PoolStatus,
  Status,
} from '../../ipamd/api/handlers.ts';
import { type ApiServer, type ApiServerOptions, startApiServer } from '../../ipamd/api/server.ts';

/**
 * A temp dir for the test file (made before, removed after its tests) and servers on fresh socket
 * paths inside it. Call at the top level of a test file.
 */
export function apiServerFixture() {
  const fx = {
    dir: '',
    n: 0,
    freshPath: (): string => join(fx.dir, `s${++fx.n}`, 'ipamd.sock'),
    serve: (core: IpamHandlers, extra: Partial<ApiServerOptions> = {}): Promise<ApiServer> =>
      startApiServer({ socketPath: fx.freshPath(), handlers: core, drainTimeoutMs: 2000, ...extra }),
  };
  before(async () => {
    fx.dir = await mkdtemp(join(tmpdir(), 'vw-api-'));
  });
  after(() => rm(fx.dir, { recursive: true, force: true }));
  return fx;
}

export class FakeCore implements IpamHandlers {
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
    const existing = a !== undefined;
    if (!a) {
      const ip = this.free.shift();
      if (ip === undefined) throw new PoolEmptyError('no free address on 2 ENIs; growing', { enis: 2 });
      a = { key: req.key, pod: req.pod, ipv4Address: ip, eniId: 'eni-0b', allocatedAt: 1_700_000_000_123, routeTable: 2 };
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
      existing,
    };
  }

  async del(req: DelRequest): Promise<DelResult> {
    if (req.key.containerId === 'bad-request') {
      throw new DatastoreArgumentError('container_id names a sandbox ipamd refuses');
    }
    const k = FakeCore.id(req.key);
    const a = this.byKey.get(k);
    if (!a) return { released: false };
    this.byKey.delete(k);
    this.free.push(a.ipv4Address);
    return { released: true, ipv4Address: a.ipv4Address, deviceIndex: 1, routeTable: 2 };
  }

  /** Set by tests to stand for a node that cannot grow (e.g. at its ENI limits). */
  cannotGrow = '';

  async poolStatus(): Promise<PoolStatus> {
    const free = this.free.length;
    return {
      freeAddresses: free,
      assignedAddresses: this.byKey.size,
      canGrow: this.cannotGrow === '',
      reason: free > 0 ? '' : this.cannotGrow,
    };
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

export const pod = (containerId: string, extra: Partial<AddRequest> = {}): AddRequest => ({
  key: { networkName: 'vpcwire', containerId, ifName: 'eth0' },
  netns: `/var/run/netns/cni-${containerId}`,
  pod: { namespace: 'default', name: `web-${containerId}`, uid: `uid-${containerId}`, infraContainerId: containerId },
  ...extra,
});

export const rejectsWith = async (p: Promise<unknown>, code: IpamCallErrorCode, details?: RegExp): Promise<IpamCallError> => {
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
export const capture = () => {
  const entries: { level: string; message: string; meta: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, meta: Record<string, unknown> = {}) => entries.push({ level, message, meta });
  return { entries, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
};
