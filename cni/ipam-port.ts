/**
 * The verbs' IpamPort bound to the lean gRPC client (ipam/client.ts): each call one short-lived
 * connection to ipamd's socket with the config's deadline; the client's errors become IpamFailure
 * with the same stable code, so the verbs decide on codes, never on message text.
 */
import type { NetConf } from './config.ts';
import { addNetwork, delNetwork, getPoolStatus, IpamError, listAllocations } from './ipam/client.ts';
import { IpamFailure, type IpamPort } from './ports.ts';

function failure(e: unknown): never {
  if (e instanceof IpamError) throw new IpamFailure(e.code, e.message, { cause: e });
  throw e;
}

export function ipamPort(conf: NetConf): IpamPort {
  const opts = { deadlineMs: conf.deadlineMs };
  const socket = conf.socket;
  return {
    async add(key, netns, pod) {
      const r = await addNetwork(
        socket,
        {
          ...key,
          netns,
          ...(pod.namespace ? { k8sPodNamespace: pod.namespace } : {}),
          ...(pod.name ? { k8sPodName: pod.name } : {}),
          ...(pod.uid ? { k8sPodUid: pod.uid } : {}),
          ...(pod.infraContainerId ? { k8sPodInfraContainerId: pod.infraContainerId } : {}),
        },
        opts,
      ).catch(failure);
      return { ipv4Address: r.ipv4Address, routeTable: r.routeTable, eniId: r.eniId, mtu: r.mtu, vethPrefix: r.vethPrefix, existing: r.existing, hostVethName: r.hostVethName };
    },
    async del(key, reason, pod) {
      const r = await delNetwork(
        socket,
        { ...key, reason, ...(pod?.namespace ? { podNamespace: pod.namespace } : {}), ...(pod?.name ? { podName: pod.name } : {}) },
        opts,
      ).catch(failure);
      return r.released ? { released: true, ipv4Address: r.ipv4Address } : { released: false };
    },
    async list() {
      const all = await listAllocations(socket, opts).catch(failure);
      return all.map((a) => ({
        networkName: a.networkName,
        containerId: a.containerId,
        ifName: a.ifName,
        podNamespace: a.k8sPodNamespace,
        podName: a.k8sPodName,
        ipv4Address: a.ipv4Address,
        routeTable: a.routeTable,
      }));
    },
    async poolState() {
      const s = await getPoolStatus(socket, opts).catch(failure);
      return { serving: s.serving, freeAddresses: s.freeAddresses, canGrow: s.canGrow, reason: s.reason, hostNetworkProblem: s.hostNetworkProblem };
    },
  };
}
