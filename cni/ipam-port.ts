/**
 * The verbs' IpamPort bound to the plugin's ipamd client (ipam/client.ts): each call one
 * short-lived connection to ipamd's plugin socket with the config's deadline, the requests and
 * replies the contract's messages (contract/messages.ts). The client's IpamError passes through
 * with the same stable code, so the verbs decide on codes, never on message text.
 */
import { API_VERSION } from '../contract/api.ts';
import type { NetConf } from './config.ts';
import { callIpamd } from './ipam/client.ts';
import type { IpamPort } from './ports.ts';

export function ipamPort(conf: NetConf): IpamPort {
  const opts = { deadlineMs: conf.deadlineMs };
  const socket = conf.socket;
  const client_version = API_VERSION;
  return {
    async add(key, netns, pod) {
      const r = await callIpamd(socket, 'AddNetwork', {
        client_version,
        network_name: key.networkName,
        container_id: key.containerId,
        if_name: key.ifName,
        netns,
        k8s_pod_namespace: pod.namespace ?? '',
        k8s_pod_name: pod.name ?? '',
        k8s_pod_uid: pod.uid ?? '',
        k8s_pod_infra_container_id: pod.infraContainerId ?? '',
      }, opts);
      return {
        ipv4Address: r.ipv4_address,
        routeTable: r.route_table,
        eniId: r.eni_id,
        mtu: r.mtu,
        vethPrefix: r.veth_prefix,
        existing: r.existing,
        hostVethName: r.host_veth_name,
      };
    },
    async del(key, reason, pod) {
      const r = await callIpamd(socket, 'DelNetwork', {
        client_version,
        network_name: key.networkName,
        container_id: key.containerId,
        if_name: key.ifName,
        reason,
        k8s_pod_namespace: pod?.namespace ?? '',
        k8s_pod_name: pod?.name ?? '',
      }, opts);
      return r.released ? { released: true, ipv4Address: r.ipv4_address } : { released: false };
    },
    async list() {
      const r = await callIpamd(socket, 'ListAllocations', { client_version }, opts);
      return r.allocations.map((a) => ({
        networkName: a.network_name,
        containerId: a.container_id,
        ifName: a.if_name,
        podNamespace: a.k8s_pod_namespace,
        podName: a.k8s_pod_name,
        ipv4Address: a.ipv4_address,
        routeTable: a.route_table,
      }));
    },
    async poolState() {
      const s = await callIpamd(socket, 'GetPoolStatus', { client_version }, opts);
      return { serving: s.serving, freeAddresses: s.free_addresses, canGrow: s.can_grow, reason: s.reason, hostNetworkProblem: s.host_network_problem };
    },
  };
}
