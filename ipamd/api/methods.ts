/**
 * The Ipam service's methods, transport-neutral (DESIGN.md §4; issue 10 item 1): both the gRPC
 * server (server.ts) and the plugin protocol's server (plugin-server.ts) call these, with the
 * same wire objects (ipamd.proto's messages as the loader shapes them, proto.ts), so the two
 * transports cannot drift apart. Every call: client version checked, fields validated, ADD and DEL
 * refused while not serving, handler errors mapped to a status by class (status-map.ts), one log line.
 */
import { status } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { NOT_SERVING_MESSAGE } from '../../contract/api.ts';
import {
  addReplyToWire,
  addRequestFromWire,
  allocationToWire,
  delReplyToWire,
  delRequestFromWire,
  statusToWire,
} from './convert.ts';
import type { ApiLogger, IpamHandlers } from './handlers.ts';
import { ApiStatusError } from './errors.ts';
import { logLevelFor, mapHandlerError, statusName } from './status-map.ts';
import { ADD_OPTIONAL, ADD_REQUIRED, checkFields, DEL_OPTIONAL, DEL_REQUIRED } from './validate.ts';
import { API_VERSION, clientVersionProblem } from './version.ts';
import type * as wire from '../../contract/messages.ts';

/** The outcome of one call, ready for either transport. */
export type CallOutcome = { readonly ok: unknown } | { readonly failure: ApiStatusError };

export interface IpamMethods {
  /** The method names of service vpcwire.ipamd.v1.Ipam. */
  readonly names: ReadonlySet<string>;
  /** Runs `method` on a request as the loader decodes it (absent fields at their defaults). */
  call(method: string, request: wire.VersionedRequest): Promise<CallOutcome>;
}

export interface MethodsOptions {
  readonly handlers: IpamHandlers;
  readonly isServing: () => boolean;
  readonly minClientVersion: string;
  readonly logger: ApiLogger;
}

export function createIpamMethods(opts: MethodsOptions): IpamMethods {
  const { handlers, isServing, minClientVersion, logger } = opts;

  const requireServing = (): void => {
    if (!isServing()) throw new ApiStatusError('IPAMD_API_NOT_SERVING', NOT_SERVING_MESSAGE);
  };

  const bodies: Record<string, (req: never) => Promise<unknown>> = {
    AddNetwork: async (w: wire.AddNetworkRequest) => {
      checkFields(w, ADD_REQUIRED, ADD_OPTIONAL);
      requireServing();
      return addReplyToWire(await handlers.add(addRequestFromWire(w)));
    },
    DelNetwork: async (w: wire.DelNetworkRequest) => {
      checkFields(w, DEL_REQUIRED, DEL_OPTIONAL);
      requireServing();
      return delReplyToWire(await handlers.del(delRequestFromWire(w)));
    },
    GetStatus: async () => statusToWire({ ...(await handlers.status()), apiVersion: API_VERSION, serving: isServing() }),
    ListAllocations: async () => ({ allocations: (await handlers.status()).allocations.map(allocationToWire) }),
    GetPoolStatus: async (): Promise<wire.GetPoolStatusReply> => {
      if (!isServing()) {
        return {
          serving: false,
          free_addresses: 0,
          assigned_addresses: 0,
          can_grow: false,
          reason: 'ipamd is not serving (starting or stopping)',
          host_network_problem: '',
        };
      }
      const p = await handlers.poolStatus();
      return {
        serving: true,
        free_addresses: p.freeAddresses,
        assigned_addresses: p.assignedAddresses,
        can_grow: p.canGrow,
        reason: p.reason,
        host_network_problem: p.hostNetworkProblem ?? '',
      };
    },
  };

  return {
    names: new Set(Object.keys(bodies)),
    async call(method, request) {
      const started = performance.now();
      const ms = () => +(performance.now() - started).toFixed(2);
      try {
        const body = bodies[method];
        if (!body) throw new ApiStatusError('IPAMD_API_UNKNOWN_METHOD', `unknown method ${JSON.stringify(method.slice(0, 64))}`);
        const problem = clientVersionProblem(request.client_version, minClientVersion);
        if (problem !== undefined) throw new ApiStatusError('IPAMD_API_CLIENT_VERSION', problem);
        const ok = await body(request as never);
        logger.debug('api call', { method, ms: ms() });
        return { ok };
      } catch (err) {
        const failure = mapHandlerError(err);
        const meta: Record<string, unknown> = { method, status: statusName(failure.grpcCode), details: failure.message, ms: ms() };
        if (failure.grpcCode === status.INTERNAL && err instanceof Error) meta.stack = err.stack;
        logger[logLevelFor(failure.grpcCode)]('api call failed', meta);
        return { failure };
      }
    },
  };
}
