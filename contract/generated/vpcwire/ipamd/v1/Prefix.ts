// Original file: contract/ipamd.proto

import type { Address as _vpcwire_ipamd_v1_Address, Address__Output as _vpcwire_ipamd_v1_Address__Output } from '../../../vpcwire/ipamd/v1/Address.ts';

export interface Prefix {
  'prefix'?: (string);
  'addresses'?: (_vpcwire_ipamd_v1_Address)[];
}

export interface Prefix__Output {
  'prefix': (string);
  'addresses': (_vpcwire_ipamd_v1_Address__Output)[];
}
