import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddNetworkReply as _vpcwire_ipamd_v1_AddNetworkReply, AddNetworkReply__Output as _vpcwire_ipamd_v1_AddNetworkReply__Output } from './vpcwire/ipamd/v1/AddNetworkReply.ts';
import type { AddNetworkRequest as _vpcwire_ipamd_v1_AddNetworkRequest, AddNetworkRequest__Output as _vpcwire_ipamd_v1_AddNetworkRequest__Output } from './vpcwire/ipamd/v1/AddNetworkRequest.ts';
import type { Address as _vpcwire_ipamd_v1_Address, Address__Output as _vpcwire_ipamd_v1_Address__Output } from './vpcwire/ipamd/v1/Address.ts';
import type { Allocation as _vpcwire_ipamd_v1_Allocation, Allocation__Output as _vpcwire_ipamd_v1_Allocation__Output } from './vpcwire/ipamd/v1/Allocation.ts';
import type { DelNetworkReply as _vpcwire_ipamd_v1_DelNetworkReply, DelNetworkReply__Output as _vpcwire_ipamd_v1_DelNetworkReply__Output } from './vpcwire/ipamd/v1/DelNetworkReply.ts';
import type { DelNetworkRequest as _vpcwire_ipamd_v1_DelNetworkRequest, DelNetworkRequest__Output as _vpcwire_ipamd_v1_DelNetworkRequest__Output } from './vpcwire/ipamd/v1/DelNetworkRequest.ts';
import type { Eni as _vpcwire_ipamd_v1_Eni, Eni__Output as _vpcwire_ipamd_v1_Eni__Output } from './vpcwire/ipamd/v1/Eni.ts';
import type { GetPoolStatusReply as _vpcwire_ipamd_v1_GetPoolStatusReply, GetPoolStatusReply__Output as _vpcwire_ipamd_v1_GetPoolStatusReply__Output } from './vpcwire/ipamd/v1/GetPoolStatusReply.ts';
import type { GetPoolStatusRequest as _vpcwire_ipamd_v1_GetPoolStatusRequest, GetPoolStatusRequest__Output as _vpcwire_ipamd_v1_GetPoolStatusRequest__Output } from './vpcwire/ipamd/v1/GetPoolStatusRequest.ts';
import type { GetStatusReply as _vpcwire_ipamd_v1_GetStatusReply, GetStatusReply__Output as _vpcwire_ipamd_v1_GetStatusReply__Output } from './vpcwire/ipamd/v1/GetStatusReply.ts';
import type { GetStatusRequest as _vpcwire_ipamd_v1_GetStatusRequest, GetStatusRequest__Output as _vpcwire_ipamd_v1_GetStatusRequest__Output } from './vpcwire/ipamd/v1/GetStatusRequest.ts';
import type { IpamClient as _vpcwire_ipamd_v1_IpamClient, IpamDefinition as _vpcwire_ipamd_v1_IpamDefinition } from './vpcwire/ipamd/v1/Ipam.ts';
import type { ListAllocationsReply as _vpcwire_ipamd_v1_ListAllocationsReply, ListAllocationsReply__Output as _vpcwire_ipamd_v1_ListAllocationsReply__Output } from './vpcwire/ipamd/v1/ListAllocationsReply.ts';
import type { ListAllocationsRequest as _vpcwire_ipamd_v1_ListAllocationsRequest, ListAllocationsRequest__Output as _vpcwire_ipamd_v1_ListAllocationsRequest__Output } from './vpcwire/ipamd/v1/ListAllocationsRequest.ts';
import type { Prefix as _vpcwire_ipamd_v1_Prefix, Prefix__Output as _vpcwire_ipamd_v1_Prefix__Output } from './vpcwire/ipamd/v1/Prefix.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  vpcwire: {
    ipamd: {
      v1: {
        AddNetworkReply: MessageTypeDefinition<_vpcwire_ipamd_v1_AddNetworkReply, _vpcwire_ipamd_v1_AddNetworkReply__Output>
        AddNetworkRequest: MessageTypeDefinition<_vpcwire_ipamd_v1_AddNetworkRequest, _vpcwire_ipamd_v1_AddNetworkRequest__Output>
        Address: MessageTypeDefinition<_vpcwire_ipamd_v1_Address, _vpcwire_ipamd_v1_Address__Output>
        AddressState: EnumTypeDefinition
        Allocation: MessageTypeDefinition<_vpcwire_ipamd_v1_Allocation, _vpcwire_ipamd_v1_Allocation__Output>
        DelNetworkReply: MessageTypeDefinition<_vpcwire_ipamd_v1_DelNetworkReply, _vpcwire_ipamd_v1_DelNetworkReply__Output>
        DelNetworkRequest: MessageTypeDefinition<_vpcwire_ipamd_v1_DelNetworkRequest, _vpcwire_ipamd_v1_DelNetworkRequest__Output>
        Eni: MessageTypeDefinition<_vpcwire_ipamd_v1_Eni, _vpcwire_ipamd_v1_Eni__Output>
        GetPoolStatusReply: MessageTypeDefinition<_vpcwire_ipamd_v1_GetPoolStatusReply, _vpcwire_ipamd_v1_GetPoolStatusReply__Output>
        GetPoolStatusRequest: MessageTypeDefinition<_vpcwire_ipamd_v1_GetPoolStatusRequest, _vpcwire_ipamd_v1_GetPoolStatusRequest__Output>
        GetStatusReply: MessageTypeDefinition<_vpcwire_ipamd_v1_GetStatusReply, _vpcwire_ipamd_v1_GetStatusReply__Output>
        GetStatusRequest: MessageTypeDefinition<_vpcwire_ipamd_v1_GetStatusRequest, _vpcwire_ipamd_v1_GetStatusRequest__Output>
        Ipam: SubtypeConstructor<typeof grpc.Client, _vpcwire_ipamd_v1_IpamClient> & { service: _vpcwire_ipamd_v1_IpamDefinition }
        ListAllocationsReply: MessageTypeDefinition<_vpcwire_ipamd_v1_ListAllocationsReply, _vpcwire_ipamd_v1_ListAllocationsReply__Output>
        ListAllocationsRequest: MessageTypeDefinition<_vpcwire_ipamd_v1_ListAllocationsRequest, _vpcwire_ipamd_v1_ListAllocationsRequest__Output>
        Prefix: MessageTypeDefinition<_vpcwire_ipamd_v1_Prefix, _vpcwire_ipamd_v1_Prefix__Output>
      }
    }
  }
}

