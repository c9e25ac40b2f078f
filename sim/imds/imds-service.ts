import { randomBytes } from 'node:crypto';
import type { RequestLog } from '../faults/request-log.ts';
import type { SimHandler, SimResponse } from '../http/types.ts';
import type { Clock } from '../model/clock.ts';
import { requestId } from '../model/ids.ts';
import type { LaggedMetadata } from './lagged-view.ts';
import { lookup } from './metadata-tree.ts';

const TEXT = { 'content-type': 'text/plain' };
const MAX_TTL = 21600;

/**
 * IMDSv2 for one instance: session tokens from `PUT /latest/api/token`, required on every read
 * (IMDSv1 disabled, as EKS recommends); 401 without a valid token, 404 for what does not exist.
 */
export function createImdsService(opts: {
  instanceId: string;
  metadata: LaggedMetadata;
  clock: Clock;
  log?: RequestLog;
}): SimHandler {
  const tokens = new Map<string, number>();
  return (req) => {
    const started = opts.clock.now();
    const res = answer();
    opts.log?.record({
      at: started,
      service: 'imds',
      action: `${req.method} ${req.path}`,
      status: res.status,
      faults: [],
      durationMs: opts.clock.now() - started,
      params: { instanceId: opts.instanceId },
      requestId: requestId(),
    });
    return res;

    function answer(): SimResponse {
      // IMDS collapses repeated slashes; the SDK's MetadataService sends `//latest/...` for an
      // endpoint without a path.
      const path = req.path.replace(/\/{2,}/g, '/');
      if (path === '/latest/api/token') {
        if (req.method !== 'PUT') return { status: 405, headers: TEXT, body: 'Method Not Allowed' };
        if (req.headers['x-forwarded-for'] !== undefined)
          return { status: 403, headers: TEXT, body: 'Forbidden' };
        const ttlText = String(req.headers['x-aws-ec2-metadata-token-ttl-seconds'] ?? '');
        const ttl = Number(ttlText);
        if (!/^\d+$/.test(ttlText) || ttl < 1 || ttl > MAX_TTL) {
          return { status: 400, headers: TEXT, body: 'Bad Request' };
        }
        const token = randomBytes(32).toString('base64url');
        tokens.set(token, opts.clock.now() + ttl * 1000);
        return {
          status: 200,
          headers: { ...TEXT, 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) },
          body: token,
        };
      }
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return { status: 405, headers: TEXT, body: 'Method Not Allowed' };
      const token = String(req.headers['x-aws-ec2-metadata-token'] ?? '');
      const expiry = tokens.get(token);
      if (expiry === undefined || expiry <= opts.clock.now()) {
        if (expiry !== undefined) tokens.delete(token);
        return { status: 401, headers: TEXT, body: 'Unauthorized' };
      }
      const prefix = '/latest/meta-data';
      if (path !== prefix && !path.startsWith(`${prefix}/`)) {
        return { status: 404, headers: TEXT, body: 'Not Found' };
      }
      const value = lookup(opts.metadata.tree(opts.instanceId), path.slice(prefix.length));
      if (value === undefined) return { status: 404, headers: TEXT, body: 'Not Found' };
      return { status: 200, headers: TEXT, body: value };
    }
  };
}
