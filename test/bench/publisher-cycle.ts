/**
 * The publisher's benchmark child (publisher-bench.ts runs it with NODE_EXTRA_CA_CERTS unset): the
 * publisher's own cycle code (metrics-helper/publisher.ts with its direct scraper, exposition
 * reader, ledger and PutMetricData batching) against `targets` served over HTTP, with its SDK and
 * Kubernetes client loaded as the real process loads them, but no API server or CloudWatch: the
 * target list is given and the sender counts datums. MODE=baseline scrapes and discards (the cost
 * of fetching alone). Prints one JSON line: CPU ms per cycle, RSS.
 */
import { batches, cloudWatchSender } from '../../metrics-helper/cloudwatch.ts';
import { emptyLedgerState, Ledger } from '../../metrics-helper/ledger.ts';
import { Publisher } from '../../metrics-helper/publisher.ts';
import { parseSettings } from '../../metrics-helper/settings.ts';
import { makeScraper, scrapeAll, type Target } from '../../metrics-helper/targets.ts';
import { loadKubeClient } from '../../ipamd/kube/client.ts';

const { TARGETS, PORT, CYCLES, MODE, NODE_DIMENSION } = process.env;
const ips = TARGETS!.split(',');
const settings = parseSettings([], { AWS_CLUSTER_ID: 'bench', AWS_REGION: 'us-west-2', SCRAPE_MODE: 'direct', IPAMD_METRICS_PORT: PORT, METRICS_NODE_DIMENSION: NODE_DIMENSION ?? 'false' });
// What the real process holds in memory: the CloudWatch SDK and the bundled Kubernetes client.
await cloudWatchSender(settings);
await loadKubeClient();
const targets: Target[] = ips.map((ip, i) => ({ key: `kube-system/vpcwire-${i}`, name: `vpcwire-${i}`, uid: `uid-${i}`, node: `node-${i}`, restarts: 0, startedAt: undefined, ip }));
const scrape = makeScraper(undefined as never, settings);
let datums = 0;
let calls = 0;
let periods = 0;
const pub = new Publisher({
  ledger: new Ledger(emptyLedgerState(0)),
  list: async () => targets,
  scrape,
  sender: {
    async send(d) {
      const b = batches(d);
      datums += d.length;
      calls += b.length;
      periods++;
      return { calls: b.length, retries: 0 };
    },
  },
  store: { load: async () => emptyLedgerState(0), save: async () => undefined },
  log: () => undefined,
  clusterId: 'bench',
  nodeDimension: settings.nodeDimension,
  scrapeTimeoutMs: 10_000,
  maxReadingAgeMs: 60_000,
});

const cycle = async () => {
  if (MODE === 'baseline') {
    const texts = await scrapeAll(targets, scrape, 10_000);
    for (const t of texts.values()) if (t instanceof Error) throw t;
    return;
  }
  const r = await pub.scrapeOnce();
  if (r.scraped !== targets.length) throw new Error(`scraped ${r.scraped} of ${targets.length}`);
  // Publish every second cycle, as 30 s scrapes and 60 s periods do.
  if (++n % 2 === 0 && !(await pub.publishOnce())) throw new Error('publish failed');
};
let n = 0;
for (let i = 0; i < 5; i++) await cycle(); // warm-up: JIT, sockets
const cycles = Number(CYCLES ?? 40);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < cycles; i++) await cycle();
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - t0;
process.stdout.write(`${JSON.stringify({
  mode: MODE ?? 'full',
  cycles,
  cpuMsPerCycle: (cpu.user + cpu.system) / 1000 / cycles,
  wallMsPerCycle: wallMs / cycles,
  rssMiB: process.memoryUsage().rss / 2 ** 20,
  heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
  datumsPerPeriod: periods ? datums / periods : 0,
  callsPerPeriod: periods ? calls / periods : 0,
})}\n`);
