/**
 * `npm run bench`: benchmarks reported as figures and ratios, written to bench-results/. Timings
 * never gate the test suite (DEVELOPERS.md); they are read and compared across runs.
 * `npm run bench -- cni` (or sim, ipamd) runs only the named sections.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { benchCniSection } from './cni-report.ts';
import { benchHistory } from './history-bench.ts';
import { benchHistoryQuery, describeQueryBench } from './history-query.ts';
import { benchIpamd, type RoundTripResult } from './ipamd-bench.ts';
import { benchAssignRoundTrip } from './sim-bench.ts';
import { benchKubeStart } from './kube-bench.ts';
import { benchPrewarm } from './prewarm-bench.ts';
import { benchPublisher } from './publisher-bench.ts';
import { benchMetrics, benchRegistryImport, benchStartOnOff } from './metrics-bench.ts';
import { fmt } from './stats.ts';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 1000);
const out: Record<string, unknown> = { node: process.version, at: new Date().toISOString() };
const wanted = new Set(process.argv.slice(2));
const run = (section: string) => wanted.size === 0 || wanted.has(section);
mkdirSync('bench-results', { recursive: true });

if (run('cni')) out.cni = await benchCniSection('bench-results');
if (run('sim')) {

const sim = await benchAssignRoundTrip(iterations);
out.sim = sim;
const lines = [
  `emulator: AssignPrivateIpAddresses round trip through @aws-sdk/client-ec2 (n=${sim.assignRoundTrip.n})`,
  `  median ${fmt(sim.assignRoundTrip.median)}, p90 ${fmt(sim.assignRoundTrip.p90)}, p99 ${fmt(sim.assignRoundTrip.p99)}`,
  `  inside the emulator: median ${fmt(sim.assignServerSide.median)}`,
  `  plain HTTP round trip to the same process: median ${fmt(sim.httpFloor.median)} -> SDK call is ${sim.ratioToHttpFloor.toFixed(1)}x the floor`,
];
process.stdout.write(`${lines.join('\n')}\n`);
}

// ipamd as a real process on a unix socket against the emulator (issue 3).
if (run('ipamd')) {
const ipamd = await benchIpamd({ calls: Number(process.env.BENCH_IPAMD_CALLS ?? 2000) });
out.ipamd = ipamd;
const kib = (k: number) => `${(k / 1024).toFixed(1)} MiB`;
const rt = (name: string, r: RoundTripResult) => [
  `  ${name} (n=${r.add.n})`,
  `    AddNetwork p50 ${fmt(r.add.median)}, p99 ${fmt(r.add.p99)}; DelNetwork p50 ${fmt(r.del.median)}, p99 ${fmt(r.del.p99)}`,
  `    health Check on the same socket p50 ${fmt(r.healthCheck.median)} -> AddNetwork is ${r.addToFloor.toFixed(1)}x the floor`,
];
const st = ipamd.start;
const mem = ipamd.memory;
const ipamdLines = [
  'ipamd: a real process on a unix socket against the emulator',
  ...rt('round trip, one call at a time, new pod key each ADD then its DEL; m5.4xlarge secondary IPs, WARM_ENI_TARGET=1, IP_COOLDOWN_PERIOD=0', ipamd.roundTrip),
  ...rt('same, 2,128-address pool (prefix mode, MINIMUM_IP_TARGET=2128), default 30 s cooldown', ipamd.roundTripBigPool),
  `  start to serving with ${st.pods} checkpointed allocations (${st.instanceType} prefix mode; spawn -> health SERVING, n=${st.startToServing.n})`,
  `    median ${fmt(st.startToServing.median)} (min ${fmt(st.startToServing.min)}, max ${fmt(st.startToServing.max)}); allocations kept: ${[...new Set(st.allocationsAfterRestart)].join('/')}`,
  `    with NODE_COMPILE_CACHE set to a warm dir of its own (ipamd/main.ts enables a default cache anyway): median ${fmt(st.startToServingCompileCache.median)} (n=${st.startToServingCompileCache.n})`,
  `    from ipamd's log, ms after spawn: ${Object.entries(st.phases).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  `    context: node -e 0 median ${fmt(st.nodeBareStart.median)}; node importing ipamd's modules then exiting median ${fmt(st.ipamdImportOnly.median)}`,
  `  resident memory (VmRSS) with ${mem.pods} pods: ${kib(mem.rssAfterPauseKiB)} after a ${mem.pauseMs / 1000} s pause (${kib(mem.rssAfterPodsKiB)} right after the last ADD; peak ${kib(mem.peakRssKiB)})`,
  `    serving with no pod ${kib(mem.idleRssKiB)}; after a restart replaying ${mem.pods} ${kib(mem.rssRestartedKiB)}; context: idle node ${kib(mem.bareNodeRssKiB)}, node with ipamd's modules imported ${kib(mem.importedRssKiB)}`,
  `  EC2 mutating calls (HTTP 200, non-Describe) for 0 -> 100 -> 0 pods, IP_COOLDOWN_PERIOD=1, release every 100 ms, ENIs freeable after 500 ms:`,
];
const byAction = (r: Record<string, number>) => Object.entries(r).map(([a, n]) => `${a} ${n}`).join(', ') || 'none';
for (const c of ipamd.ec2Calls) {
  ipamdLines.push(
    `    ${c.instanceType} ${c.name}: ${c.actual} calls = ${c.minimum.underTargets === c.actual ? 'the minimum' : `${c.ratio.underTargets.toFixed(2)}x the minimum`} under these targets (${c.minimum.underTargets}), ${c.ratio.limitsOnly.toFixed(2)}x the minimum to hold ${c.pods} pods (${c.minimum.limitsOnly})`,
    `      start: ${byAction(c.phases.start)} | up: ${byAction(c.phases.up)} | down: ${byAction(c.phases.down)}`,
    `      peak ${c.atPeak.enis} ENIs / ${c.atPeak.ips} IPs, end ${c.atEnd.enis} ENIs / ${c.atEnd.ips} IPs${c.endAsTargetsSay ? '' : ' (NOT the 0-pod state the targets call for)'} ${c.downSeconds.toFixed(1)} s after the last DEL; failed ${c.failed}, Describe* ${c.describes}`,
  );
}
const first = ipamd.ec2Calls[0];
if (first) ipamdLines.push(`    minimum: ${first.minimum.formula}`);
ipamdLines.push(`  (section wall time: ${Object.entries(ipamd.seconds).map(([k, v]) => `${k} ${v} s`).join(', ')})`);
process.stdout.write(`${ipamdLines.join('\n')}\n`);
}

// ipamd with its Kubernetes client, side by side with standalone (issue 11).
if (run('kube')) {
  const k = await benchKubeStart(Number(process.env.BENCH_KUBE_PODS ?? 250));
  out.kube = k;
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  const row = (name: string, r: typeof k.standalone) =>
    `    ${name}: start to serving median ${fmt(r.start.startToServing.median)} (min ${fmt(r.start.startToServing.min)}, max ${fmt(r.start.startToServing.max)}, n=${r.start.startToServing.n}); RSS with ${k.pods} pods ${mib(r.memory.rssAfterPauseKiB)} (idle ${mib(r.memory.idleRssKiB)}, after restart ${mib(r.memory.rssRestartedKiB)})`;
  process.stdout.write(
    [
      `ipamd with the Kubernetes client (in-cluster, real kube-apiserver ready in ${k.apiServerStartMs} ms, ${k.pods} Pod objects bound to the node) vs standalone, ${k.pods} checkpointed pods:`,
      row('standalone', k.standalone),
      row('kubernetes', k.kubernetes),
      `    ratio kubernetes/standalone: start ${k.startRatio.toFixed(2)}x, RSS ${k.rssRatio.toFixed(2)}x`,
    ].join('\n') + '\n',
  );
}

// Prewarm from the pods bound to the node, side by side with it off (issue 11 item 8).
if (run('prewarm')) {
  const list = (v: string | undefined) => v?.split(',').map(Number);
  const pw = await benchPrewarm({ pods: list(process.env.BENCH_PREWARM_PODS), deltasMs: list(process.env.BENCH_PREWARM_DELTAS_MS) });
  out.prewarm = pw;
  const lines = [
    'prewarm: N pods bound at once to an m5.large at its warm target (WARM_ENI_TARGET 1), realistic profile, sandboxes started Δ after binding (containerd, real plugin, test kubelet):',
    '    N   Δ ms  prewarm  code-11 ADDs  pods waited  bind->address median / max  beyond Δ median / max  ENIs',
  ];
  for (const r of pw.runs) {
    lines.push(
      `  ${String(r.pods).padStart(3)} ${String(r.deltaMs).padStart(6)}  ${r.prewarm ? 'on ' : 'off'}      ${String(r.code11).padStart(4)}          ${String(r.waited).padStart(3)}        ${fmt(r.bindToAddress.median).padStart(10)} / ${fmt(r.bindToAddress.max).padEnd(10)}  ${fmt(r.beyondDelta.median).padStart(10)} / ${fmt(r.beyondDelta.max).padEnd(10)} ${r.enis}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

// The CloudWatch publisher aggregating 100 nodes' recorded expositions (issue 13).
if (run('publisher')) {
  const p = await benchPublisher({ nodes: Number(process.env.BENCH_PUBLISHER_NODES ?? 100) });
  out.publisher = p;
  writeFileSync('bench-results/publisher.json', `${JSON.stringify(p, null, 2)}\n`);
  const row = (name: string, r: typeof p.full) =>
    `  ${name}: CPU ${r.cpuMsPerCycle.toFixed(1)} ms/cycle (wall ${r.wallMsPerCycle.toFixed(1)} ms), RSS ${r.rssMiB.toFixed(0)} MiB, heap ${r.heapUsedMiB.toFixed(0)} MiB${r.datumsPerPeriod ? `, about ${r.datumsPerPeriod.toFixed(0)} datums in ${r.callsPerPeriod.toFixed(0)} PutMetricData call(s) per period` : ''}`;
  process.stdout.write(
    [
      `publisher: ${p.nodes} emulated nodes, each a recorded ipamd exposition (250 pods, ${p.expositionBytes} bytes) varied per node, scraped over HTTP every cycle (medians of 3 interleaved runs):`,
      row('fetch only (baseline)', p.baseline),
      row('scrape + parse + aggregate, a period every 2nd cycle', p.full),
      row('same with per-node series', p.perNode),
      `  parsing and aggregating ${p.nodes} expositions: ${p.parseAndAggregateMsPerCycle.toFixed(1)} ms CPU per cycle (${p.cpuRatioToBaseline.toFixed(2)}x the fetch alone)`,
    ].join('\n') + '\n',
  );
}

// What the address history costs an ADD, on against off (issue 13).
if (run('history')) {
  const h = await benchHistory({ calls: Number(process.env.BENCH_HISTORY_CALLS ?? 300) });
  out.history = h;
  const row = (name: string, r: typeof h.on) =>
    `    ${name}: AddNetwork p50 ${fmt(r.add.median)}, p99 ${fmt(r.add.p99)}; DelNetwork p50 ${fmt(r.del.median)}, p99 ${fmt(r.del.p99)}; ${h.burstSize} concurrent ADDs p50 ${fmt(r.burst.median)} (max ${fmt(r.burst.max)})${r.bytesPerPod ? `; ${Math.round(r.bytesPerPod)} bytes of history per pod` : ''}`;
  process.stdout.write(
    [
      `address history: ipamd (m5.4xlarge, IP_COOLDOWN_PERIOD=0) with VPCWIRE_HISTORY off and on, ${h.rounds} alternating rounds of ${h.calls} ADD+DEL one at a time and bursts of ${h.burstSize}:`,
      `    in-process Datastore.assign (checkpoint write; with the history its append + fdatasync beside it), n=${h.inProcess.n} each, alternating: off p50 ${fmt(h.inProcess.off.median)} p99 ${fmt(h.inProcess.off.p99)}, on p50 ${fmt(h.inProcess.on.median)} p99 ${fmt(h.inProcess.on.p99)} (${h.inProcess.ratio.toFixed(2)}x)`,
      row('off', h.off),
      row('on ', h.on),
      `    ratio on/off: AddNetwork p50 ${h.addRatio.toFixed(2)}x, burst p50 ${h.burstRatio.toFixed(2)}x`,
      describeQueryBench(h.query),
    ].join('\n') + '\n',
  );
}
// Only the query's cost (a few seconds): `npm run bench -- history-query`; BENCH_HISTORY_READER
// names another reader module to compare (an older ipamd/history/reader.ts).
if (wanted.has('history-query')) {
  const q = benchHistoryQuery({ lines: Number(process.env.BENCH_HISTORY_QUERY_LINES ?? 200_000), ...(process.env.BENCH_HISTORY_READER ? { reader: process.env.BENCH_HISTORY_READER } : {}) });
  out.historyQuery = q;
  process.stdout.write(`${describeQueryBench(q)}\n`);
}

// ipamd's metrics: one scrape of a 250-pod node, and resident memory with metrics on vs off (issue 13).
if (run('metrics')) {
  const m = await benchMetrics({ pods: Number(process.env.BENCH_METRICS_PODS ?? 250), scrapes: Number(process.env.BENCH_METRICS_SCRAPES ?? 500) });
  const imp = await benchRegistryImport();
  const starts = await benchStartOnOff();
  out.metrics = { nodes: m, registryImport: imp, startToServing: starts };
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  const lines = ['ipamd metrics: GET /metrics over HTTP from a real ipamd process, 250 pods (NODE_EXTRA_CA_CERTS not passed to ipamd):'];
  for (const r of m) {
    lines.push(
      `  ${r.node}: ${r.series} series, ${(r.bytes / 1024).toFixed(1)} KiB per scrape`,
      `    scrape median ${fmt(r.scrape.median)}, p99 ${fmt(r.scrape.p99)} (n=${r.scrape.n}); ipamd CPU ${r.cpuPerScrapeMs.toFixed(2)} ms per scrape (idle CPU subtracted, ${r.scrapes} scrapes)`,
      `    RSS metrics on ${mib(r.rssMetricsOnKiB)} vs DISABLE_METRICS=true ${mib(r.rssMetricsOffKiB)}: ${r.rssRatio.toFixed(3)}x (+${mib(r.rssMetricsOnKiB - r.rssMetricsOffKiB)}); after the scrapes ${mib(r.rssAfterScrapesKiB)}`,
    );
  }
  lines.push(
    `  loading the registry (ipamd/metrics/prometheus.ts + prom-client), what DISABLE_METRICS=true saves a start: node importing it median ${fmt(imp.registry.median)} vs node -e 0 ${fmt(imp.bare.median)} (+${fmt(imp.registry.median - imp.bare.median)}, n=${imp.bare.n})`,
  );
  lines.push(
    `  start to serving, m5.large with 250 checkpointed pods, alternating: metrics on median ${fmt(starts.on.median)} (min ${fmt(starts.on.min)}, max ${fmt(starts.on.max)}) vs DISABLE_METRICS=true ${fmt(starts.off.median)} (min ${fmt(starts.off.min)}, max ${fmt(starts.off.max)}), n=${starts.on.n} each`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  writeFileSync('bench-results/metrics.txt', `${lines.join('\n')}\n`);
}

writeFileSync('bench-results/bench.json', `${JSON.stringify(out, null, 2)}\n`);
process.stdout.write('wrote bench-results/bench.json\n');
