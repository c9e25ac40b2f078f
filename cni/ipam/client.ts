/**
 * The allocation API as the CNI plugin calls it (DESIGN.md §4): one function per RPC, each one
 * short-lived connection to ipamd's unix socket (h2-unary.ts), protobuf by messages.ts. Nothing
 * here imports ipamd: the plugin shares only the .proto with it (DESIGN.md §1), so the service
 * names, the API version and the POOL_EMPTY marker are restated here from ipamd.proto's contract.
 *
 * Every failure is an IpamError with a stable string `code` (DESIGN.md §8), never classified by
 * message text except for the one marker the .proto defines: RESOURCE_EXHAUSTED whose message
 * starts with "POOL_EMPTY:" is 'POOL_EMPTY' (the plugin answers CNI error 11, try again later).
 */
import { Code, unaryCall } from './h2-unary.ts';
import {
  AddNetworkReply,
  AddNetworkRequest,
  type Allocation,
  type Codec,
  DelNetworkReply,
  DelNetworkRequest,
  GetPoolStatusReply,
  HealthCheckRequest,
  HealthCheckResponse,
  ListAllocationsReply,
  SERVING_STATUS,
  VersionedRequest,
} from './messages.ts';

export type { AddNetworkReply, Allocation, DelNetworkReply, GetPoolStatusReply } from './messages.ts';

/** The allocation API version this client speaks, sent as client_version (ipamd/api/version.ts). */
export const API_VERSION = '1.1.0';
const IPAM = '/vpcwire.ipamd.v1.Ipam/';
const HEALTH = '/grpc.health.v1.Health/';
/** ipamd.proto: RESOURCE_EXHAUSTED with this prefix means the warm pool is momentarily empty. */
export const POOL_EMPTY_MARKER = 'POOL_EMPTY:';

export const DEFAULT_DEADLINE_MS = 10_000;
/** A full node's ListAllocations is a few hundred KiB; anything near this is not ipamd talking. */
export const DEFAULT_MAX_REPLY_BYTES = 16 * 1024 * 1024;

/** gRPC status names by number (doc/statuscodes.md). */
const STATUS_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

/**
 * 'UNAVAILABLE' (ipamd not reachable, starting or stopping), 'DEADLINE_EXCEEDED' (no answer in
 * time), 'POOL_EMPTY' (retry later), ipamd's own refusals ('INVALID_ARGUMENT' naming the field,
 * 'FAILED_PRECONDITION' naming both versions, 'INTERNAL'), any other gRPC status name, or
 * 'INVALID_OPTION' when the call was not even attempted because an option is wrong.
 */
export type IpamErrorCode = Exclude<(typeof STATUS_NAMES)[number], 'OK'> | 'POOL_EMPTY' | 'INVALID_OPTION';

export class IpamError extends Error {
  readonly code: IpamErrorCode;
  /** The numeric gRPC status (INVALID_ARGUMENT, 3, for 'INVALID_OPTION'). */
  readonly grpcCode: number;
  /** ipamd's grpc-message, or what the client saw (connection refused, deadline...). */
  readonly details: string;
  readonly method: string;
  readonly socketPath: string;
  constructor(code: IpamErrorCode, grpcCode: number, details: string, method: string, socketPath: string) {
    super(`${method} on ${socketPath}: ${code}: ${details}`);
    this.name = 'IpamError';
    this.code = code;
    this.grpcCode = grpcCode;
    this.details = details;
    this.method = method;
    this.socketPath = socketPath;
  }
}

export interface CallOptions {
  /** The whole call, connecting included. Default 10000 ms. */
  readonly deadlineMs?: number;
  /** Sent as client_version; default API_VERSION. Tests change it to exercise ipamd's check. */
  readonly clientVersion?: string;
  readonly maxReplyBytes?: number;
}

/** Classifies a status: the name, except POOL_EMPTY's marker on RESOURCE_EXHAUSTED. */
export function codeOf(grpcCode: number, details: string): IpamErrorCode {
  if (grpcCode === Code.RESOURCE_EXHAUSTED && details.startsWith(POOL_EMPTY_MARKER)) return 'POOL_EMPTY';
  const name = STATUS_NAMES[grpcCode];
  return name === undefined || name === 'OK' ? 'UNKNOWN' : name;
}

async function call<Req, Rep>(
  socketPath: string,
  path: string,
  codecs: readonly [Codec<Req>, Codec<Rep>],
  req: Req,
  opts: CallOptions,
): Promise<Rep> {
  const method = path.slice(path.lastIndexOf('/') + 1);
  const error = (code: IpamErrorCode, grpcCode: number, details: string) => new IpamError(code, grpcCode, details, method, socketPath);
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const maxReplyBytes = opts.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
  // setTimeout fires at once above 2^31-1 ms: refuse rather than time out immediately.
  if (!(deadlineMs > 0 && deadlineMs <= 2 ** 31 - 1)) {
    throw error('INVALID_OPTION', 3, `deadlineMs must be a number of milliseconds in (0, 2147483647], got ${deadlineMs}`);
  }
  if (!(maxReplyBytes > 0)) throw error('INVALID_OPTION', 3, `maxReplyBytes must be positive, got ${maxReplyBytes}`);
  if (socketPath === '') throw error('INVALID_OPTION', 3, 'the socket path is empty');

  const result = await unaryCall({ socketPath, path, message: codecs[0].encode(req), deadlineMs, maxReplyBytes });
  if (!result.ok) throw error(codeOf(result.grpcCode, result.details), result.grpcCode, result.details);
  try {
    return codecs[1].decode(result.message);
  } catch (e) {
    throw error('INTERNAL', Code.INTERNAL, `cannot decode the reply: ${(e as Error).message}`);
  }
}

/** AddNetwork's fields; the K8S_POD_* ones are absent when the runtime is not Kubernetes. */
export interface AddNetworkParams {
  readonly networkName: string;
  readonly containerId: string;
  readonly ifName: string;
  /** CNI_NETNS, an absolute path. */
  readonly netns: string;
  readonly k8sPodNamespace?: string;
  readonly k8sPodName?: string;
  readonly k8sPodUid?: string;
  readonly k8sPodInfraContainerId?: string;
}

export interface DelNetworkParams {
  readonly networkName: string;
  readonly containerId: string;
  readonly ifName: string;
  /** Why, for ipamd's log: "cni-del", "cni-gc", "release-note". */
  readonly reason?: string;
  /** K8S_POD_NAMESPACE / K8S_POD_NAME when given: ipamd names the pod's veth with them. */
  readonly podNamespace?: string;
  readonly podName?: string;
}

/** Assigns (or, for a repeated ADD of the same triple, returns with existing = true) the address. */
export const addNetwork = (socketPath: string, p: AddNetworkParams, opts: CallOptions = {}): Promise<AddNetworkReply> =>
  call(socketPath, `${IPAM}AddNetwork`, [AddNetworkRequest, AddNetworkReply], {
    clientVersion: opts.clientVersion ?? API_VERSION,
    networkName: p.networkName,
    containerId: p.containerId,
    ifName: p.ifName,
    netns: p.netns,
    k8sPodNamespace: p.k8sPodNamespace ?? '',
    k8sPodName: p.k8sPodName ?? '',
    k8sPodUid: p.k8sPodUid ?? '',
    k8sPodInfraContainerId: p.k8sPodInfraContainerId ?? '',
  }, opts);

/** Releases the triple's address; released = false (and no error) when it held none. */
export const delNetwork = (socketPath: string, p: DelNetworkParams, opts: CallOptions = {}): Promise<DelNetworkReply> =>
  call(socketPath, `${IPAM}DelNetwork`, [DelNetworkRequest, DelNetworkReply], {
    clientVersion: opts.clientVersion ?? API_VERSION,
    networkName: p.networkName,
    containerId: p.containerId,
    ifName: p.ifName,
    reason: p.reason ?? '',
    k8sPodNamespace: p.podNamespace ?? '',
    k8sPodName: p.podName ?? '',
  }, opts);

/** Every allocation ipamd holds (for CNI GC and CHECK). */
export const listAllocations = async (socketPath: string, opts: CallOptions = {}): Promise<Allocation[]> =>
  (await call(socketPath, `${IPAM}ListAllocations`, [VersionedRequest, ListAllocationsReply], {
    clientVersion: opts.clientVersion ?? API_VERSION,
  }, opts)).allocations;

/** Whether an ADD now would get an address (CNI STATUS). Answers even while ipamd is not serving. */
export const getPoolStatus = (socketPath: string, opts: CallOptions = {}): Promise<GetPoolStatusReply> =>
  call(socketPath, `${IPAM}GetPoolStatus`, [VersionedRequest, GetPoolStatusReply], {
    clientVersion: opts.clientVersion ?? API_VERSION,
  }, opts);

export type ServingStatus = (typeof SERVING_STATUS)[number];

/** grpc.health.v1 Check; service '' (the default) is the whole server. */
export const checkHealth = async (socketPath: string, opts: CallOptions & { readonly service?: string } = {}): Promise<ServingStatus> => {
  const reply = await call(socketPath, `${HEALTH}Check`, [HealthCheckRequest, HealthCheckResponse], { service: opts.service ?? '' }, opts);
  return SERVING_STATUS[reply.status] ?? 'UNKNOWN';
};
