import type { Emulator } from '../emulator.ts';
import type { ErrorFaultSpec, LatencySpec } from '../faults/fault-injector.ts';
import type { SimHandler, SimResponse } from '../http/types.ts';
import { AwsError, SimError } from '../errors.ts';
import type { PolicyDocument } from '../iam/evaluate.ts';
import { summarizeMetrics } from '../cloudwatch/metrics-summary.ts';
import { summarizeState } from './state-summary.ts';

const json = (status: number, body: unknown): SimResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: `${JSON.stringify(body, null, 2)}\n`,
});

/** A malformed admin request: answered 400 with the message. */
class BadRequest extends SimError {
  declare readonly code: 'SIM_ADMIN_BAD_REQUEST';
  constructor(message: string) {
    super('SIM_ADMIN_BAD_REQUEST', message);
    this.name = 'BadRequest';
  }
}

function bodyOf(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new BadRequest(`body is not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new BadRequest('body must be a JSON object');
  return v as Record<string, unknown>;
}

function str(b: Record<string, unknown>, key: string): string {
  const v = b[key];
  if (typeof v !== 'string' || v === '') throw new BadRequest(`'${key}' must be a non-empty string`);
  return v;
}

/**
 * Faults, throttling and topology changes from outside the process (curl, a soak script):
 *   GET  /state, /log?action=&since=, /health
 *   GET  /cloudwatch?namespace=: the metrics PutMetricData stored; POST /cloudwatch/reset forgets them
 *   POST /faults/error {action, code, status?, message?, count? | rate?, when?}  -> {id}
 *   DELETE /faults/error/<id>
 *   POST /faults/latency {action, fixedMs | uniformMs | normalMs | lognormalMs}
 *   POST /faults/pause {action}, /faults/resume {action}, /faults/clear
 *   POST /throttle {enabled?, buckets?: {Name: {capacity?, refillPerSecond?}}}
 *   POST /imds/lag {lagMs, instanceId?}
 *   POST /instances {type, subnet, securityGroups?, name?}, POST /instances/<id>/terminate
 *   POST /irsa/token {namespace, serviceAccount, ttlSeconds?} -> {token}
 *   POST /iam/policies {principalArn, policies: [IAM policy documents] | null}: the identity
 *     policies enforced on EC2 calls by that user or role (null lifts enforcement); GET lists them
 */
export function createAdminService(sim: Emulator): SimHandler {
  return async (req) => {
    try {
      const b = req.method === 'POST' ? bodyOf(req.body) : {};
      const route = `${req.method} ${req.path}`;
      switch (route) {
        case 'GET /health':
          return json(200, { ok: true });
        case 'GET /state':
          return json(200, summarizeState(sim.state));
        case 'GET /cloudwatch':
          return json(200, summarizeMetrics(sim.cloudwatch, req.query.get('namespace') ?? undefined));
        case 'POST /cloudwatch/reset':
          sim.cloudwatch.reset();
          return json(200, { ok: true });
        case 'GET /log': {
          const since = req.query.get('since');
          return json(
            200,
            sim.log.entries({
              action: req.query.get('action') ?? undefined,
              sinceSeq: since === null ? undefined : Number(since),
            }),
          );
        }
        case 'POST /faults/error': {
          const { action: _a, ...spec } = b;
          const id = sim.faults.addError(str(b, 'action'), spec as unknown as ErrorFaultSpec);
          return json(200, { id });
        }
        case 'POST /faults/latency': {
          const { action: _a, ...spec } = b;
          sim.faults.setLatency(str(b, 'action'), spec as unknown as LatencySpec);
          return json(200, { ok: true });
        }
        case 'POST /faults/pause':
          sim.faults.pause(str(b, 'action'));
          return json(200, { ok: true });
        case 'POST /faults/resume':
          sim.faults.resume(str(b, 'action'));
          return json(200, { ok: true });
        case 'POST /faults/clear':
          sim.faults.clear();
          return json(200, { ok: true });
        case 'POST /throttle':
          sim.throttle.configure(b as { enabled?: boolean });
          return json(200, { enabled: sim.throttle.enabled });
        case 'POST /imds/lag': {
          const lag = b.lagMs;
          if (typeof lag !== 'number' || lag < 0)
            throw new BadRequest("'lagMs' must be a non-negative number");
          if (b.instanceId !== undefined) sim.metadata.setInstanceLag(str(b, 'instanceId'), lag);
          else sim.metadata.lagMs = lag;
          return json(200, { ok: true });
        }
        case 'POST /instances': {
          const inst = await sim.launchInstance({
            type: str(b, 'type'),
            subnet: str(b, 'subnet'),
            ...(Array.isArray(b.securityGroups) ? { securityGroups: b.securityGroups as string[] } : {}),
            ...(typeof b.name === 'string' ? { name: b.name } : {}),
          });
          return json(200, { instanceId: inst.id, imds: sim.imdsEndpoint(inst.id) });
        }
        case 'GET /iam/policies':
          return json(200, Object.fromEntries(sim.iam.entries()));
        case 'POST /iam/policies': {
          const arn = str(b, 'principalArn');
          if (b.policies !== null && !Array.isArray(b.policies)) {
            throw new BadRequest("'policies' must be an array of IAM policy documents, or null");
          }
          try {
            sim.iam.setPolicies(arn, (b.policies ?? undefined) as PolicyDocument[] | undefined);
          } catch (e) {
            throw new BadRequest(`policies: ${(e as Error).message}`);
          }
          return json(200, { ok: true });
        }
        case 'POST /irsa/token': {
          const token = sim.oidc.issueServiceAccountToken({
            namespace: str(b, 'namespace'),
            serviceAccount: str(b, 'serviceAccount'),
            ...(typeof b.ttlSeconds === 'number' ? { ttlSeconds: b.ttlSeconds } : {}),
          });
          return json(200, { token });
        }
      }
      const del = /^DELETE \/faults\/error\/(\d+)$/.exec(route);
      if (del) {
        sim.faults.removeError(Number(del[1]));
        return json(200, { ok: true });
      }
      const term = /^POST \/instances\/(i-[0-9a-f]+)\/terminate$/.exec(route);
      if (term) {
        await sim.terminateInstance(term[1]!);
        return json(200, { ok: true });
      }
      return json(404, { error: `no route ${route}` });
    } catch (e) {
      // Option errors from the fault injector, AwsErrors from the model and the emulator's own
      // SimErrors (a bad request, a data plane refusal) are the caller's fault; anything else a bug.
      const coded = e instanceof AwsError || e instanceof SimError ? e : undefined;
      const message = e instanceof Error ? e.message : String(e);
      return json(coded || message.startsWith('fault:') || message.startsWith('latency:') ? 400 : 500, {
        error: message,
        ...(coded ? { code: coded.code } : {}),
      });
    }
  };
}
