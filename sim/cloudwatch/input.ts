import { AwsError } from '../errors.ts';

/**
 * Reading a CloudWatch request's JSON input with CloudWatch's own errors. Parameters are named the
 * way CloudWatch's messages name them, in Query form (`MetricData.member.2.Value`), because the
 * service answers the JSON protocol in awsQuery-compatible mode with the same messages.
 */

export const invalid = (message: string) => new AwsError('InvalidParameterValue', message, 400);
export const missing = (param: string) => new AwsError('MissingParameter', `The parameter ${param} is required.`, 400);
export const combination = (message: string) => new AwsError('InvalidParameterCombination', message, 400);

export type Json = Record<string, unknown>;

export function optString(o: Json, key: string, param: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`The parameter ${param} must be a string.`);
  return v;
}

export function reqString(o: Json, key: string, param: string): string {
  const v = optString(o, key, param);
  if (v === undefined) throw missing(param);
  return v;
}

/**
 * A double as the SDK's JSON codec writes it: a number, or the strings `NaN`, `Infinity`,
 * `-Infinity` for the values JSON has no literal for.
 */
export function optNumber(o: Json, key: string, param: string): number | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : toNumber(v, param);
}

/** One double (a list member, e.g. `Values.member.3`), read as optNumber reads a field. */
export function toNumber(v: unknown, param: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw invalid(`The parameter ${param} must be a number.`);
}

export function optInteger(o: Json, key: string, param: string): number | undefined {
  const v = optNumber(o, key, param);
  if (v !== undefined && !Number.isInteger(v)) throw invalid(`The value ${v} for parameter ${param} is not an integer.`);
  return v;
}

export function optArray(o: Json, key: string, param: string): unknown[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw invalid(`The parameter ${param} must be a list.`);
  return v;
}

export function optObject(o: Json, key: string, param: string): Json | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(`The parameter ${param} must be a structure.`);
  return v as Json;
}

export function member(v: unknown, param: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`The parameter ${param} must be a structure.`);
  return v as Json;
}

/**
 * A timestamp: epoch seconds (the SDK's JSON codec, fractions allowed) or an ISO 8601 string (the
 * Query form). Returns epoch milliseconds.
 */
export function optTimestamp(o: Json, key: string, param: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms)) throw invalid(`The value ${String(v)} for parameter ${param} is not a valid timestamp.`);
  return ms;
}

/** Length in characters between min and max, CloudWatch's "Length Constraints". */
export function checkLength(value: string, param: string, min: number, max: number): void {
  if (value.length < min || value.length > max) {
    throw invalid(`The value for parameter ${param} must be between ${min} and ${max} characters long, got ${value.length}.`);
  }
}

/** ASCII without control characters (namespaces, dimension names and values: API_Dimension, API_PutMetricData). */
export const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** `Value` is not valid for `param`, in CloudWatch's wording. */
export const invalidValue = (value: unknown, param: string, why = '') =>
  invalid(`The value ${String(value)} for parameter ${param} is invalid.${why ? ` ${why}` : ''}`);
