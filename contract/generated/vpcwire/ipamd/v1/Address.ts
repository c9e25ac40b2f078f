// Original file: contract/ipamd.proto

import type { AddressState as _vpcwire_ipamd_v1_AddressState, AddressState__Output as _vpcwire_ipamd_v1_AddressState__Output } from '../../../vpcwire/ipamd/v1/AddressState.ts';

export interface Address {
  'ip'?: (string);
  'state'?: (_vpcwire_ipamd_v1_AddressState);
}

export interface Address__Output {
  'ip': (string);
  'state': (_vpcwire_ipamd_v1_AddressState__Output);
}
