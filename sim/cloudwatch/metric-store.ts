/**
 * The emulated CloudWatch's metrics: one series per (namespace, metric name, dimension set), as
 * CloudWatch identifies a metric (API_Dimension: "dimensions are part of the unique identifier for a
 * metric"; their order is not). Each series keeps its datapoints at the resolution they were stored
 * with: a standard-resolution datum counts in the minute it falls in, a high-resolution one (1 s)
 * in its second. Retention (3 h for 1 s data, 15 days for 1 min data...) is not emulated.
 */

export interface Dimension {
  readonly Name: string;
  readonly Value: string;
}

export interface MetricIdentity {
  readonly namespace: string;
  readonly metricName: string;
  /** Sorted by name. */
  readonly dimensions: readonly Dimension[];
}

/** A datum as stored: the statistics of one PutMetricData datum (a value, values with counts, or a statistic set). */
export interface Datapoint {
  /** Epoch ms, truncated to the storage resolution. */
  readonly at: number;
  readonly unit: string;
  readonly sampleCount: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  /** The values and their counts, for percentiles; absent for a statistic set. */
  readonly samples?: readonly (readonly [value: number, count: number])[];
}

export interface Series {
  readonly metric: MetricIdentity;
  readonly storageResolution: 1 | 60;
  readonly points: Datapoint[];
  /** Emulator time (ms) the series last received a datum: ListMetrics' RecentlyActive. */
  lastPutAt: number;
}

export const sortDimensions = (dims: readonly Dimension[]): Dimension[] =>
  [...dims].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));

export const metricKey = (namespace: string, metricName: string, dimensions: readonly Dimension[]) =>
  JSON.stringify([namespace, metricName, sortDimensions(dimensions).map((d) => [d.Name, d.Value])]);

export class MetricStore {
  readonly #series = new Map<string, Series>();
  #datapoints = 0;

  /** Stores one datum; the first datum of a metric fixes its storage resolution, as on CloudWatch. */
  put(metric: MetricIdentity, storageResolution: 1 | 60, point: Omit<Datapoint, 'at'> & { at: number }, now: number): void {
    const key = metricKey(metric.namespace, metric.metricName, metric.dimensions);
    let s = this.#series.get(key);
    if (!s) {
      s = { metric: { ...metric, dimensions: sortDimensions(metric.dimensions) }, storageResolution, points: [], lastPutAt: now };
      this.#series.set(key, s);
    }
    const step = storageResolution * 1000;
    s.points.push({ ...point, at: Math.floor(point.at / step) * step });
    s.lastPutAt = now;
    this.#datapoints += 1;
  }

  get(namespace: string, metricName: string, dimensions: readonly Dimension[]): Series | undefined {
    return this.#series.get(metricKey(namespace, metricName, dimensions));
  }

  /** Every series, in (namespace, metric name, dimensions) order, so paging is stable. */
  all(): Series[] {
    return [...this.#series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
  }

  /** Datums stored since the start (or the last reset). */
  get datapointCount(): number {
    return this.#datapoints;
  }

  get metricCount(): number {
    return this.#series.size;
  }

  reset(): void {
    this.#series.clear();
    this.#datapoints = 0;
  }
}
