// Original file: contract/ipamd.proto

import type { Address as _vpcwire_ipamd_v1_Address, Address__Output as _vpcwire_ipamd_v1_Address__Output } from '../../../vpcwire/ipamd/v1/Address.ts';
import type { Prefix as _vpcwire_ipamd_v1_Prefix, Prefix__Output as _vpcwire_ipamd_v1_Prefix__Output } from '../../../vpcwire/ipamd/v1/Prefix.ts';

export interface Eni {
  'id'?: (string);
  'device_index'?: (number);
  'mac'?: (string);
  'primary_ip'?: (string);
  'is_primary'?: (boolean);
  'subnet_cidr'?: (string);
  'addresses'?: (_vpcwire_ipamd_v1_Address)[];
  'prefixes'?: (_vpcwire_ipamd_v1_Prefix)[];
}

export interface Eni__Output {
  'id': (string);
  'device_index': (number);
  'mac': (string);
  'primary_ip': (string);
  'is_primary': (boolean);
  'subnet_cidr': (string);
  'addresses': (_vpcwire_ipamd_v1_Address__Output)[];
  'prefixes': (_vpcwire_ipamd_v1_Prefix__Output)[];
}
