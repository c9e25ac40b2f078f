/**
 * A small typed client of the allocation API, for the status CLI (issue 3 item 8) and tests. The
 * CNI plugin does not use it: it shares only contract/ with ipamd (DESIGN.md §1) and calls the
 * plugin socket with its own client.
 */
import { credentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { POOL_EMPTY_MARKER } from '../../contract/api.ts';
import {
  addReplyFromWire,
  addRequestToWire,
  allocationFromWire,
  delReplyFromWire,
  delRequestToWire,
  statusFromWire,
} from './convert.ts';
import { ApiError, IpamCallError, type IpamCallErrorCode } from './errors.ts';
import type { AddRequest, AddResult, AllocationStatus, DelRequest, DelResult, StatusReport } from './handlers.ts';
import { HealthClientCtor, IpamClientCtor } from './proto.ts';
import { statusName } from './status-map.ts';
import { API_VERSION } from './version.ts';
import type * as wire from '../../contract/messages.ts';

export interface IpamClientOptions {
  /** Sent as client_version; default API_VERSION. Tests override it to exercise the check. */
  readonly clientVersion?: string;
  /** Per-call deadline. Default 10000 ms. */
  readonly deadlineMs?: number;
}

export interface IpamClient {
  addNetwork(req: AddRequest): Promise<AddResult>;
  delNetwork(req: DelRequest): Promise<DelResult>;
  getStatus(): Promise<StatusReport>;
  listAllocations(): Promise<AllocationStatus[]>;
  getPoolStatus(): Promise<wire.GetPoolStatusReply>;
  /** grpc.health.v1 Check; service "" is the whole server. */
  checkHealth(service?: string): Promise<wire.ServingStatus>;
  close(): void;
}

type UnaryMethod = (req: unknown, opts: { deadline: Date }, cb: (err: ServiceError | null, reply: unknown) => void) => void;

function toCallError(method: string, err: ServiceError): IpamCallError {
  const details = err.details ?? err.message;
  const code = statusName(err.code);
  const poolEmpty = code === 'RESOURCE_EXHAUSTED' && details.startsWith(POOL_EMPTY_MARKER);
  return new IpamCallError(poolEmpty ? 'IPAMD_CALL_POOL_EMPTY' : (`IPAMD_CALL_${code}` as IpamCallErrorCode), err.code, details, method);
}

/** Connects lazily: the first call dials the socket; UNAVAILABLE if nothing listens there. */
export function connectIpam(socketPath: string, opts: IpamClientOptions = {}): IpamClient {
  if (!socketPath.startsWith('/')) {
    throw new ApiError('IPAMD_API_INVALID_OPTION', `socketPath ${JSON.stringify(socketPath)} must be absolute`);
  }
  const clientVersion = opts.clientVersion ?? API_VERSION;
  const deadlineMs = opts.deadlineMs ?? 10_000;
  const target = `unix:${socketPath}`;
  const ipam = new (IpamClientCtor())(target, credentials.createInsecure()) as Client & Record<string, UnaryMethod>;
  const health = new (HealthClientCtor())(target, credentials.createInsecure(), {
    channelOverride: ipam.getChannel(),
  }) as Client & Record<string, UnaryMethod>;

  const call = <Rep>(client: Record<string, UnaryMethod>, method: string, req: unknown): Promise<Rep> =>
    new Promise((resolve, reject) => {
      client[method]!.call(client, req, { deadline: new Date(Date.now() + deadlineMs) }, (err, reply) =>
        err ? reject(toCallError(method, err)) : resolve(reply as Rep),
      );
    });

  return {
    addNetwork: async (req) =>
      addReplyFromWire(await call<wire.AddNetworkReply>(ipam, 'AddNetwork', addRequestToWire(req, clientVersion))),
    delNetwork: async (req) =>
      delReplyFromWire(await call<wire.DelNetworkReply>(ipam, 'DelNetwork', delRequestToWire(req, clientVersion))),
    getStatus: async () =>
      statusFromWire(await call<wire.GetStatusReply>(ipam, 'GetStatus', { client_version: clientVersion })),
    listAllocations: async () =>
      (await call<wire.ListAllocationsReply>(ipam, 'ListAllocations', { client_version: clientVersion })).allocations.map(
        allocationFromWire,
      ),
    getPoolStatus: () => call<wire.GetPoolStatusReply>(ipam, 'GetPoolStatus', { client_version: clientVersion }),
    checkHealth: async (service = '') =>
      (await call<{ status: wire.ServingStatus }>(health, 'Check', { service })).status,
    close(): void {
      health.close();
      ipam.close();
    },
  };
}
