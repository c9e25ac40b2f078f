/**
 * ipamd started in the test's own process against the emulator, for tests that reach into it
 * (its host network or kernel port replaced at the unit edge, checkHostNetwork(), its endpoints'
 * handles). One emulator node, a temporary directory for the socket, checkpoint and notes, and a
 * cleanup that stops every ipamd started before the emulator and removes the directory.
 * Tests of ipamd as the node runs it use ipamd-process.ts instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Ec2Adapter } from '../../ipamd/aws/ec2-adapter.ts';
import { ImdsAdapter } from '../../ipamd/aws/imds-adapter.ts';
import { type Config, parseConfig } from '../../ipamd/config.ts';
import { type Ipamd, type IpamdDeps, startIpamd } from '../../ipamd/daemon.ts';
import { silentLogger } from '../../ipamd/logger.ts';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';

export interface InProcessNode {
  readonly sim: Emulator;
  readonly dir: string;
  readonly ec2: Ec2Adapter;
  /** ipamd's configuration: the node's files under `dir` (checkpoint in `dir/state`), leak sweeps off, endpoints on free loopback ports, then `env`. */
  config(env?: Record<string, string>): Config;
  /** Starts ipamd on node-1 with a silent logger; stopped at the test's end unless the test stopped it. */
  start(config: Config, deps?: IpamdDeps): Promise<Ipamd>;
}

export async function inProcessNode(t: TestContext, opts: { dataPlane?: boolean; prefix?: string } = {}): Promise<InProcessNode> {
  const sim = await startEmulator({ profile: 'instant', throttling: false, ...(opts.dataPlane === false ? { dataPlane: false } : {}) });
  const dir = await mkdtemp(join(tmpdir(), opts.prefix ?? 'vw-in-process-'));
  const ec2 = new Ec2Adapter({ region: sim.region, endpoint: sim.endpoints.ec2, credentials: sim.credentials, maxAttempts: 1 });
  const started = new Set<Ipamd>();
  t.after(async () => {
    for (const ipamd of started) await ipamd.stop();
    ec2.destroy();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    sim,
    dir,
    ec2,
    config: (env = {}) =>
      parseConfig({
        VPCWIRE_SOCKET: join(dir, 'run', 'ipamd.sock'),
        VPCWIRE_CHECKPOINT: join(dir, 'state', 'ipam.json'),
        VPCWIRE_RELEASE_NOTES_DIR: join(dir, 'notes'),
        DISABLE_LEAKED_ENI_CLEANUP: 'true',
        // Metrics and introspection on, on ports of their own (never the node's 61678 and 61679).
        VPCWIRE_METRICS_BIND_ADDRESS: '127.0.0.1:0',
        INTROSPECTION_BIND_ADDRESS: '127.0.0.1:0',
        ...env,
      }),
    async start(config, deps = {}) {
      const ipamd = await startIpamd(config, {
        ec2,
        imds: new ImdsAdapter(sim.imdsEndpoint(sim.instance('node-1').id)),
        logger: silentLogger(),
        ...deps,
      });
      started.add(ipamd);
      // One the test stops itself is not stopped again.
      return { ...ipamd, stop: () => (started.delete(ipamd), ipamd.stop()) };
    },
  };
}
