// Original file: contract/ipamd.proto


export interface DelNetworkReply {
  'released'?: (boolean);
  'ipv4_address'?: (string);
  'device_index'?: (number);
  'route_table'?: (number);
}

export interface DelNetworkReply__Output {
  'released': (boolean);
  'ipv4_address': (string);
  'device_index': (number);
  'route_table': (number);
}
