/**
 * The publisher in the test's own process with its real parts, for tests that decide what overlaps
 * what and how old a reading is: the chart's RBAC and a TokenRequest token against a real
 * kube-apiserver (the ipamd Pod objects it lists, its state ConfigMap), the direct scraper over
 * HTTP against loopback servers serving the ipamd expositions the test sets, the CloudWatch SDK
 * sending to the emulator, and GetMetricData to read back what CloudWatch holds. The test calls
 * scrapeOnce() and publishOnce() itself instead of timers.
 */
import { writeFileSync } from 'node:fs';
import { after, before, beforeEach } from 'node:test';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PUBLISHED_METRICS } from '../../metrics-helper/catalog.ts';
import { cloudWatchSender, type SenderOptions } from '../../metrics-helper/cloudwatch.ts';
import { kubeCoreApi } from '../../metrics-helper/kube.ts';
import { Ledger } from '../../metrics-helper/ledger.ts';
import type { Level } from '../../metrics-helper/log.ts';
import { Publisher } from '../../metrics-helper/publisher.ts';
import { parseSettings, type Settings } from '../../metrics-helper/settings.ts';
import { configMapStateStore } from '../../metrics-helper/state-store.ts';
import { listTargets, makeScraper } from '../../metrics-helper/targets.ts';
import type { Topology } from '../../sim/topology.ts';
import { cloudwatchClient } from '../helpers/cloudwatch.ts';
import { type KubeTestbed, startKubeTestbed } from '../helpers/kube/testbed.ts';
import { freePort } from '../helpers/observed-ipamd.ts';
import { catalogExposition } from './exposition-text.ts';
import { createIpamdPod, emulatorPublisherEnv, IPAMD_LABELS, type LogLine, publisherIdentity, setIpamdPodStatus } from './harness.ts';

/** The catalog's counter metrics (their CloudWatch names). */
export const COUNTERS = PUBLISHED_METRICS.filter((m) => m.aggregation === 'counter').map((m) => m.name);
/** A process start after the publisher's epoch (its state ConfigMap is made when a test's publisher starts), so counted from 0. */
export const laterStart = () => Math.floor(Date.now() / 1000) + 60;
/** An ipamd exposition with every catalog counter at `counter` and gauge at `gauge`. */
export const figures = (counter: number, processStart: number, gauge = 3) => catalogExposition({ gauge, counter, processStart });

/** One bed for the file's tests, reset before each; the returned function gives it to a test. */
export function useLiveBed(): () => LiveBed {
  let bed: LiveBed | undefined;
  before(async () => {
    bed = await startLiveBed();
  });
  after(async () => {
    await bed?.stop();
  });
  beforeEach(async () => {
    await bed!.reset();
  });
  return () => bed!;
}

/** One ipamd's /metrics as a loopback server: the text it serves, a delay for the next answer, or down (503). */
export interface ExpositionServer {
  text: string;
  delayNextMs: number;
  down: boolean;
  readonly requests: number;
}

export interface LivePublisher {
  readonly pub: Publisher;
  readonly logs: LogLine[];
  readonly settings: Settings;
  /** Log lines at `level` whose message matches. */
  logged(level: Level, msg: RegExp): LogLine[];
  /** Closes its CloudWatch client (the test's process must be able to exit). */
  close(): void;
}

export interface LiveBed {
  readonly tb: KubeTestbed;
  /** Serves an exposition at `ip` (127.0.0.x) on the bed's metrics port. */
  serve(ip: string, text: string): Promise<ExpositionServer>;
  /** A Running ipamd Pod `vpcwire-<node>` at `ip`, as kubelet would report it. */
  pod(node: string, ip: string): Promise<void>;
  /** A publisher under the chart's identity for CLUSTER_ID `clusterId`, from the stored state (created when absent). */
  publisher(o: { clusterId: string; nodeDimension?: boolean; maxReadingAgeMs?: number; sender?: SenderOptions; endpoint?: string }): Promise<LivePublisher>;
  /** What CloudWatch holds for the cluster (or one node with `node`): per metric, `stat` over the last half hour (Sum and SampleCount added up, Maximum and Minimum of the periods'). */
  read(clusterId: string, names: readonly string[], o?: { stat?: 'Sum' | 'SampleCount' | 'Maximum' | 'Minimum'; node?: string }): Promise<Record<string, number>>;
  /** The environment of a real `vpcwire metrics-helper` process (harness.ts startPublisher) as the chart runs it, in-cluster under its token. */
  processEnv(clusterId: string, extra?: Record<string, string>): Record<string, string>;
  /** Removes the ipamd pods and the state ConfigMap, for the next test. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const topology: Topology = {
  vpc: { cidrs: ['10.63.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.63.0.0/20', az: 'us-west-2a' }], securityGroups: [{ name: 'node-sg' }] },
  instances: [{ name: 'unused', type: 't3.medium', subnet: 'nodes', securityGroups: ['node-sg'] }],
};

export async function startLiveBed(): Promise<LiveBed> {
  const tb = await startKubeTestbed(topology);
  const { cp, sim, core, dir } = tb;
  const port = await freePort();
  const servers: ReturnType<typeof createServer>[] = [];
  const cw = cloudwatchClient(sim);
  // The SDK's default credential chain, as in a pod with keys in its environment.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: sim.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: sim.credentials.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' });
  await core.createNamespacedServiceAccount({ namespace: 'kube-system', body: { metadata: { name: 'vpcwire' } } });
  const { id, env: chartEnv } = await publisherIdentity(cp, dir, { scrape: 'direct', clusterId: 'unused' });
  const kubeconfig = join(dir, 'publisher-kubeconfig');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'p',
    clusters: [{ name: 'c', cluster: { server: cp.server, 'certificate-authority': cp.pki.caCert } }],
    users: [{ name: 'publisher', user: { token: id.token } }],
    contexts: [{ name: 'p', context: { cluster: 'c', user: 'publisher' } }],
  }));
  return {
    tb,
    async serve(ip, text) {
      const s: ExpositionServer & { requests: number } = { text, delayNextMs: 0, down: false, requests: 0 };
      const server = createServer((req, res) => {
        s.requests++;
        // The answer is the text at the moment of the request, however late it arrives (as ipamd renders it).
        const body = s.text;
        const delay = s.delayNextMs;
        s.delayNextMs = 0;
        setTimeout(() => {
          if (s.down) res.writeHead(503).end('down');
          else res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
        }, delay);
      });
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, ip, () => resolve()));
      servers.push(server);
      return s;
    },
    async pod(node, ip) {
      await createIpamdPod(core, node, 'vpcwire');
      await setIpamdPodStatus(core, node, ip, 0);
    },
    async publisher(o) {
      const settings = parseSettings([], {
        ...chartEnv,
        KUBECONFIG: kubeconfig,
        AWS_CLUSTER_ID: o.clusterId,
        AWS_REGION: sim.region,
        AWS_CLOUDWATCH_ENDPOINT: o.endpoint ?? sim.endpoints.cloudwatch,
        IPAMD_METRICS_PORT: String(port),
        METRICS_NODE_DIMENSION: String(o.nodeDimension ?? false),
        SCRAPE_TIMEOUT: '5s',
      });
      const logs: LogLine[] = [];
      const log = (level: Level, msg: string, fields: Record<string, unknown> = {}) => void logs.push({ level, msg, ...fields });
      const pcore = await kubeCoreApi(settings);
      const store = configMapStateStore(pcore, settings.stateNamespace, settings.stateConfigMap, { log });
      const sender = await cloudWatchSender(settings, o.sender ?? { retry: { attempts: 1, baseMs: 0, maxMs: 0, sleep: async () => undefined } });
      const pub = new Publisher({
        ledger: new Ledger(await store.load()),
        list: () => listTargets(pcore, settings),
        scrape: makeScraper(pcore, settings),
        sender,
        store,
        log,
        clusterId: o.clusterId,
        nodeDimension: settings.nodeDimension,
        scrapeTimeoutMs: settings.scrapeTimeoutMs,
        maxReadingAgeMs: o.maxReadingAgeMs ?? 60_000,
      });
      return { pub, logs, settings, logged: (level, msg) => logs.filter((l) => l.level === level && msg.test(l.msg)), close: () => sender.client.destroy() };
    },
    async read(clusterId, names, o = {}) {
      const dims = [{ Name: 'CLUSTER_ID', Value: clusterId }, ...(o.node ? [{ Name: 'NodeName', Value: o.node }] : [])];
      const out = await cw.send(new GetMetricDataCommand({
        StartTime: new Date(Date.now() - 30 * 60_000),
        EndTime: new Date(Date.now() + 60_000),
        MetricDataQueries: names.map((n, i) => ({ Id: `m${i}`, MetricStat: { Metric: { Namespace: 'Kubernetes', MetricName: n, Dimensions: dims }, Period: 60, Stat: o.stat ?? 'Sum' } })),
      }));
      const values = (i: number) => out.MetricDataResults!.find((r) => r.Id === `m${i}`)?.Values ?? [];
      const fold = (v: number[]) => (o.stat === 'Maximum' ? Math.max(...v) : o.stat === 'Minimum' ? Math.min(...v) : v.reduce((a, b) => a + b, 0));
      return Object.fromEntries(names.map((n, i) => [n, fold(values(i))]));
    },
    processEnv(clusterId, extra = {}) {
      return { ...emulatorPublisherEnv(sim, { clusterId, port, chartEnv, identityEnv: id.env }), POD_NAMESPACE: 'kube-system', ...extra };
    },
    async reset() {
      await core.deleteCollectionNamespacedPod({ namespace: 'kube-system', labelSelector: Object.entries(IPAMD_LABELS).map(([k, v]) => `${k}=${v}`).join(','), gracePeriodSeconds: 0 });
      await core.deleteNamespacedConfigMap({ name: chartEnv.STATE_CONFIGMAP!, namespace: 'kube-system' }).catch(() => undefined);
      for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections());
      sim.faults.clear();
      sim.throttle.configure({ enabled: false });
      for (let i = 0; i < 50 && (await core.listNamespacedPod({ namespace: 'kube-system' })).items.length > 0; i++) await sleep(100);
    },
    async stop() {
      for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections());
      cw.destroy();
      await tb.stop();
    },
  };
}
