/**
 * An ipamd process against the emulator with its metrics and introspection endpoints on loopback
 * ports chosen for it (issue 13 tests), and pods added over its allocation API with CNI triples
 * unlike anything else in the output, so a test can prove they never leak.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { Emulator, EmulatorOptions } from '../../sim/emulator.ts';
import { startEmulator } from '../../sim/emulator.ts';
import type { Topology } from '../../sim/topology.ts';
import { type IpamdProcess, startIpamdProcess } from './ipamd-process.ts';

export const nodeTopology = (type: string): Topology => ({
  vpc: { cidrs: ['10.62.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.62.0.0/20', az: 'us-west-2a' }], securityGroups: [{ name: 'node-sg' }] },
  instances: [{ name: 'node', type, subnet: 'nodes', securityGroups: ['node-sg'] }],
});

/** A loopback port nothing listens on now (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface ObservedIpamd {
  readonly sim: Emulator;
  readonly p: IpamdProcess;
  readonly instanceId: string;
  /** host:port of /metrics and of introspection (when on TCP). */
  readonly metrics: string;
  readonly introspection: string;
  /** The CNI triples of the pods added so far, by pod index. */
  readonly keys: Map<number, { networkName: string; containerId: string; ifName: string }>;
  /** AddNetwork calls made, retries after POOL_EMPTY included (what awscni_add_ip_req_count counts). */
  readonly calls: { add: number };
  add(i: number): Promise<string>;
  del(i: number, reason?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startObservedIpamd(opts: { type?: string; env?: Record<string, string>; sim?: EmulatorOptions } = {}): Promise<ObservedIpamd> {
  const sim = await startEmulator({ topology: nodeTopology(opts.type ?? 't3.medium'), profile: 'fast', throttling: false, ...opts.sim });
  const instanceId = sim.instance('node').id;
  const [mport, iport] = [await freePort(), await freePort()];
  const metrics = `127.0.0.1:${mport}`;
  const introspection = `127.0.0.1:${iport}`;
  let p: IpamdProcess;
  try {
    p = await startIpamdProcess(sim, instanceId, {
      VPCWIRE_METRICS_BIND_ADDRESS: metrics,
      INTROSPECTION_BIND_ADDRESS: introspection,
      DISABLE_LEAKED_ENI_CLEANUP: 'true',
      ...opts.env,
    });
  } catch (e) {
    await sim.stop();
    throw e;
  }
  const keys = new Map<number, { networkName: string; containerId: string; ifName: string }>();
  const calls = { add: 0 };
  return {
    calls,
    sim,
    p,
    instanceId,
    metrics,
    introspection,
    keys,
    async add(i) {
      const key = { networkName: 'vpcwire', containerId: randomBytes(32).toString('hex'), ifName: `ifq${randomBytes(4).toString('hex')}` };
      keys.set(i, key);
      for (let attempt = 0; ; attempt++) {
        try {
          calls.add++;
          const r = await p.client.addNetwork({ key, netns: `/var/run/netns/obs${i}`, pod: { namespace: 'obs', name: `pod-${i}`, uid: `uid-${i}` } });
          return r.ipv4Address;
        } catch (e) {
          if ((e as { code?: string }).code !== 'IPAMD_CALL_POOL_EMPTY' || attempt > 150) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    async del(i, reason = 'cni-del') {
      await p.client.delNetwork({ key: keys.get(i)!, reason });
    },
    async stop() {
      await p.stop();
      await sim.stop();
    },
  };
}
