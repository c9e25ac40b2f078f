import { createHash } from 'node:crypto';
import { AwsError } from '../errors.ts';
import {
  checkLength,
  invalid,
  invalidValue,
  type Json,
  member,
  missing,
  optArray,
  optInteger,
  optObject,
  optString,
  optTimestamp,
  reqString,
} from './input.ts';
import type { MetricStore } from './metric-store.ts';
import { checkNamespace, readDimensions, UNITS } from './put-metric-data.ts';
import { checkPeriod, computeStatistic, parseStatistic, periods, type Statistic, type TimeRange } from './statistics.ts';

/**
 * GetMetricData (API_GetMetricData, API_MetricDataQuery, API_MetricStat): MetricStat queries
 * evaluated over periods that start at StartTime rounded down as CloudWatch rounds it (to the
 * minute, the 5 minutes or the hour by its age, to the division of the minute for 1-30 s periods:
 * start-time.ts), EndTime exclusive, periods without data left out. Metric math (Expression) is not evaluated: such a query is refused with a
 * ValidationError that says so. Pages hold at most MaxDatapoints datapoints across all queries;
 * a query with datapoints left for a later page reports StatusCode PartialData.
 */

export const MAX_QUERIES = 500;
const DEFAULT_MAX_DATAPOINTS = 100_800;
const ID_PATTERN = /^[a-z][a-zA-Z0-9_]*$/;

interface Query {
  id: string;
  label: string;
  returnData: boolean;
  namespace: string;
  metricName: string;
  dimensions: { Name: string; Value: string }[];
  period: number;
  stat: Statistic;
  unit: string | undefined;
}

function readQuery(raw: unknown, p: string, ids: Set<string>): Query {
  const q = member(raw, p);
  const id = reqString(q, 'Id', `${p}.Id`);
  checkLength(id, `${p}.Id`, 1, 255);
  if (!ID_PATTERN.test(id)) {
    throw invalidValue(id, `${p}.Id`, 'An Id starts with a lowercase letter and has only letters, digits and underscores.');
  }
  if (ids.has(id)) throw invalidValue(id, `${p}.Id`, 'Ids must be unique within a request.');
  ids.add(id);
  const stat = optObject(q, 'MetricStat', `${p}.MetricStat`);
  const expression = optString(q, 'Expression', `${p}.Expression`);
  if (expression !== undefined) {
    if (stat) throw new AwsError('ValidationError', `The parameters ${p}.MetricStat and ${p}.Expression are mutually exclusive and you have specified both.`, 400);
    throw new AwsError(
      'ValidationError',
      `${p}.Expression: the emulated CloudWatch does not evaluate metric math or Metrics Insights queries; use MetricStat queries.`,
      400,
    );
  }
  if (!stat) throw missing(`${p}.MetricStat`);
  const metric = optObject(stat, 'Metric', `${p}.MetricStat.Metric`);
  if (!metric) throw missing(`${p}.MetricStat.Metric`);
  const namespace = reqString(metric, 'Namespace', `${p}.MetricStat.Metric.Namespace`);
  checkNamespace(namespace, `${p}.MetricStat.Metric.Namespace`);
  const metricName = reqString(metric, 'MetricName', `${p}.MetricStat.Metric.MetricName`);
  checkLength(metricName, `${p}.MetricStat.Metric.MetricName`, 1, 255);
  const dimensions = readDimensions(optArray(metric, 'Dimensions', `${p}.MetricStat.Metric.Dimensions`), `${p}.MetricStat.Metric.Dimensions`);
  const period = optInteger(stat, 'Period', `${p}.MetricStat.Period`);
  if (period === undefined) throw missing(`${p}.MetricStat.Period`);
  checkPeriod(period, `${p}.MetricStat.Period`);
  const statName = reqString(stat, 'Stat', `${p}.MetricStat.Stat`);
  const unit = optString(stat, 'Unit', `${p}.MetricStat.Unit`);
  if (unit !== undefined && !UNITS.has(unit)) throw invalidValue(unit, `${p}.MetricStat.Unit`);
  const returnData = q.ReturnData === undefined ? true : q.ReturnData === true;
  return {
    id,
    label: optString(q, 'Label', `${p}.Label`) ?? metricName,
    returnData,
    namespace,
    metricName,
    dimensions,
    period,
    stat: parseStatistic(statName, `${p}.MetricStat.Stat`),
    unit,
  };
}

/** The datapoints of one query, oldest first: [period start ms, value]. */
function evaluateQuery(store: MetricStore, q: Query, range: TimeRange): [number, number][] {
  const series = store.get(q.namespace, q.metricName, q.dimensions);
  if (!series) return [];
  const out: [number, number][] = [];
  for (const [at, points] of periods(series.points, range, q.period, q.unit)) {
    const v = computeStatistic(q.stat, points);
    if (v !== undefined) out.push([at, v]);
  }
  return out;
}

/** A NextToken names the offset in the flattened datapoints and the request it belongs to. */
const fingerprint = (input: Json) => {
  const { NextToken: _t, ...rest } = input;
  return createHash('sha256').update(JSON.stringify(rest)).digest('base64url').slice(0, 16);
};

function readToken(token: string | undefined, input: Json): number {
  if (token === undefined) return 0;
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; f?: unknown };
    if (typeof t.o === 'number' && Number.isInteger(t.o) && t.o >= 0 && t.f === fingerprint(input)) return t.o;
  } catch {
    // fall through
  }
  throw new AwsError('InvalidNextToken', 'The NextToken is not valid, or was issued for another request.', 400);
}

/** `now`: when the request arrived (epoch ms), which StartTime's rounding depends on. */
export function getMetricData(store: MetricStore, input: Json, now: number): Json {
  const rawQueries = optArray(input, 'MetricDataQueries', 'MetricDataQueries');
  if (!rawQueries || rawQueries.length === 0) throw missing('MetricDataQueries');
  if (rawQueries.length > MAX_QUERIES) {
    throw invalid(`The collection MetricDataQueries must not have a size greater than ${MAX_QUERIES}.`);
  }
  const start = optTimestamp(input, 'StartTime', 'StartTime');
  if (start === undefined) throw missing('StartTime');
  const end = optTimestamp(input, 'EndTime', 'EndTime');
  if (end === undefined) throw missing('EndTime');
  if (start >= end) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
  const scanBy = optString(input, 'ScanBy', 'ScanBy') ?? 'TimestampDescending';
  if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending') {
    throw invalidValue(scanBy, 'ScanBy', 'Valid values are TimestampDescending and TimestampAscending.');
  }
  const maxDatapoints = optInteger(input, 'MaxDatapoints', 'MaxDatapoints') ?? DEFAULT_MAX_DATAPOINTS;
  if (maxDatapoints < 1) throw invalidValue(maxDatapoints, 'MaxDatapoints', 'MaxDatapoints must be at least 1.');
  const ids = new Set<string>();
  const queries = rawQueries.map((q, i) => readQuery(q, `MetricDataQueries.member.${i + 1}`, ids)).filter((q) => q.returnData);
  const offset = readToken(optString(input, 'NextToken', 'NextToken'), input);

  let position = 0;
  let remaining = false;
  const results = queries.map((q) => {
    const points = evaluateQuery(store, q, { start, end, now });
    if (scanBy === 'TimestampDescending') points.reverse();
    const from = Math.min(points.length, Math.max(0, offset - position));
    const to = Math.min(points.length, Math.max(0, offset + maxDatapoints - position));
    position += points.length;
    const partial = to < points.length;
    remaining ||= partial;
    const page = points.slice(from, to);
    return {
      Id: q.id,
      Label: q.label,
      Timestamps: page.map(([at]) => new Date(at)),
      Values: page.map(([, v]) => v),
      StatusCode: partial ? 'PartialData' : 'Complete',
      Messages: [],
    };
  });
  const next = offset + maxDatapoints;
  return {
    MetricDataResults: results,
    Messages: [],
    ...(remaining ? { NextToken: Buffer.from(JSON.stringify({ o: next, f: fingerprint(input) })).toString('base64url') } : {}),
  };
}
