import { AwsError } from '../errors.ts';
import { checkLength, invalid, invalidValue, type Json, member, optArray, optString, reqString } from './input.ts';
import type { MetricStore } from './metric-store.ts';
import { checkNamespace } from './put-metric-data.ts';

/**
 * ListMetrics (API_ListMetrics, API_DimensionFilter): metrics matching the namespace, the metric
 * name and every dimension filter (a name, with or without a value), 500 per page in a stable order,
 * `RecentlyActive: PT3H` keeping those that received data in the past three hours. A new metric is
 * listed at once (CloudWatch may take up to fifteen minutes), so tests need not wait.
 */

export const PAGE_SIZE = 500;
const MAX_FILTERS = 10;
const RECENT_MS = 3 * 3600 * 1000;

function readFilters(list: unknown[] | undefined): { name: string; value: string | undefined }[] {
  if (!list) return [];
  if (list.length > MAX_FILTERS) throw invalid(`The collection Dimensions must not have a size greater than ${MAX_FILTERS}.`);
  return list.map((raw, i) => {
    const p = `Dimensions.member.${i + 1}`;
    const f = member(raw, p);
    const name = reqString(f, 'Name', `${p}.Name`);
    checkLength(name, `${p}.Name`, 1, 255);
    const value = optString(f, 'Value', `${p}.Value`);
    if (value !== undefined) checkLength(value, `${p}.Value`, 1, 1024);
    return { name, value };
  });
}

function readToken(token: string | undefined): number {
  if (token === undefined) return 0;
  const m = /^lm-(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) throw new AwsError('InvalidNextToken', 'The NextToken is not valid.', 400);
  return Number(m[1]);
}

export function listMetrics(store: MetricStore, input: Json, now: number): Json {
  const namespace = optString(input, 'Namespace', 'Namespace');
  if (namespace !== undefined) checkNamespace(namespace);
  const metricName = optString(input, 'MetricName', 'MetricName');
  if (metricName !== undefined) checkLength(metricName, 'MetricName', 1, 255);
  const filters = readFilters(optArray(input, 'Dimensions', 'Dimensions'));
  const recently = optString(input, 'RecentlyActive', 'RecentlyActive');
  if (recently !== undefined && recently !== 'PT3H') throw invalidValue(recently, 'RecentlyActive', 'The only valid value is PT3H.');
  const offset = readToken(optString(input, 'NextToken', 'NextToken'));

  const matching = store.all().filter(
    (s) =>
      (namespace === undefined || s.metric.namespace === namespace) &&
      (metricName === undefined || s.metric.metricName === metricName) &&
      (recently === undefined || s.lastPutAt >= now - RECENT_MS) &&
      filters.every((f) => s.metric.dimensions.some((d) => d.Name === f.name && (f.value === undefined || d.Value === f.value))),
  );
  const page = matching.slice(offset, offset + PAGE_SIZE);
  const next = offset + PAGE_SIZE;
  return {
    Metrics: page.map((s) => ({
      Namespace: s.metric.namespace,
      MetricName: s.metric.metricName,
      Dimensions: s.metric.dimensions.map((d) => ({ Name: d.Name, Value: d.Value })),
    })),
    ...(next < matching.length ? { NextToken: Buffer.from(`lm-${next}`).toString('base64url') } : {}),
  };
}
