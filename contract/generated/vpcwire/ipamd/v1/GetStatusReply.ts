// Original file: contract/ipamd.proto

import type { Eni as _vpcwire_ipamd_v1_Eni, Eni__Output as _vpcwire_ipamd_v1_Eni__Output } from '../../../vpcwire/ipamd/v1/Eni.ts';
import type { Allocation as _vpcwire_ipamd_v1_Allocation, Allocation__Output as _vpcwire_ipamd_v1_Allocation__Output } from '../../../vpcwire/ipamd/v1/Allocation.ts';

export interface GetStatusReply {
  'api_version'?: (string);
  'instance_id'?: (string);
  'prefix_mode'?: (boolean);
  'serving'?: (boolean);
  'enis'?: (_vpcwire_ipamd_v1_Eni)[];
  'allocations'?: (_vpcwire_ipamd_v1_Allocation)[];
  'pool_targets'?: ({[key: string]: string});
  'drift_counts'?: ({[key: string]: number});
}

export interface GetStatusReply__Output {
  'api_version': (string);
  'instance_id': (string);
  'prefix_mode': (boolean);
  'serving': (boolean);
  'enis': (_vpcwire_ipamd_v1_Eni__Output)[];
  'allocations': (_vpcwire_ipamd_v1_Allocation__Output)[];
  'pool_targets': ({[key: string]: string});
  'drift_counts': ({[key: string]: number});
}
