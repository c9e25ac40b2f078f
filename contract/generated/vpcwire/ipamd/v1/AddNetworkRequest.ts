// Original file: contract/ipamd.proto


export interface AddNetworkRequest {
  'client_version'?: (string);
  'network_name'?: (string);
  'container_id'?: (string);
  'if_name'?: (string);
  'netns'?: (string);
  'k8s_pod_namespace'?: (string);
  'k8s_pod_name'?: (string);
  'k8s_pod_uid'?: (string);
  'k8s_pod_infra_container_id'?: (string);
}

export interface AddNetworkRequest__Output {
  'client_version': (string);
  'network_name': (string);
  'container_id': (string);
  'if_name': (string);
  'netns': (string);
  'k8s_pod_namespace': (string);
  'k8s_pod_name': (string);
  'k8s_pod_uid': (string);
  'k8s_pod_infra_container_id': (string);
}
