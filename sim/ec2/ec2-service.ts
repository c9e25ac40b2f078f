import { setTimeout as sleep } from 'node:timers/promises';
import { AwsError, isAwsError } from '../errors.ts';
import type { FaultInjector } from '../faults/fault-injector.ts';
import type { RequestLog } from '../faults/request-log.ts';
import type { SimHandler, SimRequest, SimResponse } from '../http/types.ts';
import { requestId as newRequestId } from '../model/ids.ts';
import type { VpcState } from '../model/vpc-state.ts';
import { bucketName, type TokenBuckets } from '../throttle/token-buckets.ts';
import { ec2AuthorizationRequests } from '../iam/ec2-authz.ts';
import { evaluate, type PolicyDocument } from '../iam/evaluate.ts';
import { ACTIONS } from './actions/index.ts';
import { QueryParams } from './query-params.ts';
import { renderError, renderResult } from './xml.ts';

export interface Caller {
  accessKeyId: string;
  accountId: string;
  /** The principal's ARN (user or assumed-role session), named in UnauthorizedOperation. */
  arn?: string;
  /** Identity policies to enforce; undefined = unrestricted (the emulator's admin default). */
  policies?: readonly PolicyDocument[];
}

/** Checks a request's SigV4 signature; throws AwsError (AuthFailure...) when it is not valid. */
export type Authenticator = (req: SimRequest) => Promise<Caller>;

export interface Ec2ServiceDeps {
  state: VpcState;
  authenticate: Authenticator;
  throttle: TokenBuckets;
  faults: FaultInjector;
  log: RequestLog;
}

const XML = { 'content-type': 'text/xml;charset=UTF-8' };

/**
 * Evaluates every resource the action touches against the caller's identity policies and refuses
 * the first one not allowed, with EC2's UnauthorizedOperation (403).
 */
function authorize(state: VpcState, caller: Caller, action: string, q: QueryParams): void {
  const scope = { partition: 'aws', region: state.region, accountId: state.accountId };
  for (const req of ec2AuthorizationRequests(state, scope, action, q)) {
    if (evaluate(caller.policies ?? [], req).decision === 'allow') continue;
    throw new AwsError(
      'UnauthorizedOperation',
      `You are not authorized to perform this operation. User: ${caller.arn ?? caller.accessKeyId} is not authorized to perform: ${req.action} on resource: ${req.resource}`,
      403,
    );
  }
}

/**
 * The EC2 Query endpoint. Order per request, as on EC2: authenticate, recognise the action,
 * throttle, authorise (callers with identity policies), DryRun, then act. Injected faults sit
 * around the action (pause, latency, errors before or after it takes effect) and every request
 * lands in the log with what was done to it.
 */
export function createEc2Service(deps: Ec2ServiceDeps): SimHandler {
  return async (req: SimRequest): Promise<SimResponse> => {
    const started = Date.now();
    const t0 = performance.now();
    const requestId = newRequestId();
    const form = req.method === 'GET' ? req.query : req.form;
    const action = form.get('Action') ?? '';
    const labels: string[] = [];
    let caller: Caller | undefined;
    let status = 200;
    let errorCode: string | undefined;
    let body: string;
    try {
      if (!action) throw new AwsError('MissingAction', 'The request must contain the parameter Action');
      caller = await deps.authenticate(req);
      const handler = ACTIONS.get(action);
      if (!handler)
        throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`);
      if (!form.get('Version'))
        throw new AwsError('MissingParameter', 'The request must contain the parameter Version');
      if (await deps.faults.waitIfPaused(action)) labels.push('paused');
      const latency = deps.faults.latency(action);
      if (latency) {
        labels.push(latency.label);
        await sleep(latency.ms);
      }
      // A request released by stop() (paused, or sleeping) must not touch the closed state.
      if (deps.state.closed) throw new AwsError('ServiceUnavailable', 'The emulator is shutting down.', 503);
      if (!deps.throttle.take(caller.accountId, bucketName(action, form))) {
        labels.push('throttled');
        throw new AwsError('RequestLimitExceeded', 'Request limit exceeded.', 503);
      }
      const before = deps.faults.take(action, 'before');
      if (before) {
        labels.push(before.label);
        throw before.error;
      }
      const q = new QueryParams(form);
      // As on EC2, authorisation precedes DryRun: DryRunOperation means "you would be allowed".
      if (caller.policies) authorize(deps.state, caller, action, q);
      if (q.bool('DryRun')) {
        throw new AwsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
      }
      const result = handler({ state: deps.state, q });
      const after = deps.faults.take(action, 'after');
      if (after) {
        labels.push(after.label);
        throw after.error;
      }
      body = renderResult(action, requestId, result);
    } catch (err) {
      if (!isAwsError(err)) throw err;
      status = err.status;
      errorCode = err.code;
      body = renderError(err, requestId);
    }
    const params: Record<string, string> = {};
    for (const [k, v] of form) if (k !== 'Action' && k !== 'Version') params[k] = v;
    deps.log.record({
      at: started,
      service: 'ec2',
      action: action || '(none)',
      status,
      ...(errorCode ? { errorCode } : {}),
      faults: labels,
      durationMs: performance.now() - t0,
      ...(caller ? { caller: caller.accessKeyId } : {}),
      params,
      requestId,
    });
    // The SDK corrects its clock skew from `Date`, so it must come from the emulator's clock.
    const date = new Date(deps.state.clock.now()).toUTCString();
    return { status, headers: { ...XML, 'x-amzn-requestid': requestId, date }, body };
  };
}
