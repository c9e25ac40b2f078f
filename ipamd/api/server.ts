/**
 * The allocation API server (issue 3 item 7; DESIGN.md §4): the Ipam service of ipamd.proto backed
 * by ipamd's core through IpamHandlers, on two sockets in ipamd's private directory: gRPC with the
 * standard health service (stock clients, probes, `vpcwire status`), and the plugin protocol
 * (contract/plugin-protocol.ts, issue 10 item 1) for the one-shot CNI plugin. Both transports call
 * the same methods (methods.ts): client version checked, fields validated, handler errors mapped by
 * code (status-map.ts). AddNetwork and DelNetwork answer UNAVAILABLE until the daemon calls
 * setServing(true): before its start sequence ends the ledger is not trustworthy (issue 3 item 6).
 */
import {
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Server as NetServer, Socket } from 'node:net';
import { MAX_REQUEST_BYTES } from '../../contract/plugin-protocol.ts';
import { pluginSocketPath } from '../../contract/paths.ts';
import { ApiError } from './errors.ts';
import type { ApiLogger, IpamHandlers } from './handlers.ts';
import { createHealth } from './health.ts';
import { createIpamMethods } from './methods.ts';
import { createPluginServer } from './plugin-server.ts';
import { healthService, ipamService } from './proto.ts';
import { prepareSocketPath, publishSocket, removeQuietly, removeSocket, type SocketIdentity } from './socket.ts';
import { API_VERSION, parseVersion } from './version.ts';
import type * as wire from '../../contract/messages.ts';

export interface ApiServerOptions {
  /** Absolute path of the gRPC socket, e.g. /run/vpcwire/ipamd.sock. */
  readonly socketPath: string;
  /**
   * The plugin protocol's socket (contract/plugin-protocol.ts). Default: plugin.sock next to
   * socketPath, in the same private directory (contract/paths.ts).
   */
  readonly pluginSocketPath?: string;
  readonly handlers: IpamHandlers;
  readonly logger?: ApiLogger;
  /** The oldest client API version accepted (same major as API_VERSION). Default: "<major>.0.0". */
  readonly minClientVersion?: string;
  /** How long close() lets in-flight calls finish before cutting them. Default 5000 ms. */
  readonly drainTimeoutMs?: number;
}

export interface ApiServer {
  readonly socketPath: string;
  readonly pluginSocketPath: string;
  /** What the health service reports; AddNetwork/DelNetwork answer UNAVAILABLE while false. */
  setServing(serving: boolean): void;
  /** Stops accepting, drains in-flight calls, removes both socket files. Idempotent. */
  close(): Promise<void>;
}

const noopLogger: ApiLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function checkMinClientVersion(min: string): void {
  const parsed = parseVersion(min);
  const ours = parseVersion(API_VERSION)!;
  if (!parsed || parsed.major !== ours.major) {
    throw new ApiError(
      'IPAMD_API_INVALID_OPTION',
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
  const pluginPath = opts.pluginSocketPath ?? pluginSocketPath(socketPath);
  if (pluginPath === socketPath) {
    throw new ApiError('IPAMD_API_INVALID_OPTION', `socketPath ${socketPath} is the plugin socket's path; name the gRPC socket otherwise (e.g. ipamd.sock)`);
  }
  const health = createHealth();
  const methods = createIpamMethods({ handlers, isServing: () => health.isServing(), minClientVersion, logger });

  // gRPC: each Ipam method through the same transport-neutral methods as the plugin protocol.
  const ipam: UntypedServiceImplementation = {};
  for (const method of methods.names) {
    ipam[method] = (call: ServerUnaryCall<wire.VersionedRequest, unknown>, callback: sendUnaryData<unknown>): void => {
      void methods.call(method, call.request).then((outcome) =>
        'ok' in outcome
          ? callback(null, outcome.ok)
          : callback({ code: outcome.failure.grpcCode, details: outcome.failure.message }),
      );
    };
  }

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

  // The plugin protocol, on its own socket in the same directory (checked again: it is cheap).
  const plugin: NetServer = createPluginServer({ methods, logger });
  const connections = new Set<Socket>();
  plugin.on('connection', (sock: Socket) => {
    connections.add(sock);
    sock.on('close', () => connections.delete(sock));
  });
  let pluginIdentity: SocketIdentity;
  let pluginTemp: string | undefined;
  try {
    pluginTemp = await prepareSocketPath(pluginPath, logger);
    const bound = pluginTemp;
    await new Promise<void>((resolve, reject) => {
      plugin.once('error', reject);
      plugin.listen(bound, () => {
        plugin.off('error', reject);
        resolve();
      });
    });
    pluginIdentity = await publishSocket(bound, pluginPath);
  } catch (err) {
    plugin.close();
    if (pluginTemp !== undefined) await removeQuietly(pluginTemp);
    server.forceShutdown();
    await removeSocket(socketPath, identity);
    throw err;
  }
  logger.info('allocation API listening', { socketPath, pluginSocketPath: pluginPath, apiVersion: API_VERSION, minClientVersion });

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    health.set(false);
    health.endWatches();
    const grpcDrained = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    const pluginDrained = new Promise<void>((resolve) => plugin.close(() => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<'cut'>((resolve) => (timer = setTimeout(() => resolve('cut'), drainTimeoutMs)));
    if ((await Promise.race([Promise.all([grpcDrained, pluginDrained]), cut])) === 'cut') {
      logger.warn('in-flight API calls did not finish in time; cutting them', { drainTimeoutMs });
      server.forceShutdown();
      for (const c of connections) c.destroy();
    }
    clearTimeout(timer);
    await removeSocket(socketPath, identity);
    await removeSocket(pluginPath, pluginIdentity);
    logger.info('allocation API closed', { socketPath });
  };

  return {
    socketPath,
    pluginSocketPath: pluginPath,
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
