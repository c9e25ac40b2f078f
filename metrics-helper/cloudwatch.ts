/**
 * Sending a period's datums with PutMetricData, within its limits (1,000 datums and 1 MB of request
 * per call, 30 dimensions per datum), with the SDK's own retries (standard mode: throttling and
 * 5xx) and, when those are spent, a bounded backoff of our own. The SDK is loaded when the first
 * period is sent, so `vpcwire metrics-helper --help` and a bad setting cost nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CloudWatchClient, MetricDatum } from '@aws-sdk/client-cloudwatch';
import { CLUSTER_DIMENSION, NODE_DIMENSION } from './catalog.ts';
import type { Datum } from './ledger.ts';
import type { Settings } from './settings.ts';

/** PutMetricData's documented limits. */
export const MAX_DATUMS_PER_CALL = 1000;
export const MAX_REQUEST_BYTES = 1_000_000;
/** What a datum is estimated to add to a request beyond its JSON (field names, framing). */
const DATUM_OVERHEAD_BYTES = 64;
/** The request's own fields (Namespace, framing), estimated generously. */
const REQUEST_OVERHEAD_BYTES = 1024;

export function toMetricDatum(d: Datum, clusterId: string): MetricDatum {
  const dimensions = [{ Name: CLUSTER_DIMENSION, Value: clusterId }];
  if (d.node !== undefined) dimensions.push({ Name: NODE_DIMENSION, Value: d.node });
  return { MetricName: d.metric.name, Dimensions: dimensions, Unit: d.metric.unit, Value: d.value };
}

/**
 * Splits datums into calls under both limits, order kept, and never one metric's datums (its
 * cluster-wide datum and its per-node ones, consecutive) across two calls while they fit in one
 * (up to 999 nodes with per-node series). Why: CloudWatch accepts or refuses a call whole, so a
 * period refused in part is refused metric by metric, and the publisher moves exactly the accepted
 * metrics' baselines (publisher.ts). Laying calls out this way is simpler than baselines per
 * series; it costs a few more calls per period with per-node series. A metric with more datums
 * than a call holds is split, its cluster-wide datum in the first of its calls.
 */
export function batches(datums: readonly MetricDatum[], limits = { datums: MAX_DATUMS_PER_CALL, bytes: MAX_REQUEST_BYTES }): MetricDatum[][] {
  const out: MetricDatum[][] = [];
  let cur: MetricDatum[] = [];
  let bytes = REQUEST_OVERHEAD_BYTES;
  const flush = () => {
    if (cur.length) out.push(cur);
    cur = [];
    bytes = REQUEST_OVERHEAD_BYTES;
  };
  for (let i = 0; i < datums.length; ) {
    let end = i + 1;
    while (end < datums.length && datums[end]!.MetricName === datums[i]!.MetricName) end++;
    const run = datums.slice(i, end).map((d) => ({ d, size: Buffer.byteLength(JSON.stringify(d)) + DATUM_OVERHEAD_BYTES }));
    const runBytes = run.reduce((a, x) => a + x.size, 0);
    const fitsAlone = run.length <= limits.datums && REQUEST_OVERHEAD_BYTES + runBytes <= limits.bytes;
    if (fitsAlone && (cur.length + run.length > limits.datums || bytes + runBytes > limits.bytes)) flush();
    for (const { d, size } of run) {
      if (cur.length > 0 && (cur.length >= limits.datums || bytes + size > limits.bytes)) flush();
      cur.push(d);
      bytes += size;
    }
    i = end;
  }
  flush();
  return out;
}

export interface Sender {
  /**
   * Sends every batch in order; resolves when all were accepted, rejects otherwise with a
   * SendError saying how many datums (a prefix) were accepted before the refusal.
   */
  send(datums: readonly MetricDatum[], o?: { signal?: AbortSignal }): Promise<{ calls: number; retries: number }>;
}

/** A refused call after `accepted` datums of the period went through. */
export class SendError extends Error {
  readonly accepted: number;
  constructor(cause: unknown, accepted: number) {
    const c = cause as { name?: string; message?: string };
    super(`${c?.name ?? 'Error'}: ${c?.message ?? String(cause)}`, { cause });
    this.name = 'SendError';
    this.accepted = accepted;
  }
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 1000, maxMs: 8000, sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined) };

/**
 * PutMetricData's HTTP timeouts: a connection within 10 s, the whole answer within 20 s. Each SDK
 * attempt is bounded by them; a send as a whole by them times the attempts (3 of the SDK's, up to
 * 4 of ours) plus the backoff, a few minutes at worst, while later periods are skipped (publisher.ts).
 */
export const CONNECTION_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 20_000;

export interface SenderOptions {
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly retry?: RetryPolicy;
}

/** Errors worth another try after the SDK's own: throttling, 5xx, network. Anything else (403, 400) is not. */
export function retryable(e: unknown): boolean {
  const x = e as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; code?: string } | undefined;
  const status = x?.$metadata?.httpStatusCode;
  if (status !== undefined) return status === 429 || status >= 500 || /throttl|limitexceeded/i.test(x?.name ?? '');
  return true; // no HTTP answer at all: connection refused, reset, timeout
}

export async function cloudWatchSender(s: Settings, o: SenderOptions = {}): Promise<Sender & { client: CloudWatchClient }> {
  const { CloudWatchClient, PutMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  const client = new CloudWatchClient({
    region: s.region,
    ...(s.cloudwatchEndpoint ? { endpoint: s.cloudwatchEndpoint } : {}),
    // The SDK's standard retries (throttling, 5xx, with its token bucket) come first.
    maxAttempts: 3,
    // The SDK makes its NodeHttpHandler (@smithy/node-http-handler) from these options. Without
    // them an endpoint that takes the connection and never answers holds the send, every later
    // period and the shutdown for good: the handler has no request timeout by default, and its
    // requestTimeout only logs a warning unless throwOnRequestTimeout is set.
    requestHandler: {
      connectionTimeout: o.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
      requestTimeout: o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  });
  const put = (batch: MetricDatum[], signal?: AbortSignal) =>
    client.send(new PutMetricDataCommand({ Namespace: s.cloudwatchNamespace, MetricData: batch }), signal ? { abortSignal: signal } : {});
  return { client, ...retryingSender(put, o.retry) };
}

/** The sending loop, separate from the SDK so the retry bounds are tested alone. An aborted `signal` ends it (no more attempts). */
export function retryingSender(put: (batch: MetricDatum[], signal?: AbortSignal) => Promise<unknown>, retry: RetryPolicy = DEFAULT_RETRY): Sender {
  return {
    async send(datums, o = {}) {
      const { signal } = o;
      let calls = 0;
      let retries = 0;
      let accepted = 0;
      for (const batch of batches(datums)) {
        for (let attempt = 1; ; attempt++) {
          if (signal?.aborted) throw new SendError(signal.reason ?? new Error('the send was given up'), accepted);
          try {
            calls++;
            await put(batch, signal);
            accepted += batch.length;
            break;
          } catch (e) {
            if (signal?.aborted || attempt >= retry.attempts || !retryable(e)) throw new SendError(e, accepted);
            retries++;
            // Full jitter (AWS's advice), capped: publishers of many clusters do not retry in step.
            await retry.sleep(Math.random() * Math.min(retry.maxMs, retry.baseMs * 2 ** (attempt - 1)), signal);
          }
        }
      }
      return { calls, retries };
    },
  };
}
