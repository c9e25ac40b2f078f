/**
 * `npm run bench -- metrics` (issue 13): what ipamd's metrics cost on a node with 250 pods.
 * - one scrape of /metrics over HTTP: wall time (median, p99), bytes, and ipamd's CPU per scrape
 *   (utime + stime from /proc/<pid>/stat over many scrapes, less the same idle interval's CPU);
 * - ipamd's resident memory with metrics on and with DISABLE_METRICS=true, in the same run, as a
 *   ratio.
 * Two nodes: prefix mode on an m5.large (the common 250-pod setup), and secondary IPs on an
 * m5.16xlarge, the worst case for the exposition (one awscni_assigned_ip_per_cidr series per /32).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { addPods } from '../helpers/pool.ts';
import { freePort } from '../helpers/observed-ipamd.ts';
import { nodeStart, procStatusKiB, withNode } from './ipamd-bench-helpers.ts';
import { type Summary, summarize } from './stats.ts';

/** CPU time (ms) the process has used: utime + stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 Hz). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export interface NodeMetricsResult {
  node: string;
  pods: number;
  scrape: Summary;
  bytes: number;
  series: number;
  /** ipamd's CPU per scrape (ms), idle CPU over the same wall time subtracted. */
  cpuPerScrapeMs: number;
  scrapes: number;
  rssMetricsOnKiB: number;
  rssMetricsOffKiB: number;
  /** RSS of the metrics-on process after all the scrapes. */
  rssAfterScrapesKiB: number;
  rssRatio: number;
}

async function rssWith(type: string, env: Record<string, string>, pods: number, pauseMs: number, scrapes: number) {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  return withNode(type, { ...env, VPCWIRE_METRICS_BIND_ADDRESS: address, DISABLE_LEAKED_ENI_CLEANUP: 'true' }, async (_sim, p) => {
    await addPods(p, 0, pods);
    await sleep(pauseMs);
    const rss = procStatusKiB(p.child.pid!, 'VmRSS');
    if (env.DISABLE_METRICS === 'true') return { rss };
    const pid = p.child.pid!;
    // Warm up (first scrape compiles the formatting paths), then time.
    for (let i = 0; i < 20; i++) await (await fetch(`http://${address}/metrics`)).text();
    const samples: number[] = [];
    let bytes = 0;
    let text = '';
    const wall0 = performance.now();
    const cpu0 = cpuMs(pid);
    for (let i = 0; i < scrapes; i++) {
      const t0 = performance.now();
      text = await (await fetch(`http://${address}/metrics`)).text();
      samples.push(performance.now() - t0);
      bytes = Buffer.byteLength(text);
    }
    const cpu = cpuMs(pid) - cpu0;
    const wall = performance.now() - wall0;
    // The same process idle for as long: its timers' CPU is not the scrapes'.
    const idle0 = cpuMs(pid);
    await sleep(wall);
    const idle = cpuMs(pid) - idle0;
    const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    const assigned = /^awscni_assigned_ip_addresses (\d+)/m.exec(text)?.[1];
    if (Number(assigned) !== pods) throw new Error(`the scrape shows ${assigned} assigned, not ${pods}`);
    return { rss, scrape: summarize(samples), bytes, series, cpuPerScrapeMs: Math.max(0, cpu - idle) / scrapes, rssAfter: procStatusKiB(pid, 'VmRSS') };
  });
}

/** What loading the registry costs a start: `node -e 0` vs one importing ipamd/metrics/prometheus.ts (prom-client with it). */
export async function benchRegistryImport(n = 10): Promise<{ bare: Summary; registry: Summary }> {
  const registry = new URL('../../ipamd/metrics/prometheus.ts', import.meta.url).href;
  return { bare: await nodeStart(['-e', '0'], n), registry: await nodeStart(['--input-type=module', '-e', `await import(${JSON.stringify(registry)})`], n) };
}

/**
 * Spawn to health SERVING of the same ipamd (same files, 250 checkpointed pods) with metrics on
 * and off, alternating so the machine's noise falls on both alike.
 */
export async function benchStartOnOff(n = 6, pods = 250): Promise<{ on: Summary; off: Summary }> {
  const env = { ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '1', DISABLE_INTROSPECTION: 'true', DISABLE_LEAKED_ENI_CLEANUP: 'true' };
  return withNode('m5.large', env, async (_sim, p) => {
    await addPods(p, 0, pods);
    const on: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < 2 * n + 2; i++) {
      const metricsOn = i % 2 === 0;
      await p.kill('SIGTERM');
      const t0 = performance.now();
      await p.restart(metricsOn ? { VPCWIRE_METRICS_BIND_ADDRESS: '127.0.0.1:0' } : { DISABLE_METRICS: 'true' });
      const ms = performance.now() - t0;
      if (i >= 2) (metricsOn ? on : off).push(ms); // the first of each fills Node's compile cache
    }
    return { on: summarize(on), off: summarize(off) };
  });
}

export async function benchMetrics(opts: { pods?: number; scrapes?: number; pauseMs?: number } = {}): Promise<NodeMetricsResult[]> {
  const pods = opts.pods ?? 250;
  const scrapes = opts.scrapes ?? 500;
  const pauseMs = opts.pauseMs ?? 3000;
  const nodes: [string, string, Record<string, string>][] = [
    ['m5.large prefix mode', 'm5.large', { ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '1' }],
    ['m5.16xlarge secondary IPs', 'm5.16xlarge', { WARM_IP_TARGET: '5' }],
  ];
  const out: NodeMetricsResult[] = [];
  for (const [node, type, env] of nodes) {
    // Introspection off in both, so the ratio is the metrics' alone.
    const on = await rssWith(type, { ...env, DISABLE_INTROSPECTION: 'true' }, pods, pauseMs, scrapes);
    const off = await rssWith(type, { ...env, DISABLE_METRICS: 'true', DISABLE_INTROSPECTION: 'true' }, pods, pauseMs, 0);
    out.push({
      node,
      pods,
      scrape: on.scrape!,
      bytes: on.bytes!,
      series: on.series!,
      cpuPerScrapeMs: on.cpuPerScrapeMs!,
      scrapes,
      rssMetricsOnKiB: on.rss,
      rssMetricsOffKiB: off.rss,
      rssAfterScrapesKiB: on.rssAfter!,
      rssRatio: on.rss / off.rss,
    });
  }
  return out;
}
