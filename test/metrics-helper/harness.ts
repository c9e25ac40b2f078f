/**
 * The e2e harness of `vpcwire metrics-helper`: its identity exactly as the chart ships it (the
 * ServiceAccount, ClusterRole, Role and bindings the chart renders, applied to the real API server,
 * and a TokenRequest token), ipamd Pod objects as kubelet would report them, and the publisher as
 * a real process whose JSON log lines the test reads.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { render } from '../helpers/helm.ts';
import type { IpamdProcess } from '../helpers/ipamd-process.ts';
import type { Emulator } from '../../sim/emulator.ts';
import type { ControlPlane } from '../helpers/kube/control-plane.ts';
import { apply, type IpamdIdentity, serviceAccountToken } from '../helpers/kube/identity.ts';

const CLI = new URL('../../bin/vpcwire.ts', import.meta.url).pathname;
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * The publisher's environment against the emulator: the chart's env, the identity's (token,
 * API server), the emulator's CloudWatch with its static keys, ipamd's metrics port.
 */
export function emulatorPublisherEnv(
  sim: Emulator,
  o: { clusterId: string; port: number; chartEnv: Record<string, string>; identityEnv: Record<string, string> },
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...o.chartEnv,
    ...o.identityEnv,
    AWS_CLUSTER_ID: o.clusterId,
    AWS_REGION: sim.region,
    AWS_CLOUDWATCH_ENDPOINT: sim.endpoints.cloudwatch,
    AWS_ACCESS_KEY_ID: sim.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sim.credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    IPAMD_METRICS_PORT: String(o.port),
  };
}

/** The chart's labels for ipamd pods of release `vpcwire` (its DaemonSet's selector). */
export const IPAMD_LABELS = { 'app.kubernetes.io/name': 'vpcwire', 'app.kubernetes.io/instance': 'vpcwire' };

/** The chart's objects for the publisher (metricsHelper on, `values`), applied; then a token for its account. */
export async function publisherIdentity(cp: ControlPlane, dir: string, values: Record<string, unknown>): Promise<{ id: IpamdIdentity; env: Record<string, string> }> {
  const objects = render({ metricsHelper: { enabled: true, clusterId: 'unused', ...values } });
  const rbac = objects.filter((o) => o.metadata.name.startsWith('vpcwire-metrics') && o.kind !== 'Deployment');
  if (rbac.length !== 5) throw new Error(`the chart rendered ${rbac.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')} for the publisher`);
  await apply(cp.admin(), rbac as never);
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'vpcwire-metrics-helper') as unknown as {
    spec: { template: { spec: { serviceAccountName: string; containers: { env: { name: string; value?: string }[] }[] } } };
  };
  const pod = deployment.spec.template.spec;
  // The Deployment's own variables (selector, state ConfigMap, ...): the process runs as the chart would run it.
  const env = Object.fromEntries(pod.containers[0]!.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  return { id: await serviceAccountToken(cp, dir, 'kube-system', pod.serviceAccountName), env: { ...env, POD_NAMESPACE: 'kube-system' } };
}

/** An ipamd Pod object for `node`, Running at `ip`, its container's restart count as kubelet reports it. */
export async function createIpamdPod(core: CoreV1Api, node: string, serviceAccount: string): Promise<string> {
  const pod = await core.createNamespacedPod({
    namespace: 'kube-system',
    body: {
      metadata: { name: `vpcwire-${node}`, labels: IPAMD_LABELS },
      spec: { nodeName: node, serviceAccountName: serviceAccount, automountServiceAccountToken: false, containers: [{ name: 'ipamd', image: 'localhost/vpcwire:dev' }] },
    },
  });
  return pod.metadata!.uid!;
}

export async function setIpamdPodStatus(core: CoreV1Api, node: string, ip: string, restarts: number): Promise<void> {
  const now = new Date().toISOString();
  await core.patchNamespacedPodStatus(
    {
      name: `vpcwire-${node}`,
      namespace: 'kube-system',
      body: {
        status: {
          phase: 'Running',
          podIP: ip,
          podIPs: [{ ip }],
          hostIP: ip,
          containerStatuses: [{ name: 'ipamd', image: 'localhost/vpcwire:dev', imageID: '', ready: true, restartCount: restarts, state: { running: { startedAt: now } } }],
        },
      },
    },
    MERGE,
  );
}

/** n ADDs on an ipamd over its allocation API (retried while the pool grows), pods named after the node. */
export async function addPods(p: IpamdProcess, node: string, n: number, first = 0): Promise<void> {
  for (let i = first; i < first + n; i++) {
    const key = { networkName: 'vpcwire', containerId: randomBytes(16).toString('hex'), ifName: 'eth0' };
    for (let attempt = 0; ; attempt++) {
      try {
        await p.client.addNetwork({ key, netns: `/var/run/netns/mh-${node}-${i}`, pod: { namespace: 'mh', name: `p-${node}-${i}`, uid: `u-${node}-${i}` } });
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== 'IPAMD_CALL_POOL_EMPTY' || attempt > 150) throw e;
        await sleep(100);
      }
    }
  }
}

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [k: string]: unknown;
}

export interface PublisherProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  stderr: string;
  /** Resolves with the first line at index >= `from` that matches, failing after `ms`. */
  waitFor(match: (l: LogLine) => boolean, opts?: { from?: number; ms?: number; what?: string }): Promise<LogLine>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startPublisher(env: Record<string, string>, args: string[] = []): PublisherProcess {
  const child = spawn(process.execPath, [CLI, 'metrics-helper', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        lines.push({ level: 'unparsed', msg: line });
      }
    }
  });
  const p: PublisherProcess = {
    child,
    lines,
    stderr: '',
    async waitFor(match, o = {}) {
      const deadline = Date.now() + (o.ms ?? 30_000);
      for (;;) {
        const hit = lines.slice(o.from ?? 0).find(match);
        if (hit) return hit;
        if (child.exitCode !== null) throw new Error(`metrics-helper exited ${child.exitCode} before ${o.what ?? 'the line'}: ${p.stderr}\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
        if (Date.now() > deadline) throw new Error(`no ${o.what ?? 'matching line'} within ${o.ms ?? 30_000} ms:\n${lines.slice(-30).map((l) => JSON.stringify(l)).join('\n')}`);
        await sleep(50);
      }
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
  child.stderr!.on('data', (d) => (p.stderr += d));
  return p;
}
