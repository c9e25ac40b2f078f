/**
 * One ipamd's /metrics text reduced to the figures the publisher needs (catalog.ts): per published
 * metric the node's value (all label series summed: per-API, per-error or per-CIDR series add up
 * to the node's figure, as upstream's metricsAdd does), and the ipamd process's start time.
 */
import parse, { type ParsedFamily, type ParsedSample } from 'parse-prometheus-text-format';
import { MetricsHelperError } from './errors.ts';
import { PROCESS_START_METRIC, type PublishedMetric, PUBLISHED_METRICS } from './catalog.ts';

/** The cumulative or current figures of one scrape, keyed by readingKeys(). */
export interface Reading {
  readonly values: Readonly<Record<string, number>>;
  /** process_start_time_seconds, when ipamd exports it: a new value means its counters restarted at 0. */
  readonly processStart: number | undefined;
  /** When the scrape was sent (ms): a reading older than one already seen for its pod is dropped, an old one no longer counts. */
  readonly at: number;
}

/** The keys a metric contributes to a Reading: latency metrics carry their running sum and count. */
export function readingKeys(metric: PublishedMetric): readonly string[] {
  return metric.aggregation === 'latency' ? [`${metric.name}.sum`, `${metric.name}.count`] : [metric.name];
}

/** The cumulative keys (counters, and the latency metrics' sum and count): what baselines hold. */
export const COUNTER_KEYS: readonly string[] = PUBLISHED_METRICS.filter((x) => x.aggregation !== 'gauge').flatMap(readingKeys);

const num = (s: string | undefined): number => {
  if (s === undefined) return NaN;
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
};


function sumOf(samples: readonly ParsedSample[], pick: (s: ParsedSample) => string | undefined): number {
  let total = 0;
  for (const s of samples) {
    const v = num(pick(s));
    if (Number.isFinite(v)) total += v;
  }
  return total;
}

/** The sum of every sample line of `name` (any labels); the value is the token after the series. */
export function sumSamples(text: string, name: string): number {
  let total = 0;
  let at = text.indexOf(name);
  while (at !== -1) {
    const lineStart = at === 0 || text[at - 1] === '\n';
    const next = text[at + name.length];
    if (lineStart && (next === '{' || next === ' ')) {
      const end = text.indexOf('\n', at);
      const line = text.slice(at, end === -1 ? undefined : end);
      const afterLabels = next === '{' ? line.slice(line.lastIndexOf('}') + 1) : line.slice(name.length);
      const v = num(afterLabels.trim().split(/\s+/)[0]);
      if (Number.isFinite(v)) total += v;
    }
    at = text.indexOf(name, at + name.length);
  }
  return total;
}

/** The families the publisher reads: the catalog's sources and the process start time. */
const WANTED = new Set([...PUBLISHED_METRICS.map((m) => m.source), PROCESS_START_METRIC]);

/**
 * Only the lines of wanted families (their samples and # HELP / # TYPE), so the parser, which
 * costs about 0.4 ms per 100 lines, sees a fraction of ipamd's exposition (test/bench/publisher-bench.ts).
 */
export function wantedLines(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let name: string;
    if (line.startsWith('# ')) name = line.split(' ', 3)[2] ?? '';
    else {
      const end = line.search(/[{ ]/);
      name = end === -1 ? line : line.slice(0, end);
      // A summary's or histogram's own series: counted through its family.
      name = name.replace(/_(sum|count|bucket)$/, '');
    }
    if (WANTED.has(name as never) || WANTED.has(line.slice(0, line.search(/[{ ]/)) as never)) out.push(line);
  }
  // The parser drops a last line without its newline.
  return `${out.join('\n')}\n`;
}

/** Parses an exposition scraped at `at` (ms); a metric ipamd does not export is absent from values (not 0). */
export function readExposition(full: string, at: number): Reading {
  const text = wantedLines(full);
  let families: ParsedFamily[];
  try {
    families = parse(text);
  } catch (e) {
    throw new MetricsHelperError('METRICS_HELPER_BAD_EXPOSITION', `cannot parse the metrics exposition: ${(e as Error).message}`, { cause: e });
  }
  const byName = new Map(families.map((f) => [f.name, f]));
  const values: Record<string, number> = {};
  for (const metric of PUBLISHED_METRICS) {
    const family = byName.get(metric.source);
    if (!family) continue;
    if (metric.aggregation === 'latency') {
      // Histogram or summary: the running sum and count (quantiles are per-process windows and
      // cannot be combined over a period; the mean over the period can). Read from the text:
      // parse-prometheus-text-format 1.1.1 drops the _sum and _count of labelled series.
      values[`${metric.name}.sum`] = sumSamples(text, `${metric.source}_sum`);
      values[`${metric.name}.count`] = sumSamples(text, `${metric.source}_count`);
    } else {
      values[metric.name] = sumOf(family.metrics, (s) => s.value);
    }
  }
  const start = num(byName.get(PROCESS_START_METRIC)?.metrics[0]?.value);
  return { values, processStart: Number.isFinite(start) ? start : undefined, at };
}
