/**
 * What most Kubernetes tests share: a real control plane and the emulator, started one after the
 * other (so a failed start never leaves the other running), and ipamd processes for emulated nodes
 * that run in-cluster with the shipped identity (identity.ts). `stop` undoes all of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { type Emulator, startEmulator } from '../../../sim/emulator.ts';
import type { Topology } from '../../../sim/topology.ts';
import { type IpamdProcess, startIpamdProcess } from '../ipamd-process.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { type IdentityOptions, ipamdIdentity } from './identity.ts';
import { createNode } from './objects.ts';

export interface KubeTestbed {
  readonly cp: ControlPlane;
  readonly sim: Emulator;
  /** A temporary directory removed by stop(). */
  readonly dir: string;
  /** The admin's CoreV1Api. */
  readonly core: CoreV1Api;
  /**
   * ipamd for the emulated instance `node`, in-cluster, MY_NODE_NAME=node, with a token of the
   * shipped roles (a service account per `identity.name`, default `vpcwire-<node>`). `createNode`:
   * also create the Node object first (default true).
   */
  ipamd(node: string, env?: Record<string, string>, opts?: { identity?: IdentityOptions; createNode?: boolean }): Promise<IpamdProcess>;
  stop(): Promise<void>;
}

export async function startKubeTestbed(topology: Topology, opts: { defaultServiceAccount?: boolean } = {}): Promise<KubeTestbed> {
  const cp = await startControlPlane();
  let sim: Emulator | undefined;
  try {
    sim = await startEmulator({ topology, profile: 'fast', throttling: false });
    const core = cp.admin().makeApiClient(CoreV1Api);
    // No controller manager runs: pods in `default` need its service account made by hand.
    if (opts.defaultServiceAccount) await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'default' } } });
    const dir = mkdtempSync(join(tmpdir(), 'vpcwire-kube-'));
    const procs: IpamdProcess[] = [];
    const emulator = sim;
    return {
      cp,
      sim,
      dir,
      core,
      async ipamd(node, env = {}, o = {}) {
        if (o.createNode ?? true) await createNode(cp.admin(), node);
        const id = await ipamdIdentity(cp, dir, { name: `vpcwire-${node}`, ...o.identity });
        const p = await startIpamdProcess(emulator, emulator.instance(node).id, { ...id.env, MY_NODE_NAME: node, ...env });
        procs.push(p);
        return p;
      },
      async stop() {
        for (const p of procs) await p.stop().catch(() => undefined);
        await emulator.stop();
        await cp.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await sim?.stop().catch(() => undefined);
    await cp.stop();
    throw e;
  }
}
