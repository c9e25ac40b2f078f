// Original file: contract/ipamd.proto


export interface AddNetworkReply {
  'ipv4_address'?: (string);
  'device_index'?: (number);
  'route_table'?: (number);
  'eni_id'?: (string);
  'eni_mac'?: (string);
  'subnet_cidr'?: (string);
  'subnet_gateway'?: (string);
  'vpc_cidrs'?: (string)[];
  'mtu'?: (number);
  'veth_prefix'?: (string);
  'prefix'?: (string);
  'existing'?: (boolean);
  'host_veth_name'?: (string);
}

export interface AddNetworkReply__Output {
  'ipv4_address': (string);
  'device_index': (number);
  'route_table': (number);
  'eni_id': (string);
  'eni_mac': (string);
  'subnet_cidr': (string);
  'subnet_gateway': (string);
  'vpc_cidrs': (string)[];
  'mtu': (number);
  'veth_prefix': (string);
  'prefix': (string);
  'existing': (boolean);
  'host_veth_name': (string);
}
