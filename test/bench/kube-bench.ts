/**
 * ipamd with its Kubernetes client against ipamd standalone, side by side in one run (issue 11):
 * start to serving with 250 checkpointed pods, and resident memory holding them. The Kubernetes run
 * is in-cluster against the real API server, under the shipped RBAC, with the 250 pods bound to
 * its Node as real Pod objects (so the pod watch lists them all at start).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane } from '../helpers/kube/control-plane.ts';
import { ipamdIdentity } from '../helpers/kube/identity.ts';
import { createNode } from '../helpers/kube/objects.ts';
import { benchStartAndMemory, type MemoryResult, type StartResult } from './ipamd-start-memory.ts';

export interface KubeStartResult {
  pods: number;
  apiServerStartMs: number;
  standalone: { start: StartResult; memory: MemoryResult };
  kubernetes: { start: StartResult; memory: MemoryResult };
  /** kubernetes / standalone. */
  startRatio: number;
  rssRatio: number;
}

async function boundPods(cp: ControlPlane, node: string, pods: number): Promise<void> {
  const core = cp.admin().makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'default' } } });
  await createNode(cp.admin(), node);
  for (let i = 0; i < pods; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, pods - i) }, (_, j) =>
        core.createNamespacedPod({
          namespace: 'default',
          // The names addPods gives its pods (test/helpers/pool.ts), so each has its address.
          body: { metadata: { name: `pod-${i + j}` }, spec: { nodeName: node, automountServiceAccountToken: false, containers: [{ name: 'c', image: 'pause' }] } },
        }),
      ),
    );
  }
}

export async function benchKubeStart(pods = 250, restarts = 7, pauseMs = 2000): Promise<KubeStartResult> {
  const cp = await startControlPlane();
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-kbench-'));
  try {
    await boundPods(cp, 'node', pods);
    const id = await ipamdIdentity(cp, dir);
    const standalone = await benchStartAndMemory(pods, restarts, pauseMs);
    const kubernetes = await benchStartAndMemory(pods, restarts, pauseMs, { ...id.env, MY_NODE_NAME: 'node' });
    return {
      pods,
      apiServerStartMs: cp.startMs,
      standalone,
      kubernetes,
      startRatio: kubernetes.start.startToServing.median / standalone.start.startToServing.median,
      rssRatio: kubernetes.memory.rssAfterPauseKiB / standalone.memory.rssAfterPauseKiB,
    };
  } finally {
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
