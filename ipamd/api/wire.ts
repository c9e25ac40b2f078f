/**
 * The messages of ipamd.proto and health.proto as the loader (proto.ts) produces and accepts them:
 * field names exactly as in the .proto, int64 as strings, enums as names. Only convert.ts, the
 * server and the client touch these; the drift test in test/ipamd/api.test.ts checks that every
 * field declared in the .proto is written by the converters.
 */

export interface WireAddNetworkRequest {
  client_version: string;
  network_name: string;
  container_id: string;
  if_name: string;
  netns: string;
  k8s_pod_namespace: string;
  k8s_pod_name: string;
  k8s_pod_uid: string;
  k8s_pod_infra_container_id: string;
}

export interface WireAddNetworkReply {
  ipv4_address: string;
  device_index: number;
  route_table: number;
  eni_id: string;
  eni_mac: string;
  subnet_cidr: string;
  subnet_gateway: string;
  vpc_cidrs: string[];
  mtu: number;
  veth_prefix: string;
  prefix: string;
  existing: boolean;
  host_veth_name: string;
}

export interface WireDelNetworkRequest {
  client_version: string;
  network_name: string;
  container_id: string;
  if_name: string;
  reason: string;
  k8s_pod_namespace: string;
  k8s_pod_name: string;
}

export interface WireDelNetworkReply {
  released: boolean;
  ipv4_address: string;
  device_index: number;
  route_table: number;
}

export interface WireVersionedRequest {
  client_version: string;
}

export type WireAddressState = 'ADDRESS_STATE_UNSPECIFIED' | 'ADDRESS_STATE_FREE' | 'ADDRESS_STATE_ASSIGNED' | 'ADDRESS_STATE_COOLING';

export interface WireAddress {
  ip: string;
  state: WireAddressState;
}

export interface WirePrefix {
  prefix: string;
  addresses: WireAddress[];
}

export interface WireEni {
  id: string;
  device_index: number;
  mac: string;
  primary_ip: string;
  is_primary: boolean;
  subnet_cidr: string;
  addresses: WireAddress[];
  prefixes: WirePrefix[];
}

export interface WireAllocation {
  network_name: string;
  container_id: string;
  if_name: string;
  k8s_pod_namespace: string;
  k8s_pod_name: string;
  k8s_pod_uid: string;
  ipv4_address: string;
  eni_id: string;
  /** int64 as a decimal string. */
  allocated_at_unix_ms: string;
  route_table: number;
  recovered: boolean;
  host_veth_name: string;
}

export interface WireGetStatusReply {
  api_version: string;
  instance_id: string;
  prefix_mode: boolean;
  serving: boolean;
  enis: WireEni[];
  allocations: WireAllocation[];
  pool_targets: Record<string, string>;
  drift_counts: Record<string, number>;
}

export interface WireGetPoolStatusReply {
  serving: boolean;
  free_addresses: number;
  assigned_addresses: number;
  can_grow: boolean;
  reason: string;
  host_network_problem: string;
}

export interface WireListAllocationsReply {
  allocations: WireAllocation[];
}

export type WireServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface WireHealthCheckRequest {
  service: string;
}

export interface WireHealthCheckResponse {
  status: WireServingStatus;
}
