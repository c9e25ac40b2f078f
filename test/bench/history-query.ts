/**
 * `npm run bench -- history` (or `history-query` alone): what one address-history query costs the
 * process answering it: wall time, peak RSS and how long the event loop stalls meanwhile (an ADD or
 * DEL arriving then waits that long). A realistic history (200,000 lines: ~100,000 pod lifecycles
 * over 250 addresses, a kernel audit mark every 500 lines, 16 MiB files each beginning with a
 * snapshot) is written once; each query runs in a fresh child process (history-query-child.ts) so
 * its peak RSS is its own. `reader` names another reader module to compare (an older one).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRealisticHistory } from '../history/big-history.ts';

const CHILD = new URL('./history-query-child.ts', import.meta.url).pathname;
const READER = new URL('../../ipamd/history/reader.ts', import.meta.url).pathname;

export interface QueryRun {
  ms: number;
  /** Peak resident set of the child, MiB (it starts at ~50). */
  peakRssMiB: number;
  /** The child's resident set before the query, MiB. */
  baseRssMiB: number;
  /** perf_hooks monitorEventLoopDelay during the query (resolution 1 ms), ms. */
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  holdings: number;
}

export interface QueryBenchResult {
  lines: number;
  files: number;
  bytes: number;
  runs: QueryRun[];
  median: QueryRun;
}

export function benchHistoryQuery(opts: { lines?: number; runs?: number; reader?: string } = {}): QueryBenchResult {
  const lines = opts.lines ?? 200_000;
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-history-query-'));
  try {
    const { bytes, files } = writeRealisticHistory(dir, lines);
    const runs: QueryRun[] = [];
    for (let i = 0; i < (opts.runs ?? 5); i++) {
      const out = execFileSync(process.execPath, [CHILD, opts.reader ?? READER, dir, '10.0.0.77'], { encoding: 'utf8' });
      runs.push(JSON.parse(out) as QueryRun);
    }
    const median = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)]!;
    return { lines, files, bytes, runs, median };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function describeQueryBench(q: QueryBenchResult): string {
  const m = q.median;
  return (
    `    one query by address over ${q.lines} lines (${q.files} files, ${(q.bytes / 2 ** 20).toFixed(1)} MiB), median of ${q.runs.length} fresh processes: ` +
    `${m.ms.toFixed(0)} ms, peak RSS ${m.peakRssMiB.toFixed(0)} MiB (${m.baseRssMiB.toFixed(0)} MiB before), event-loop delay max ${m.loopDelayMaxMs.toFixed(1)} ms, p99 ${m.loopDelayP99Ms.toFixed(1)} ms`
  );
}
