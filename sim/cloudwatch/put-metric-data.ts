import {
  checkLength,
  combination,
  invalid,
  invalidValue,
  type Json,
  member,
  missing,
  optArray,
  optInteger,
  optNumber,
  optObject,
  optString,
  optTimestamp,
  PRINTABLE_ASCII,
  reqString,
  toNumber,
} from './input.ts';
import type { Datapoint, Dimension, MetricIdentity, MetricStore } from './metric-store.ts';

/**
 * PutMetricData with CloudWatch's validation (API_PutMetricData, API_MetricDatum, API_Dimension,
 * API_StatisticSet, and the service quotas page). The whole request is checked before anything is
 * stored, so a refused request stores nothing, as on CloudWatch.
 */

/** "Each request is also limited to no more than 1000 different metrics" (the sum of MetricData and EntityMetricData's). */
export const MAX_METRIC_DATA = 1000;
/** "up to 30 dimensions per metric". */
export const MAX_DIMENSIONS = 30;
/** "Using the Values and Counts method enables you to publish up to 150 values per metric". */
export const MAX_VALUES = 150;
/** "Values must be in the range of -2^360 to 2^360" (and, in the older wording, no smaller in magnitude than 2^-360). */
const MAX_MAGNITUDE = 2 ** 360;
const MIN_MAGNITUDE = 2 ** -360;
/** Timestamps: "as old as two weeks" and "up to two hours in the future" (API_MetricDatum). */
const MAX_AGE_MS = 14 * 24 * 3600 * 1000;
const MAX_AHEAD_MS = 2 * 3600 * 1000;

/** StandardUnit (API_MetricDatum). */
export const UNITS = new Set([
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes',
  'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second',
  'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second',
  'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
]);

interface Validated {
  metric: MetricIdentity;
  storageResolution: 1 | 60;
  point: Datapoint;
}

/** A namespace: 1-255 ASCII characters without control characters, not starting with `:` nor `AWS/`. */
export function checkNamespace(ns: string, param = 'Namespace'): void {
  checkLength(ns, param, 1, 255);
  if (!PRINTABLE_ASCII.test(ns) || ns.trim() === '' || ns.startsWith(':')) {
    throw invalidValue(ns, param, 'A namespace is ASCII without control characters, has a non-whitespace character and does not start with a colon.');
  }
}

/** A dimension name or value: ASCII without control characters, with a non-whitespace character. */
function checkDimensionPart(v: string, param: string, max: number, isName: boolean): void {
  checkLength(v, param, 1, max);
  if (!PRINTABLE_ASCII.test(v) || v.trim() === '' || (isName && v.startsWith(':'))) {
    throw invalidValue(v, param, `Dimension ${isName ? 'names' : 'values'} are ASCII without control characters and have a non-whitespace character${isName ? ', and names do not start with a colon' : ''}.`);
  }
}

/** Dimensions of a datum or a query: names 1-255, values 1-1024 (API_Dimension), unique names. */
export function readDimensions(list: unknown[] | undefined, param: string): Dimension[] {
  if (!list) return [];
  if (list.length > MAX_DIMENSIONS) throw invalid(`The collection ${param} must not have a size greater than ${MAX_DIMENSIONS}.`);
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const p = `${param}.member.${i + 1}`;
    const d = member(raw, p);
    const Name = reqString(d, 'Name', `${p}.Name`);
    const Value = reqString(d, 'Value', `${p}.Value`);
    checkDimensionPart(Name, `${p}.Name`, 255, true);
    checkDimensionPart(Value, `${p}.Value`, 1024, false);
    if (seen.has(Name)) throw invalid(`The collection ${param} must not have two dimensions named '${Name}'.`);
    seen.add(Name);
    return { Name, Value };
  });
}

function checkValue(v: number, param: string): number {
  if (!Number.isFinite(v)) throw invalidValue(v, param, 'NaN, Infinity and -Infinity are not supported.');
  const mag = Math.abs(v);
  if (mag > MAX_MAGNITUDE || (mag !== 0 && mag < MIN_MAGNITUDE)) {
    throw invalidValue(v, param, 'Values must be in the range of -2^360 to 2^360 and not smaller in magnitude than 2^-360.');
  }
  return v;
}

function readDatum(raw: unknown, p: string, now: number): Validated {
  const d = member(raw, p);
  const metricName = reqString(d, 'MetricName', `${p}.MetricName`);
  checkLength(metricName, `${p}.MetricName`, 1, 255);
  if (metricName.trim() === '') throw invalidValue(metricName, `${p}.MetricName`, 'A metric name has a non-whitespace character.');
  const dimensions = readDimensions(optArray(d, 'Dimensions', `${p}.Dimensions`), `${p}.Dimensions`);

  const value = optNumber(d, 'Value', `${p}.Value`);
  const values = optArray(d, 'Values', `${p}.Values`);
  const counts = optArray(d, 'Counts', `${p}.Counts`);
  const stats = optObject(d, 'StatisticValues', `${p}.StatisticValues`);
  const given = [value !== undefined && 'Value', values !== undefined && 'Values', stats !== undefined && 'StatisticValues'].filter(
    (x): x is string => typeof x === 'string',
  );
  if (given.length === 0) {
    throw combination(`At least one of the parameters ${p}.Value, ${p}.StatisticValues or ${p}.Values must be specified.`);
  }
  if (given.length > 1) {
    throw combination(`The parameters ${p}.${given[0]} and ${p}.${given[1]} are mutually exclusive and you have specified both.`);
  }
  if (counts !== undefined && values === undefined) throw combination(`The parameter ${p}.Counts requires ${p}.Values.`);

  let point: Omit<Datapoint, 'at' | 'unit'>;
  if (value !== undefined) {
    const v = checkValue(value, `${p}.Value`);
    point = { sampleCount: 1, sum: v, min: v, max: v, samples: [[v, 1]] };
  } else if (values !== undefined) {
    if (values.length === 0) throw invalid(`The collection ${p}.Values must not be empty.`);
    if (values.length > MAX_VALUES) throw invalid(`The collection ${p}.Values must not have a size greater than ${MAX_VALUES}.`);
    if (counts !== undefined && counts.length !== values.length) {
      throw combination(`The parameters ${p}.Values and ${p}.Counts must be of the same size (${values.length} values, ${counts.length} counts).`);
    }
    const samples = values.map((_, i): [number, number] => {
      const v = checkValue(toNumber(values[i], `${p}.Values.member.${i + 1}`), `${p}.Values.member.${i + 1}`);
      const c = counts === undefined ? 1 : toNumber(counts[i], `${p}.Counts.member.${i + 1}`);
      if (!Number.isFinite(c) || c < 0) throw invalidValue(c, `${p}.Counts.member.${i + 1}`, 'A count is a non-negative number.');
      return [v, c];
    });
    const counted = samples.filter(([, c]) => c > 0);
    const sampleCount = counted.reduce((n, [, c]) => n + c, 0);
    if (sampleCount === 0) throw invalid(`The parameter ${p}.Counts must count at least one value.`);
    point = {
      sampleCount,
      sum: counted.reduce((n, [v, c]) => n + v * c, 0),
      min: Math.min(...counted.map(([v]) => v)),
      max: Math.max(...counted.map(([v]) => v)),
      samples: counted,
    };
  } else {
    const s = stats!;
    const read = (k: string) => {
      const v = optNumber(s, k, `${p}.StatisticValues.${k}`);
      if (v === undefined) throw missing(`${p}.StatisticValues.${k}`);
      return checkValue(v, `${p}.StatisticValues.${k}`);
    };
    const [sampleCount, sum, min, max] = [read('SampleCount'), read('Sum'), read('Minimum'), read('Maximum')];
    if (sampleCount <= 0) throw invalidValue(sampleCount, `${p}.StatisticValues.SampleCount`, 'SampleCount must be greater than 0.');
    if (min > max) throw combination(`The parameter ${p}.StatisticValues.Minimum (${min}) must not be greater than ${p}.StatisticValues.Maximum (${max}).`);
    point = { sampleCount, sum, min, max };
  }

  const unit = optString(d, 'Unit', `${p}.Unit`) ?? 'None';
  if (!UNITS.has(unit)) throw invalidValue(unit, `${p}.Unit`, `Valid units: ${[...UNITS].join(', ')}.`);
  const at = optTimestamp(d, 'Timestamp', `${p}.Timestamp`) ?? now;
  if (at < now - MAX_AGE_MS) throw invalid(`The parameter ${p}.Timestamp must specify a time no more than two weeks in the past.`);
  if (at > now + MAX_AHEAD_MS) throw invalid(`The parameter ${p}.Timestamp must specify a time no more than two hours in the future.`);
  const res = optInteger(d, 'StorageResolution', `${p}.StorageResolution`) ?? 60;
  if (res !== 1 && res !== 60) throw invalidValue(res, `${p}.StorageResolution`, 'Valid values are 1 (high resolution) and 60 (standard).');
  return { metric: { namespace: '', metricName, dimensions }, storageResolution: res, point: { ...point, unit, at } };
}

/** Validates the whole request, then stores every datum. Returns how many were stored. */
export function putMetricData(store: MetricStore, input: Json, now: number): number {
  const namespace = reqString(input, 'Namespace', 'Namespace');
  checkNamespace(namespace);
  if (namespace.startsWith('AWS/')) {
    throw invalidValue(namespace, 'Namespace', 'Namespaces beginning with AWS/ are reserved for AWS services.');
  }
  const plain = optArray(input, 'MetricData', 'MetricData') ?? [];
  const entities = optArray(input, 'EntityMetricData', 'EntityMetricData') ?? [];
  // EntityMetricData: the metrics count towards the same 1000; their Entity is accepted and not kept.
  const raw: [unknown, string][] = plain.map((d, i) => [d, `MetricData.member.${i + 1}`]);
  entities.forEach((e, i) => {
    const p = `EntityMetricData.member.${i + 1}`;
    const data = optArray(member(e, p), 'MetricData', `${p}.MetricData`) ?? [];
    data.forEach((d, j) => raw.push([d, `${p}.MetricData.member.${j + 1}`]));
  });
  if (raw.length === 0) throw missing('MetricData');
  if (raw.length > MAX_METRIC_DATA) {
    throw invalid(`The collection MetricData must not have a size greater than ${MAX_METRIC_DATA} (got ${raw.length}).`);
  }
  const datums = raw.map(([d, p]) => readDatum(d, p, now));
  for (const v of datums) store.put({ ...v.metric, namespace }, v.storageResolution, v.point, now);
  return datums.length;
}
