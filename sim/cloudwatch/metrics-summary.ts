import type { MetricStore } from './metric-store.ts';

/**
 * What the admin endpoint's `GET /cloudwatch` shows: per metric, its dimensions, how many datums it
 * holds and the newest one's statistics, so a person watching a soak or a publisher can see what
 * arrived without writing a GetMetricData query.
 */
export function summarizeMetrics(store: MetricStore, namespace?: string) {
  const series = store.all().filter((s) => namespace === undefined || s.metric.namespace === namespace);
  return {
    metrics: store.metricCount,
    datapoints: store.datapointCount,
    series: series.map((s) => {
      const newest = s.points.reduce<(typeof s.points)[number] | undefined>((a, d) => (!a || d.at >= a.at ? d : a), undefined);
      return {
        namespace: s.metric.namespace,
        metricName: s.metric.metricName,
        dimensions: Object.fromEntries(s.metric.dimensions.map((d) => [d.Name, d.Value])),
        storageResolution: s.storageResolution,
        datapoints: s.points.length,
        lastPutAt: new Date(s.lastPutAt).toISOString(),
        ...(newest
          ? { newest: { timestamp: new Date(newest.at).toISOString(), unit: newest.unit, sampleCount: newest.sampleCount, sum: newest.sum, min: newest.min, max: newest.max } }
          : {}),
      };
    }),
  };
}
