// Original file: contract/ipamd.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddNetworkReply as _vpcwire_ipamd_v1_AddNetworkReply, AddNetworkReply__Output as _vpcwire_ipamd_v1_AddNetworkReply__Output } from '../../../vpcwire/ipamd/v1/AddNetworkReply.ts';
import type { AddNetworkRequest as _vpcwire_ipamd_v1_AddNetworkRequest, AddNetworkRequest__Output as _vpcwire_ipamd_v1_AddNetworkRequest__Output } from '../../../vpcwire/ipamd/v1/AddNetworkRequest.ts';
import type { DelNetworkReply as _vpcwire_ipamd_v1_DelNetworkReply, DelNetworkReply__Output as _vpcwire_ipamd_v1_DelNetworkReply__Output } from '../../../vpcwire/ipamd/v1/DelNetworkReply.ts';
import type { DelNetworkRequest as _vpcwire_ipamd_v1_DelNetworkRequest, DelNetworkRequest__Output as _vpcwire_ipamd_v1_DelNetworkRequest__Output } from '../../../vpcwire/ipamd/v1/DelNetworkRequest.ts';
import type { GetPoolStatusReply as _vpcwire_ipamd_v1_GetPoolStatusReply, GetPoolStatusReply__Output as _vpcwire_ipamd_v1_GetPoolStatusReply__Output } from '../../../vpcwire/ipamd/v1/GetPoolStatusReply.ts';
import type { GetPoolStatusRequest as _vpcwire_ipamd_v1_GetPoolStatusRequest, GetPoolStatusRequest__Output as _vpcwire_ipamd_v1_GetPoolStatusRequest__Output } from '../../../vpcwire/ipamd/v1/GetPoolStatusRequest.ts';
import type { GetStatusReply as _vpcwire_ipamd_v1_GetStatusReply, GetStatusReply__Output as _vpcwire_ipamd_v1_GetStatusReply__Output } from '../../../vpcwire/ipamd/v1/GetStatusReply.ts';
import type { GetStatusRequest as _vpcwire_ipamd_v1_GetStatusRequest, GetStatusRequest__Output as _vpcwire_ipamd_v1_GetStatusRequest__Output } from '../../../vpcwire/ipamd/v1/GetStatusRequest.ts';
import type { ListAllocationsReply as _vpcwire_ipamd_v1_ListAllocationsReply, ListAllocationsReply__Output as _vpcwire_ipamd_v1_ListAllocationsReply__Output } from '../../../vpcwire/ipamd/v1/ListAllocationsReply.ts';
import type { ListAllocationsRequest as _vpcwire_ipamd_v1_ListAllocationsRequest, ListAllocationsRequest__Output as _vpcwire_ipamd_v1_ListAllocationsRequest__Output } from '../../../vpcwire/ipamd/v1/ListAllocationsRequest.ts';

export interface IpamClient extends grpc.Client {
  AddNetwork(argument: _vpcwire_ipamd_v1_AddNetworkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_AddNetworkReply__Output>): grpc.ClientUnaryCall;
  AddNetwork(argument: _vpcwire_ipamd_v1_AddNetworkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vpcwire_ipamd_v1_AddNetworkReply__Output>): grpc.ClientUnaryCall;
  AddNetwork(argument: _vpcwire_ipamd_v1_AddNetworkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_AddNetworkReply__Output>): grpc.ClientUnaryCall;
  AddNetwork(argument: _vpcwire_ipamd_v1_AddNetworkRequest, callback: grpc.requestCallback<_vpcwire_ipamd_v1_AddNetworkReply__Output>): grpc.ClientUnaryCall;
  addNetwork(argument: _vpcwire_ipamd_v1_AddNetworkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_AddNetworkReply__Output>): grpc.ClientUnaryCall;
  addNetwork(argument: _vpcwire_ipamd_v1_AddNetworkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vpcwire_ipamd_v1_AddNetworkReply__Output>): grpc.ClientUnaryCall;
  addNetwork(argument: _vpcwire_ipamd_v1_AddNetworkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_AddNetworkReply__Output>): grpc.ClientUnaryCall;
  addNetwork(argument: _vpcwire_ipamd_v1_AddNetworkRequest, callback: grpc.requestCallback<_vpcwire_ipamd_v1_AddNetworkReply__Output>): grpc.ClientUnaryCall;
  
  DelNetwork(argument: _vpcwire_ipamd_v1_DelNetworkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_DelNetworkReply__Output>): grpc.ClientUnaryCall;
  DelNetwork(argument: _vpcwire_ipamd_v1_DelNetworkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vpcwire_ipamd_v1_DelNetworkReply__Output>): grpc.ClientUnaryCall;
  DelNetwork(argument: _vpcwire_ipamd_v1_DelNetworkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_DelNetworkReply__Output>): grpc.ClientUnaryCall;
  DelNetwork(argument: _vpcwire_ipamd_v1_DelNetworkRequest, callback: grpc.requestCallback<_vpcwire_ipamd_v1_DelNetworkReply__Output>): grpc.ClientUnaryCall;
  delNetwork(argument: _vpcwire_ipamd_v1_DelNetworkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_DelNetworkReply__Output>): grpc.ClientUnaryCall;
  delNetwork(argument: _vpcwire_ipamd_v1_DelNetworkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vpcwire_ipamd_v1_DelNetworkReply__Output>): grpc.ClientUnaryCall;
  delNetwork(argument: _vpcwire_ipamd_v1_DelNetworkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_DelNetworkReply__Output>): grpc.ClientUnaryCall;
  delNetwork(argument: _vpcwire_ipamd_v1_DelNetworkRequest, callback: grpc.requestCallback<_vpcwire_ipamd_v1_DelNetworkReply__Output>): grpc.ClientUnaryCall;
  
  GetPoolStatus(argument: _vpcwire_ipamd_v1_GetPoolStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetPoolStatusReply__Output>): grpc.ClientUnaryCall;
  GetPoolStatus(argument: _vpcwire_ipamd_v1_GetPoolStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetPoolStatusReply__Output>): grpc.ClientUnaryCall;
  GetPoolStatus(argument: _vpcwire_ipamd_v1_GetPoolStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetPoolStatusReply__Output>): grpc.ClientUnaryCall;
  GetPoolStatus(argument: _vpcwire_ipamd_v1_GetPoolStatusRequest, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetPoolStatusReply__Output>): grpc.ClientUnaryCall;
  getPoolStatus(argument: _vpcwire_ipamd_v1_GetPoolStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetPoolStatusReply__Output>): grpc.ClientUnaryCall;
  getPoolStatus(argument: _vpcwire_ipamd_v1_GetPoolStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetPoolStatusReply__Output>): grpc.ClientUnaryCall;
  getPoolStatus(argument: _vpcwire_ipamd_v1_GetPoolStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetPoolStatusReply__Output>): grpc.ClientUnaryCall;
  getPoolStatus(argument: _vpcwire_ipamd_v1_GetPoolStatusRequest, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetPoolStatusReply__Output>): grpc.ClientUnaryCall;
  
  GetStatus(argument: _vpcwire_ipamd_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetStatusReply__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _vpcwire_ipamd_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetStatusReply__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _vpcwire_ipamd_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetStatusReply__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _vpcwire_ipamd_v1_GetStatusRequest, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetStatusReply__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _vpcwire_ipamd_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetStatusReply__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _vpcwire_ipamd_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetStatusReply__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _vpcwire_ipamd_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetStatusReply__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _vpcwire_ipamd_v1_GetStatusRequest, callback: grpc.requestCallback<_vpcwire_ipamd_v1_GetStatusReply__Output>): grpc.ClientUnaryCall;
  
  ListAllocations(argument: _vpcwire_ipamd_v1_ListAllocationsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_ListAllocationsReply__Output>): grpc.ClientUnaryCall;
  ListAllocations(argument: _vpcwire_ipamd_v1_ListAllocationsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vpcwire_ipamd_v1_ListAllocationsReply__Output>): grpc.ClientUnaryCall;
  ListAllocations(argument: _vpcwire_ipamd_v1_ListAllocationsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_ListAllocationsReply__Output>): grpc.ClientUnaryCall;
  ListAllocations(argument: _vpcwire_ipamd_v1_ListAllocationsRequest, callback: grpc.requestCallback<_vpcwire_ipamd_v1_ListAllocationsReply__Output>): grpc.ClientUnaryCall;
  listAllocations(argument: _vpcwire_ipamd_v1_ListAllocationsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_ListAllocationsReply__Output>): grpc.ClientUnaryCall;
  listAllocations(argument: _vpcwire_ipamd_v1_ListAllocationsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vpcwire_ipamd_v1_ListAllocationsReply__Output>): grpc.ClientUnaryCall;
  listAllocations(argument: _vpcwire_ipamd_v1_ListAllocationsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vpcwire_ipamd_v1_ListAllocationsReply__Output>): grpc.ClientUnaryCall;
  listAllocations(argument: _vpcwire_ipamd_v1_ListAllocationsRequest, callback: grpc.requestCallback<_vpcwire_ipamd_v1_ListAllocationsReply__Output>): grpc.ClientUnaryCall;
  
}

export interface IpamHandlers extends grpc.UntypedServiceImplementation {
  AddNetwork: grpc.handleUnaryCall<_vpcwire_ipamd_v1_AddNetworkRequest__Output, _vpcwire_ipamd_v1_AddNetworkReply>;
  
  DelNetwork: grpc.handleUnaryCall<_vpcwire_ipamd_v1_DelNetworkRequest__Output, _vpcwire_ipamd_v1_DelNetworkReply>;
  
  GetPoolStatus: grpc.handleUnaryCall<_vpcwire_ipamd_v1_GetPoolStatusRequest__Output, _vpcwire_ipamd_v1_GetPoolStatusReply>;
  
  GetStatus: grpc.handleUnaryCall<_vpcwire_ipamd_v1_GetStatusRequest__Output, _vpcwire_ipamd_v1_GetStatusReply>;
  
  ListAllocations: grpc.handleUnaryCall<_vpcwire_ipamd_v1_ListAllocationsRequest__Output, _vpcwire_ipamd_v1_ListAllocationsReply>;
  
}

export interface IpamDefinition extends grpc.ServiceDefinition {
  AddNetwork: MethodDefinition<_vpcwire_ipamd_v1_AddNetworkRequest, _vpcwire_ipamd_v1_AddNetworkReply, _vpcwire_ipamd_v1_AddNetworkRequest__Output, _vpcwire_ipamd_v1_AddNetworkReply__Output>
  DelNetwork: MethodDefinition<_vpcwire_ipamd_v1_DelNetworkRequest, _vpcwire_ipamd_v1_DelNetworkReply, _vpcwire_ipamd_v1_DelNetworkRequest__Output, _vpcwire_ipamd_v1_DelNetworkReply__Output>
  GetPoolStatus: MethodDefinition<_vpcwire_ipamd_v1_GetPoolStatusRequest, _vpcwire_ipamd_v1_GetPoolStatusReply, _vpcwire_ipamd_v1_GetPoolStatusRequest__Output, _vpcwire_ipamd_v1_GetPoolStatusReply__Output>
  GetStatus: MethodDefinition<_vpcwire_ipamd_v1_GetStatusRequest, _vpcwire_ipamd_v1_GetStatusReply, _vpcwire_ipamd_v1_GetStatusRequest__Output, _vpcwire_ipamd_v1_GetStatusReply__Output>
  ListAllocations: MethodDefinition<_vpcwire_ipamd_v1_ListAllocationsRequest, _vpcwire_ipamd_v1_ListAllocationsReply, _vpcwire_ipamd_v1_ListAllocationsRequest__Output, _vpcwire_ipamd_v1_ListAllocationsReply__Output>
}
