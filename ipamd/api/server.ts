/**
 * The allocation API server (issue 3 item 7; DESIGN.md §4): gRPC on a unix socket, the Ipam
 * service of ipamd.proto backed by ipamd's core through IpamHandlers, and the standard health
 * service. Every call: client version checked, fields validated, handler errors mapped by code
 * (status-map.ts). AddNetwork and DelNetwork answer UNAVAILABLE until the daemon calls
 * setServing(true): before its start sequence ends the ledger is not trustworthy (issue 3 item 6).
 */
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import {
  addReplyToWire,
  addRequestFromWire,
  allocationToWire,
  delReplyToWire,
  delRequestFromWire,
  statusToWire,
} from './convert.ts';
import { ApiError } from './errors.ts';
import type { ApiLogger, IpamHandlers } from './handlers.ts';
import { createHealth } from './health.ts';
import { healthService, ipamService } from './proto.ts';
import { prepareSocketPath, publishSocket, removeQuietly, removeSocket, type SocketIdentity } from './socket.ts';
import { logLevelFor, mapHandlerError, RpcFailure, statusName } from './status-map.ts';
import { ADD_OPTIONAL, ADD_REQUIRED, checkFields, DEL_OPTIONAL, DEL_REQUIRED } from './validate.ts';
import { API_VERSION, clientVersionProblem, parseVersion } from './version.ts';
import type {
  WireAddNetworkRequest,
  WireDelNetworkRequest,
  WireVersionedRequest,
  WireGetPoolStatusReply,
} from './wire.ts';

export interface ApiServerOptions {
  /** Absolute path of the socket, e.g. /run/vpcwire/ipamd.sock. */
  readonly socketPath: string;
  readonly handlers: IpamHandlers;
  readonly logger?: ApiLogger;
  /** The oldest client API version accepted (same major as API_VERSION). Default: "<major>.0.0". */
  readonly minClientVersion?: string;
  /** How long close() lets in-flight calls finish before cutting them. Default 5000 ms. */
  readonly drainTimeoutMs?: number;
}

export interface ApiServer {
  readonly socketPath: string;
  /** What the health service reports; AddNetwork/DelNetwork answer UNAVAILABLE while false. */
  setServing(serving: boolean): void;
  /** Stops accepting, drains in-flight calls, removes the socket file. Idempotent. */
  close(): Promise<void>;
}

// Requests are a few hundred bytes; refuse anything large before it is parsed.
const MAX_REQUEST_BYTES = 64 * 1024;

const noopLogger: ApiLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function checkMinClientVersion(min: string): void {
  const parsed = parseVersion(min);
  const ours = parseVersion(API_VERSION)!;
  if (!parsed || parsed.major !== ours.major) {
    throw new ApiError(
      'INVALID_OPTION',
      `minClientVersion ${JSON.stringify(min)} must be a semantic version with major ${ours.major} (ipamd API ${API_VERSION})`,
    );
  }
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const logger = opts.logger ?? noopLogger;
  const minClientVersion = opts.minClientVersion ?? `${parseVersion(API_VERSION)!.major}.0.0`;
  checkMinClientVersion(minClientVersion);
  const drainTimeoutMs = opts.drainTimeoutMs ?? 5000;
  const { handlers, socketPath } = opts;
  const health = createHealth();

  /** Wraps one unary method: version check, then `body`, then the error mapping and a log line. */
  const unary =
    <Req extends WireVersionedRequest, Rep>(method: string, body: (req: Req) => Promise<Rep>) =>
    (call: ServerUnaryCall<Req, Rep>, callback: sendUnaryData<Rep>): void => {
      const started = performance.now();
      const run = async (): Promise<Rep> => {
        const problem = clientVersionProblem(call.request.client_version, minClientVersion);
        if (problem !== undefined) throw new RpcFailure(status.FAILED_PRECONDITION, problem);
        return body(call.request);
      };
      run().then(
        (reply) => {
          logger.debug('api call', { method, ms: +(performance.now() - started).toFixed(2) });
          callback(null, reply);
        },
        (err: unknown) => {
          const failure = mapHandlerError(err);
          const meta: Record<string, unknown> = {
            method,
            status: statusName(failure.grpcCode),
            details: failure.message,
            ms: +(performance.now() - started).toFixed(2),
          };
          if (failure.grpcCode === status.INTERNAL && err instanceof Error) meta.stack = err.stack;
          logger[logLevelFor(failure.grpcCode)]('api call failed', meta);
          callback({ code: failure.grpcCode, details: failure.message });
        },
      );
    };

  const requireServing = (): void => {
    if (!health.isServing()) {
      throw new RpcFailure(status.UNAVAILABLE, 'ipamd is not serving yet (starting) or any more (stopping)');
    }
  };

  const ipam: UntypedServiceImplementation = {
    AddNetwork: unary('AddNetwork', async (w: WireAddNetworkRequest) => {
      checkFields(w, ADD_REQUIRED, ADD_OPTIONAL);
      requireServing();
      return addReplyToWire(await handlers.add(addRequestFromWire(w)));
    }),
    DelNetwork: unary('DelNetwork', async (w: WireDelNetworkRequest) => {
      checkFields(w, DEL_REQUIRED, DEL_OPTIONAL);
      requireServing();
      return delReplyToWire(await handlers.del(delRequestFromWire(w)));
    }),
    GetStatus: unary('GetStatus', async () =>
      statusToWire({ ...(await handlers.status()), apiVersion: API_VERSION, serving: health.isServing() }),
    ),
    ListAllocations: unary('ListAllocations', async () => ({
      allocations: (await handlers.status()).allocations.map(allocationToWire),
    })),
    GetPoolStatus: unary('GetPoolStatus', async (): Promise<WireGetPoolStatusReply> => {
      const serving = health.isServing();
      if (!serving) {
        return {
          serving,
          free_addresses: 0,
          assigned_addresses: 0,
          can_grow: false,
          reason: 'ipamd is not serving (starting or stopping)',
          host_network_problem: '',
        };
      }
      const p = await handlers.poolStatus();
      return {
        serving,
        free_addresses: p.freeAddresses,
        assigned_addresses: p.assignedAddresses,
        can_grow: p.canGrow,
        reason: p.reason,
        host_network_problem: p.hostNetworkProblem ?? '',
      };
    }),
  };

  const temp = await prepareSocketPath(socketPath, logger);
  const server = new Server({ 'grpc.max_receive_message_length': MAX_REQUEST_BYTES });
  server.addService(ipamService(), ipam);
  server.addService(healthService(), health.implementation);

  let identity: SocketIdentity;
  try {
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix:${temp}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
    });
    identity = await publishSocket(temp, socketPath);
  } catch (err) {
    server.forceShutdown();
    await removeQuietly(temp);
    throw err;
  }
  logger.info('allocation API listening', { socketPath, apiVersion: API_VERSION, minClientVersion });

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    health.set(false);
    health.endWatches();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        logger.warn('in-flight API calls did not finish in time; cutting them', { drainTimeoutMs });
        server.forceShutdown();
        resolve();
      }, drainTimeoutMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await removeSocket(socketPath, identity);
    logger.info('allocation API closed', { socketPath });
  };

  return {
    socketPath,
    setServing(serving: boolean): void {
      if (closing) return; // never back to SERVING once shutting down
      if (serving !== health.isServing()) logger.info('allocation API serving status', { serving });
      health.set(serving);
    },
    close(): Promise<void> {
      closing ??= close();
      return closing;
    },
  };
}
