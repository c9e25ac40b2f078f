/**
 * Wire messages (contract/messages.ts, generated from the .proto) <-> vpcwire's types, both
 * directions (server: request in, reply out; client: the reverse). Empty strings on the wire are "absent" in vpcwire's types (proto3 has no presence for
 * strings).
 */
import type {
  AddRequest,
  AddResult,
  AddressState,
  AllocationStatus,
  DelRequest,
  DelResult,
  PodRef,
  StatusReport,
} from './handlers.ts';
import type * as wire from '../../contract/messages.ts';

const orUndefined = (s: string): string | undefined => (s === '' ? undefined : s);

const podFromWire = (w: {
  k8s_pod_namespace: string;
  k8s_pod_name: string;
  k8s_pod_uid: string;
  k8s_pod_infra_container_id?: string;
}): PodRef => {
  const pod: { namespace?: string; name?: string; uid?: string; infraContainerId?: string } = {};
  if (w.k8s_pod_namespace) pod.namespace = w.k8s_pod_namespace;
  if (w.k8s_pod_name) pod.name = w.k8s_pod_name;
  if (w.k8s_pod_uid) pod.uid = w.k8s_pod_uid;
  if (w.k8s_pod_infra_container_id) pod.infraContainerId = w.k8s_pod_infra_container_id;
  return pod;
};

// --- AddNetwork

export const addRequestFromWire = (w: wire.AddNetworkRequest): AddRequest => ({
  key: { networkName: w.network_name, containerId: w.container_id, ifName: w.if_name },
  netns: w.netns,
  pod: podFromWire(w),
});

export const addRequestToWire = (r: AddRequest, clientVersion: string): wire.AddNetworkRequest => ({
  client_version: clientVersion,
  network_name: r.key.networkName,
  container_id: r.key.containerId,
  if_name: r.key.ifName,
  netns: r.netns,
  k8s_pod_namespace: r.pod.namespace ?? '',
  k8s_pod_name: r.pod.name ?? '',
  k8s_pod_uid: r.pod.uid ?? '',
  k8s_pod_infra_container_id: r.pod.infraContainerId ?? '',
});

export const addReplyToWire = (r: AddResult): wire.AddNetworkReply => ({
  ipv4_address: r.ipv4Address,
  device_index: r.deviceIndex,
  route_table: r.routeTable,
  eni_id: r.eniId,
  eni_mac: r.eniMac,
  subnet_cidr: r.subnetCidr,
  subnet_gateway: r.subnetGateway,
  vpc_cidrs: [...r.vpcCidrs],
  mtu: r.mtu,
  veth_prefix: r.vethPrefix,
  prefix: r.prefix ?? '',
  existing: r.existing ?? false,
  host_veth_name: r.hostVethName ?? '',
});

export const addReplyFromWire = (w: wire.AddNetworkReply): AddResult => {
  const base = {
    ipv4Address: w.ipv4_address,
    deviceIndex: w.device_index,
    routeTable: w.route_table,
    eniId: w.eni_id,
    eniMac: w.eni_mac,
    subnetCidr: w.subnet_cidr,
    subnetGateway: w.subnet_gateway,
    vpcCidrs: [...w.vpc_cidrs],
    mtu: w.mtu,
    vethPrefix: w.veth_prefix,
    existing: w.existing,
    ...(w.host_veth_name ? { hostVethName: w.host_veth_name } : {}),
  };
  const prefix = orUndefined(w.prefix);
  return prefix === undefined ? base : { ...base, prefix };
};

// --- DelNetwork

export const delRequestFromWire = (w: wire.DelNetworkRequest): DelRequest => {
  const namespace = orUndefined(w.k8s_pod_namespace);
  const name = orUndefined(w.k8s_pod_name);
  return {
    key: { networkName: w.network_name, containerId: w.container_id, ifName: w.if_name },
    reason: w.reason,
    ...(namespace !== undefined || name !== undefined
      ? { pod: { ...(namespace !== undefined ? { namespace } : {}), ...(name !== undefined ? { name } : {}) } }
      : {}),
  };
};

export const delRequestToWire = (r: DelRequest, clientVersion: string): wire.DelNetworkRequest => ({
  client_version: clientVersion,
  network_name: r.key.networkName,
  container_id: r.key.containerId,
  if_name: r.key.ifName,
  reason: r.reason,
  k8s_pod_namespace: r.pod?.namespace ?? '',
  k8s_pod_name: r.pod?.name ?? '',
});

export const delReplyToWire = (r: DelResult): wire.DelNetworkReply =>
  r.released
    ? { released: true, ipv4_address: r.ipv4Address, device_index: r.deviceIndex, route_table: r.routeTable }
    : { released: false, ipv4_address: '', device_index: 0, route_table: 0 };

export const delReplyFromWire = (w: wire.DelNetworkReply): DelResult =>
  w.released
    ? { released: true, ipv4Address: w.ipv4_address, deviceIndex: w.device_index, routeTable: w.route_table }
    : { released: false };

// --- GetStatus / ListAllocations

const STATE_TO_WIRE: Record<AddressState, wire.AddressState> = {
  free: 'ADDRESS_STATE_FREE',
  assigned: 'ADDRESS_STATE_ASSIGNED',
  cooling: 'ADDRESS_STATE_COOLING',
};

/** An unspecified state (a newer ipamd's addition, say) reads as assigned: never offered as free. */
const stateFromWire = (s: wire.AddressState): AddressState =>
  s === 'ADDRESS_STATE_FREE' ? 'free' : s === 'ADDRESS_STATE_COOLING' ? 'cooling' : 'assigned';

export const allocationToWire = (a: AllocationStatus): wire.Allocation => ({
  network_name: a.key.networkName,
  container_id: a.key.containerId,
  if_name: a.key.ifName,
  k8s_pod_namespace: a.pod.namespace ?? '',
  k8s_pod_name: a.pod.name ?? '',
  k8s_pod_uid: a.pod.uid ?? '',
  ipv4_address: a.ipv4Address,
  eni_id: a.eniId,
  allocated_at_unix_ms: String(Math.trunc(a.allocatedAt)),
  route_table: a.routeTable,
  recovered: a.recovered ?? false,
  host_veth_name: a.hostVethName ?? '',
});

export const allocationFromWire = (w: wire.Allocation): AllocationStatus => ({
  key: { networkName: w.network_name, containerId: w.container_id, ifName: w.if_name },
  pod: podFromWire(w),
  ipv4Address: w.ipv4_address,
  eniId: w.eni_id,
  allocatedAt: Number(w.allocated_at_unix_ms),
  routeTable: w.route_table,
  ...(w.recovered ? { recovered: true } : {}),
  ...(w.host_veth_name ? { hostVethName: w.host_veth_name } : {}),
});

export const statusToWire = (s: StatusReport): wire.GetStatusReply => ({
  api_version: s.apiVersion,
  instance_id: s.instanceId,
  prefix_mode: s.prefixMode,
  serving: s.serving,
  enis: s.enis.map((e) => ({
    id: e.id,
    device_index: e.deviceIndex,
    mac: e.mac,
    primary_ip: e.primaryIp,
    is_primary: e.isPrimary,
    subnet_cidr: e.subnetCidr,
    addresses: e.addresses.map((a) => ({ ip: a.ip, state: STATE_TO_WIRE[a.state] })),
    prefixes: e.prefixes.map((p) => ({
      prefix: p.prefix,
      addresses: p.addresses.map((a) => ({ ip: a.ip, state: STATE_TO_WIRE[a.state] })),
    })),
  })),
  allocations: s.allocations.map(allocationToWire),
  pool_targets: { ...s.poolTargets },
  drift_counts: { ...s.driftCounts },
});

export const statusFromWire = (w: wire.GetStatusReply): StatusReport => ({
  apiVersion: w.api_version,
  instanceId: w.instance_id,
  prefixMode: w.prefix_mode,
  serving: w.serving,
  enis: w.enis.map((e) => ({
    id: e.id,
    deviceIndex: e.device_index,
    mac: e.mac,
    primaryIp: e.primary_ip,
    isPrimary: e.is_primary,
    subnetCidr: e.subnet_cidr,
    addresses: e.addresses.map((a) => ({ ip: a.ip, state: stateFromWire(a.state) })),
    prefixes: e.prefixes.map((p) => ({
      prefix: p.prefix,
      addresses: p.addresses.map((a) => ({ ip: a.ip, state: stateFromWire(a.state) })),
    })),
  })),
  allocations: w.allocations.map(allocationFromWire),
  poolTargets: { ...w.pool_targets },
  driftCounts: { ...w.drift_counts },
});
