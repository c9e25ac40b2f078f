/**
 * Finding the ipamd pods and reading their /metrics: through the API server's pod proxy
 * (`/api/v1/namespaces/<ns>/pods/<name>:<port>/proxy/metrics`, upstream's way: needs pods/proxy
 * get, works wherever the API server reaches the node) or straight at the pod IP (ipamd runs with
 * hostNetwork, so the node's address; no pods/proxy grant, but the publisher's pod must reach the
 * nodes' port 61678).
 */
import { Agent, get as httpGet } from 'node:http';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { METRICS_PATH } from '../contract/metrics.ts';
import { MetricsHelperError } from './errors.ts';
import { describeKubeError } from './kube.ts';
import type { PodRef } from './ledger.ts';
import type { Settings } from './settings.ts';

export interface Target extends PodRef {
  readonly name: string;
  readonly ip: string | undefined;
}

/** The ipamd container: `ipamd` in the chart's DaemonSet (else the pod's first). */
function toTarget(p: V1Pod): Target | undefined {
  const name = p.metadata?.name;
  const uid = p.metadata?.uid;
  if (!name || !uid) return undefined;
  const statuses = p.status?.containerStatuses ?? [];
  const status = statuses.find((c) => c.name === 'ipamd') ?? statuses[0];
  const started = status?.state?.running?.startedAt;
  return {
    key: `${p.metadata!.namespace}/${name}`,
    name,
    uid,
    // A Running pod has a node; the pod's name stands in otherwise (a CloudWatch dimension value may not be empty).
    node: p.spec?.nodeName || name,
    restarts: status?.restartCount ?? 0,
    startedAt: started ? new Date(started).getTime() : undefined,
    ip: p.status?.podIP,
  };
}

/** Running ipamd pods matching the selector (pending or finished ones have nothing to scrape). */
export async function listTargets(core: CoreV1Api, s: Settings): Promise<Target[]> {
  let list;
  try {
    list = await core.listNamespacedPod({ namespace: s.ipamdNamespace, labelSelector: s.ipamdSelector });
  } catch (e) {
    throw new MetricsHelperError('METRICS_HELPER_KUBE', describeKubeError(`list pods in ${s.ipamdNamespace} (${s.ipamdSelector})`, e), { cause: e });
  }
  return list.items
    .filter((p) => !p.metadata?.deletionTimestamp && (p.status?.phase === undefined || p.status.phase === 'Running'))
    .map(toTarget)
    .filter((t): t is Target => t !== undefined);
}

export type Scraper = (t: Target) => Promise<string>;

export function makeScraper(core: CoreV1Api, s: Settings): Scraper {
  if (s.scrape === 'proxy') {
    return async (t) => {
      try {
        return await core.connectGetNamespacedPodProxyWithPath({ namespace: s.ipamdNamespace, name: `${t.name}:${s.ipamdPort}`, path: 'metrics' });
      } catch (e) {
        throw new MetricsHelperError('METRICS_HELPER_KUBE', describeKubeError(`GET pods/${t.name}:${s.ipamdPort}/proxy/metrics`, e), { cause: e });
      }
    };
  }
  // node:http with kept-alive connections rather than fetch(): per cycle a tenth of the CPU and
  // far less memory for 100 nodes (test/bench/publisher-bench.ts).
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return (t) =>
    new Promise<string>((resolve, reject) => {
      if (!t.ip) return reject(new Error(`pod ${t.key} has no IP yet`));
      const where = `http://${t.ip.includes(':') ? `[${t.ip}]` : t.ip}:${s.ipamdPort}/metrics`;
      const req = httpGet({ host: t.ip, port: s.ipamdPort, path: METRICS_PATH, agent, timeout: s.scrapeTimeoutMs }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`GET ${where}: HTTP ${res.statusCode}`));
        }
        res.setEncoding('utf8');
        let body = '';
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${where}: no answer within ${s.scrapeTimeoutMs} ms`)));
      req.on('error', (e) => reject(new Error(`GET ${where}: ${e.message}`, { cause: e })));
    });
}

/** How many scrapes run at once: through the pod proxy each is an API server request. */
export const SCRAPE_CONCURRENCY = 16;

/** Scrapes every target, SCRAPE_CONCURRENCY at a time, each bounded by the timeout; failures are returned, not thrown. */
export async function scrapeAll<T>(targets: readonly Target[], scrape: (t: Target) => Promise<T>, timeoutMs: number, concurrency = SCRAPE_CONCURRENCY): Promise<Map<string, T | Error>> {
  const out = new Map<string, T | Error>();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < targets.length; i = next++) await one(targets[i]!);
  };
  const one = async (t: Target) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`scraping ${t.key} took longer than ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      out.set(t.key, await Promise.race([scrape(t), timeout]));
    } catch (e) {
      out.set(t.key, e instanceof Error ? e : new Error(String(e)));
    } finally {
      clearTimeout(timer);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  return out;
}
