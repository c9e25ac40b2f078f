// Original file: contract/ipamd.proto


export interface GetPoolStatusReply {
  'serving'?: (boolean);
  'free_addresses'?: (number);
  'assigned_addresses'?: (number);
  'can_grow'?: (boolean);
  'reason'?: (string);
  'host_network_problem'?: (string);
}

export interface GetPoolStatusReply__Output {
  'serving': (boolean);
  'free_addresses': (number);
  'assigned_addresses': (number);
  'can_grow': (boolean);
  'reason': (string);
  'host_network_problem': (string);
}
