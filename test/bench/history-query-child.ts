/**
 * One address-history query in a process of its own (history-query.ts): argv reader module, dir,
 * address. Prints JSON: wall time, peak and base RSS, event-loop delay during the query.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const [readerPath, dir, ip] = process.argv.slice(2) as [string, string, string];
const { readHistory } = (await import(readerPath)) as typeof import('../../ipamd/history/reader.ts');
const baseRss = process.memoryUsage().rss;
const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
const t0 = performance.now();
const read = await readHistory(dir, { ip });
const ms = performance.now() - t0;
h.disable();
process.stdout.write(
  JSON.stringify({
    ms,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    baseRssMiB: baseRss / 2 ** 20,
    loopDelayMaxMs: h.max / 1e6,
    loopDelayP99Ms: h.percentile(99) / 1e6,
    holdings: read.records.length,
  }),
);
