import { setTimeout as sleep } from 'node:timers/promises';
import type { Caller } from '../ec2/ec2-service.ts';
import { AwsError, isAwsError } from '../errors.ts';
import type { FaultInjector } from '../faults/fault-injector.ts';
import type { RequestLog } from '../faults/request-log.ts';
import type { SimHandler, SimRequest, SimResponse } from '../http/types.ts';
import { cloudwatchAuthorizationRequest } from '../iam/cloudwatch-authz.ts';
import { evaluate } from '../iam/evaluate.ts';
import type { Clock } from '../model/clock.ts';
import { requestId as newRequestId } from '../model/ids.ts';
import type { BucketSpec, TokenBuckets } from '../throttle/token-buckets.ts';
import { getMetricData } from './get-metric-data.ts';
import { getMetricStatistics } from './get-metric-statistics.ts';
import type { Json } from './input.ts';
import { listMetrics } from './list-metrics.ts';
import type { MetricStore } from './metric-store.ts';
import { decodeRequest, errorResponse, type Protocol, protocolOf, resultResponse } from './protocol.ts';
import { putMetricData } from './put-metric-data.ts';

/**
 * The emulated CloudWatch endpoint (service `monitoring`). Order per request, as on AWS: decode,
 * authenticate (SigV4 with credentials the emulator issued), recognise the action, injected
 * pause/latency, throttle, injected errors, authorise through the IAM evaluator, validate and act.
 * Every request lands in the request log (service `cloudwatch`).
 */

/**
 * Default TPS quotas per account and Region (CloudWatch service quotas; "PutMetricData can manage
 * 500 transactions per second", GetMetricData 50 TPS, GetMetricStatistics 400 TPS, ListMetrics 25
 * TPS), as token buckets of one second's worth. Named by action, so `throttling: { PutMetricData: {...} }` resizes them.
 */
export const CLOUDWATCH_BUCKETS: Record<string, BucketSpec> = {
  PutMetricData: { capacity: 500, refillPerSecond: 500 },
  GetMetricData: { capacity: 50, refillPerSecond: 50 },
  GetMetricStatistics: { capacity: 400, refillPerSecond: 400 },
  ListMetrics: { capacity: 25, refillPerSecond: 25 },
};

type Action = (store: MetricStore, input: Json, now: number) => Json;

const ACTIONS = new Map<string, Action>([
  [
    'PutMetricData',
    (store, input, now) => {
      putMetricData(store, input, now);
      return {};
    },
  ],
  ['GetMetricData', (store, input, now) => getMetricData(store, input, now)],
  ['GetMetricStatistics', (store, input, now) => getMetricStatistics(store, input, now)],
  ['ListMetrics', (store, input, now) => listMetrics(store, input, now)],
]);

export interface CloudWatchServiceDeps {
  store: MetricStore;
  /** Verifies SigV4 for service `monitoring`; throws AwsError with CloudWatch's code when it fails. */
  authenticate: (req: SimRequest) => Promise<Caller>;
  throttle: TokenBuckets;
  faults: FaultInjector;
  log: RequestLog;
  clock: Clock;
  region: string;
  /** True once the emulator is stopping: requests released from a pause change nothing. */
  closed: () => boolean;
}

function authorize(region: string, caller: Caller, action: string, input: Json): void {
  const req = cloudwatchAuthorizationRequest(region, action, input);
  const decision = evaluate(caller.policies ?? [], req);
  if (decision.decision === 'allow') return;
  // CloudWatch's AccessDenied wording (the IAM "no identity-based policy allows" / "explicit deny" forms).
  const why =
    decision.decision === 'explicit-deny'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${req.action} action`;
  throw new AwsError('AccessDenied', `User: ${caller.arn ?? caller.accessKeyId} is not authorized to perform: ${req.action} ${why}`, 403);
}

/** What the log shows of a request: its scalar parameters and the sizes of its lists. */
function logParams(input: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(input)) {
    if (Array.isArray(v)) out[`${k}.length`] = String(v.length);
    else if (typeof v !== 'object' || v === null) out[k] = String(v);
  }
  return out;
}

/**
 * The largest request CloudWatch takes, counted as sent (after gzip): "Each PutMetricData request is
 * limited to 1 MB in size for HTTP POST requests" (API_PutMetricData). 1 MB is read as 1,048,576
 * bytes: the documentation names no byte count, and where AWS's answer quotes one its KB are
 * binary (the earlier documented "40 KB" POST limit was refused as "Request size 45305 exceeded
 * 40960 bytes"). The emulator applies it to every CloudWatch action.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** CloudWatch's answer to a request over the limit: 413 RequestEntityTooLarge, "Request size N exceeded L bytes". */
export function tooLargeResponse(clock: Clock) {
  return (limit: number, size: number): SimResponse =>
    errorResponse(new AwsError('RequestEntityTooLarge', `Request size ${size} exceeded ${limit} bytes`, 413), newRequestId(), new Date(clock.now()).toUTCString());
}

export function createCloudWatchService(deps: CloudWatchServiceDeps): SimHandler {
  return async (req: SimRequest): Promise<SimResponse> => {
    const started = Date.now();
    const t0 = performance.now();
    const requestId = newRequestId();
    const labels: string[] = [];
    let action = '';
    let input: Json = {};
    let encoding: string | undefined;
    let caller: Caller | undefined;
    let status = 200;
    let errorCode: string | undefined;
    let response: SimResponse;
    let protocol: Protocol = 'json';
    // The SDK corrects its clock skew from `Date`, so it comes from the emulator's clock.
    const date = () => new Date(deps.clock.now()).toUTCString();
    try {
      protocol = protocolOf(req);
      encoding = String(req.headers['content-encoding'] ?? '') || undefined;
      const decoded = decodeRequest(req);
      action = decoded.action;
      input = decoded.input;
      caller = await deps.authenticate(req);
      const handler = ACTIONS.get(action);
      if (!handler) {
        throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service (the emulator serves ${[...ACTIONS.keys()].join(', ')}).`, 400);
      }
      if (await deps.faults.waitIfPaused(action)) labels.push('paused');
      const latency = deps.faults.latency(action);
      if (latency) {
        labels.push(latency.label);
        await sleep(latency.ms);
      }
      if (deps.closed()) throw new AwsError('ServiceUnavailable', 'The emulator is shutting down.', 503);
      if (!deps.throttle.take(caller.accountId, action)) {
        labels.push('throttled');
        // CloudWatch's throttling answer (Query: `<Code>Throttling</Code><Message>Rate exceeded</Message>`, 400).
        throw new AwsError('Throttling', 'Rate exceeded', 400);
      }
      const before = deps.faults.take(action, 'before');
      if (before) {
        labels.push(before.label);
        throw before.error;
      }
      if (caller.policies) authorize(deps.region, caller, action, input);
      const output = handler(deps.store, input, deps.clock.now());
      const after = deps.faults.take(action, 'after');
      if (after) {
        labels.push(after.label);
        throw after.error;
      }
      response = resultResponse(protocol, action, output, requestId, date());
    } catch (err) {
      if (!isAwsError(err)) throw err;
      status = err.status;
      errorCode = err.code;
      response = errorResponse(err, requestId, date(), protocol);
    }
    deps.log.record({
      at: started,
      service: 'cloudwatch',
      action: action || '(none)',
      status,
      ...(errorCode ? { errorCode } : {}),
      faults: labels,
      durationMs: performance.now() - t0,
      ...(caller ? { caller: caller.accessKeyId } : {}),
      params: logParams(input),
      ...(encoding ? { contentEncoding: encoding } : {}),
      requestId,
    });
    return response;
  };
}
