// Original file: contract/ipamd.proto


export interface DelNetworkRequest {
  'client_version'?: (string);
  'network_name'?: (string);
  'container_id'?: (string);
  'if_name'?: (string);
  'reason'?: (string);
  'k8s_pod_namespace'?: (string);
  'k8s_pod_name'?: (string);
}

export interface DelNetworkRequest__Output {
  'client_version': (string);
  'network_name': (string);
  'container_id': (string);
  'if_name': (string);
  'reason': (string);
  'k8s_pod_namespace': (string);
  'k8s_pod_name': (string);
}
