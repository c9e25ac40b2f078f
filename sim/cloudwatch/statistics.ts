import { invalidValue } from './input.ts';
import type { Datapoint } from './metric-store.ts';
import { periodFitsStart, roundStartTime } from './start-time.ts';

/**
 * CloudWatch statistics over periods (Statistics definitions, CloudWatch User Guide): the periods a
 * query may ask for, the datapoints falling in each, and SampleCount, Sum, Average, Minimum, Maximum
 * and percentiles pNN / pNN.NN over them. Extended statistics other than percentiles (tm, wm, tc,
 * ts, IQM, PR) are refused by name. GetMetricData and GetMetricStatistics share all of it.
 */

/** "1, 5, 10, 20, 30, 60, or any multiple of 60" for high-resolution metrics (API_MetricStat, API_GetMetricStatistics). */
const SUB_MINUTE_PERIODS = new Set([1, 5, 10, 20, 30]);

export function checkPeriod(period: number, param: string): void {
  if (period < 1 || !(SUB_MINUTE_PERIODS.has(period) || period % 60 === 0)) {
    throw invalidValue(period, param, 'The period is 1, 5, 10, 20 or 30 seconds (high-resolution metrics) or a multiple of 60.');
  }
}

/** A query's time range: StartTime and EndTime as given (epoch ms), and when the request arrived. */
export interface TimeRange {
  readonly start: number;
  readonly end: number;
  readonly now: number;
}

/**
 * The datapoints of a query grouped by period, oldest first, each period keyed by its start. The
 * first period starts at StartTime rounded down as CloudWatch rounds it (start-time.ts), the next
 * ones follow every Period; nothing before that rounded start or at or after EndTime counts. A
 * Period too fine for the age of StartTime gets no periods at all. A datapoint of another unit than
 * `unit` (when given) is left out, as CloudWatch's Unit filter does.
 */
export function periods(points: readonly Datapoint[], range: TimeRange, periodSeconds: number, unit?: string): [number, Datapoint[]][] {
  if (!periodFitsStart(range.start, periodSeconds, range.now)) return [];
  const from = roundStartTime(range.start, periodSeconds, range.now);
  const periodMs = periodSeconds * 1000;
  const buckets = new Map<number, Datapoint[]>();
  for (const d of points) {
    if (d.at < from || d.at >= range.end || (unit !== undefined && d.unit !== unit)) continue;
    const b = from + Math.floor((d.at - from) / periodMs) * periodMs;
    const list = buckets.get(b);
    if (list) list.push(d);
    else buckets.set(b, [d]);
  }
  return [...buckets].sort((a, b) => a[0] - b[0]);
}

export type Statistic =
  | { kind: 'SampleCount' | 'Sum' | 'Average' | 'Minimum' | 'Maximum' }
  | { kind: 'percentile'; p: number };

const BASIC = new Set(['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum']);

export function parseStatistic(stat: string, param: string): Statistic {
  if (BASIC.has(stat)) return { kind: stat as 'Sum' };
  const m = /^p(\d{1,2}(?:\.\d{1,2})?|100)$/.exec(stat);
  if (m) {
    const p = Number(m[1]);
    if (p >= 0 && p <= 100) return { kind: 'percentile', p };
  }
  throw invalidValue(
    stat,
    param,
    'The emulator computes SampleCount, Average, Sum, Minimum, Maximum and percentiles (p0.0 to p100, e.g. p99 or p99.9); other extended statistics are not emulated.',
  );
}

/**
 * One statistic of the datapoints of a period, or undefined when it cannot be computed (a percentile
 * over data published only as statistic sets with more than one sample: CloudWatch has no
 * distribution to rank either).
 */
export function computeStatistic(stat: Statistic, points: readonly Datapoint[]): number | undefined {
  if (points.length === 0) return undefined;
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const d of points) {
    count += d.sampleCount;
    sum += d.sum;
    min = Math.min(min, d.min);
    max = Math.max(max, d.max);
  }
  switch (stat.kind) {
    case 'SampleCount':
      return count;
    case 'Sum':
      return sum;
    case 'Average':
      return sum / count;
    case 'Minimum':
      return min;
    case 'Maximum':
      return max;
    case 'percentile':
      return percentile(stat.p, points);
  }
}

/** Nearest rank over the weighted values: the smallest value with at least p% of the samples at or below it. */
function percentile(p: number, points: readonly Datapoint[]): number | undefined {
  const weighted: [number, number][] = [];
  for (const d of points) {
    if (d.samples) weighted.push(...d.samples.map(([v, c]): [number, number] => [v, c]));
    else if (d.min === d.max) weighted.push([d.min, d.sampleCount]);
    else return undefined;
  }
  weighted.sort((a, b) => a[0] - b[0]);
  const total = weighted.reduce((n, [, c]) => n + c, 0);
  const rank = (p / 100) * total;
  let seen = 0;
  for (const [v, c] of weighted) {
    seen += c;
    if (seen >= rank && seen > 0) return v;
  }
  return weighted.at(-1)?.[0];
}
