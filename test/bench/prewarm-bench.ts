/**
 * Prewarm (issue 11 item 8), side by side with it off, on the emulator's realistic profile (ENI
 * attach ~1.5 s, IMDS 4 s behind, EC2 latencies as observed): N pods are bound at once to a node
 * whose pool is at its warm target, and the test kubelet starts each sandbox Δ after it saw the pod
 * bound, through containerd and the real plugin. Per run: how many ADDs returned CNI code 11 (no
 * free address: kubelet retries the sandbox), how many pods waited on EC2 because of it, and the
 * bind-to-address time (pod created -> its sandbox has an address), also net of Δ.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api } from '@kubernetes/client-node';
import { type LocalCluster, startLocalCluster } from '../../cluster/local-cluster.ts';
import type { Topology } from '../../sim/topology.ts';
import { type ContainerdNode, startContainerdNode } from '../helpers/installer-node.ts';
import { type ControlPlane, startControlPlane } from '../helpers/kube/control-plane.ts';
import { ipamdIdentity } from '../helpers/kube/identity.ts';
import { type Kubelet, startKubelet } from '../helpers/kube/kubelet.ts';
import { ec2Counts } from '../helpers/pool.ts';
import { pluginBinary } from '../helpers/plugin.ts';
import { type Summary, summarize } from './stats.ts';

const topology: Topology = {
  vpc: { cidrs: ['10.89.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.89.0.0/18', az: 'us-west-2a' }] },
  // m5.large: 3 ENIs x 9 pod slots; WARM_ENI_TARGET 1 keeps 9 warm (the primary ENI's).
  instances: [{ name: 'node-a', type: 'm5.large', subnet: 'nodes' }],
};

export interface PrewarmRun {
  prewarm: boolean;
  pods: number;
  deltaMs: number;
  /** ADDs answered with CNI code 11 (failed RunPodSandbox attempts naming it). */
  code11: number;
  /** Pods whose sandbox needed more than one attempt: they waited on EC2. */
  waited: number;
  /** Pod created -> its sandbox returned with an address. */
  bindToAddress: Summary;
  /** The same minus Δ: what the pod waited beyond its own start. */
  beyondDelta: Summary;
  /** ENIs attached when the last pod had its address. */
  enis: number;
}

async function oneRun(cp: ControlPlane, dir: string, prewarm: boolean, pods: number, deltaMs: number, runIndex: number): Promise<PrewarmRun> {
  const plugin = await pluginBinary();
  const c: LocalCluster = await startLocalCluster({ nodes: [], plugin, emulator: { topology, profile: 'realistic', throttling: false } });
  let n: ContainerdNode | undefined;
  let kubelet: Kubelet | undefined;
  const nodeName = `node-${runIndex}`;
  try {
    const id = await ipamdIdentity(cp, dir, { name: `vpcwire-${runIndex}` });
    n = await startContainerdNode(c, 'node-a', {
      env: { ...id.env, MY_NODE_NAME: nodeName, VPCWIRE_PREWARM: String(prewarm), IP_COOLDOWN_PERIOD: '0' },
    });
    kubelet = await startKubelet({ kube: cp.admin(), node: n.node, cri: n.containerd.cri, nodeName, startDelayMs: deltaMs, maxPods: 29, backoff: { minMs: 250, maxMs: 2000 } });
    const instanceId = n.node.instanceId;
    // At the warm target: the primary ENI's 9 addresses, nothing else moving.
    for (let i = 0; i < 200 && ec2Counts(c.sim, instanceId).ips < 9; i++) await sleep(100);
    await sleep(500);
    const core = cp.admin().makeApiClient(CoreV1Api);
    const created = new Map<string, number>();
    await Promise.all(
      Array.from({ length: pods }, async (_, i) => {
        const name = `r${runIndex}-p${i}`;
        created.set(name, Date.now());
        await core.createNamespacedPod({
          namespace: 'default',
          body: { metadata: { name }, spec: { nodeName, automountServiceAccountToken: false, containers: [{ name: 'c', image: 'pause' }] } },
        });
      }),
    );
    const uids = (await core.listNamespacedPod({ namespace: 'default', fieldSelector: `spec.nodeName=${nodeName}` })).items.map((p) => p.metadata!.uid!);
    const records = await Promise.all(uids.map((u) => kubelet!.running(u, 120_000)));
    const enis = ec2Counts(c.sim, instanceId).enis;
    const bind = records.map((r) => r.attempts.at(-1)!.returnedAt! - created.get(r.name)!);
    let code11 = 0;
    let waited = 0;
    for (const r of records) {
      const failed = r.attempts.filter((a) => a.error);
      code11 += failed.filter((a) => /code 11|POOL_EMPTY|no free address|try again/i.test(a.error!)).length;
      if (failed.length > 0) waited++;
    }
    return { prewarm, pods, deltaMs, code11, waited, bindToAddress: summarize(bind), beyondDelta: summarize(bind.map((b) => Math.max(0, b - deltaMs))), enis };
  } finally {
    await kubelet?.stop().catch(() => undefined);
    await n?.stop().catch(() => undefined);
    await c.stop().catch(() => undefined);
  }
}

export async function benchPrewarm(opts: { pods?: number[]; deltasMs?: number[] } = {}): Promise<{ runs: PrewarmRun[]; apiServerStartMs: number }> {
  const cp = await startControlPlane();
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-pwbench-'));
  const runs: PrewarmRun[] = [];
  try {
    await cp.admin().makeApiClient(CoreV1Api).createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'default' } } });
    let i = 0;
    for (const pods of opts.pods ?? [8, 16, 24]) {
      for (const deltaMs of opts.deltasMs ?? [0, 4000, 9000]) {
        for (const prewarm of [false, true]) {
          const r = await oneRun(cp, dir, prewarm, pods, deltaMs, i++);
          runs.push(r);
          process.stderr.write(`  prewarm ${prewarm ? 'on ' : 'off'} N=${pods} Δ=${deltaMs} ms: code 11 x${r.code11}, ${r.waited} waited, bind->address median ${r.bindToAddress.median.toFixed(0)} ms max ${r.bindToAddress.max.toFixed(0)} ms\n`);
        }
      }
    }
    return { runs, apiServerStartMs: cp.startMs };
  } finally {
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
