// Original file: contract/ipamd.proto

import type { Long } from '@grpc/proto-loader';

export interface Allocation {
  'network_name'?: (string);
  'container_id'?: (string);
  'if_name'?: (string);
  'k8s_pod_namespace'?: (string);
  'k8s_pod_name'?: (string);
  'k8s_pod_uid'?: (string);
  'ipv4_address'?: (string);
  'eni_id'?: (string);
  'allocated_at_unix_ms'?: (number | string | Long);
  'route_table'?: (number);
  'recovered'?: (boolean);
  'host_veth_name'?: (string);
}

export interface Allocation__Output {
  'network_name': (string);
  'container_id': (string);
  'if_name': (string);
  'k8s_pod_namespace': (string);
  'k8s_pod_name': (string);
  'k8s_pod_uid': (string);
  'ipv4_address': (string);
  'eni_id': (string);
  'allocated_at_unix_ms': (string);
  'route_table': (number);
  'recovered': (boolean);
  'host_veth_name': (string);
}
