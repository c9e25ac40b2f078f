// Original file: contract/ipamd.proto

import type { Allocation as _vpcwire_ipamd_v1_Allocation, Allocation__Output as _vpcwire_ipamd_v1_Allocation__Output } from '../../../vpcwire/ipamd/v1/Allocation.ts';

export interface ListAllocationsReply {
  'allocations'?: (_vpcwire_ipamd_v1_Allocation)[];
}

export interface ListAllocationsReply__Output {
  'allocations': (_vpcwire_ipamd_v1_Allocation__Output)[];
}
