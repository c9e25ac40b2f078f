import { checkLength, combination, invalid, invalidValue, type Json, missing, optArray, optInteger, optString, optTimestamp, reqString } from './input.ts';
import type { MetricStore } from './metric-store.ts';
import { checkNamespace, readDimensions, UNITS } from './put-metric-data.ts';
import { roundStartTime } from './start-time.ts';
import { checkPeriod, computeStatistic, parseStatistic, periods } from './statistics.ts';

/**
 * GetMetricStatistics (API_GetMetricStatistics), the call `aws cloudwatch get-metric-statistics`
 * makes: one metric with exactly its dimensions, Statistics (up to 5 of SampleCount, Average, Sum,
 * Minimum, Maximum) or ExtendedStatistics (up to 10 percentiles), never both, and at most 1,440
 * datapoints per call, counted from StartTime rounded down as CloudWatch rounds it. Datapoints come
 * oldest first (CloudWatch does not promise an order).
 */

const BASIC = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
const MAX_DATAPOINTS = 1440;

function readStatistics(input: Json): { basic: string[]; extended: string[] } {
  const basic = (optArray(input, 'Statistics', 'Statistics') ?? []).map((s, i) => {
    if (typeof s !== 'string' || !(BASIC as readonly string[]).includes(s)) {
      throw invalid(`The parameter Statistics.member.${i + 1} must be a value in the set [ ${BASIC.join(', ')} ].`);
    }
    return s;
  });
  const extended = (optArray(input, 'ExtendedStatistics', 'ExtendedStatistics') ?? []).map((s, i) => {
    const param = `ExtendedStatistics.member.${i + 1}`;
    if (typeof s !== 'string' || parseStatistic(s, param).kind !== 'percentile') {
      throw invalidValue(s, param, 'Extended statistics are percentiles such as p99 or p99.9.');
    }
    return s;
  });
  if (basic.length === 0 && extended.length === 0) {
    throw missing('Statistics or ExtendedStatistics');
  }
  if (basic.length > 0 && extended.length > 0) {
    throw combination('The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.');
  }
  if (basic.length > 5) throw invalid('The collection Statistics must not have a size greater than 5.');
  if (extended.length > 10) throw invalid('The collection ExtendedStatistics must not have a size greater than 10.');
  return { basic, extended };
}

/** `now`: when the request arrived (epoch ms), which StartTime's rounding depends on. */
export function getMetricStatistics(store: MetricStore, input: Json, now: number): Json {
  const namespace = reqString(input, 'Namespace', 'Namespace');
  checkNamespace(namespace);
  const metricName = reqString(input, 'MetricName', 'MetricName');
  checkLength(metricName, 'MetricName', 1, 255);
  const dimensions = readDimensions(optArray(input, 'Dimensions', 'Dimensions'), 'Dimensions');
  const start = optTimestamp(input, 'StartTime', 'StartTime');
  if (start === undefined) throw missing('StartTime');
  const end = optTimestamp(input, 'EndTime', 'EndTime');
  if (end === undefined) throw missing('EndTime');
  if (start >= end) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
  const period = optInteger(input, 'Period', 'Period');
  if (period === undefined) throw missing('Period');
  checkPeriod(period, 'Period');
  const { basic, extended } = readStatistics(input);
  const unit = optString(input, 'Unit', 'Unit');
  if (unit !== undefined && !UNITS.has(unit)) throw invalidValue(unit, 'Unit');
  const requested = Math.ceil((end - roundStartTime(start, period, now)) / (period * 1000));
  if (requested > MAX_DATAPOINTS) {
    throw combination(
      `You have requested up to ${requested.toLocaleString('en-US')} datapoints, which exceeds the limit of ${MAX_DATAPOINTS.toLocaleString('en-US')}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    );
  }

  const series = store.get(namespace, metricName, dimensions);
  const datapoints = periods(series?.points ?? [], { start, end, now }, period, unit).map(([at, points]) => {
    const stat = (name: string) => computeStatistic(parseStatistic(name, 'Statistics'), points);
    const ext = Object.fromEntries(extended.map((p) => [p, stat(p)]).filter(([, v]) => v !== undefined));
    return {
      Timestamp: new Date(at),
      ...Object.fromEntries(basic.map((b) => [b, stat(b)])),
      Unit: unit ?? points[0]!.unit,
      ...(extended.length > 0 ? { ExtendedStatistics: ext } : {}),
    };
  });
  return { Label: metricName, Datapoints: datapoints };
}
