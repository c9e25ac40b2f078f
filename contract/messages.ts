/**
 * The allocation API's messages by their plain names, as both transports carry them: the
 * `__Output` types generated from ipamd.proto and health.proto (generated/, `npm run
 * contract:gen`): snake_case fields as in the .proto, every field present, int64 as a decimal
 * string, enums by name. Types only: importing this file loads nothing at run time.
 */
import type { AddNetworkReply__Output } from './generated/vpcwire/ipamd/v1/AddNetworkReply.ts';
import type { AddNetworkRequest__Output } from './generated/vpcwire/ipamd/v1/AddNetworkRequest.ts';
import type { DelNetworkReply__Output } from './generated/vpcwire/ipamd/v1/DelNetworkReply.ts';
import type { DelNetworkRequest__Output } from './generated/vpcwire/ipamd/v1/DelNetworkRequest.ts';
import type { GetPoolStatusReply__Output } from './generated/vpcwire/ipamd/v1/GetPoolStatusReply.ts';
import type { GetPoolStatusRequest__Output } from './generated/vpcwire/ipamd/v1/GetPoolStatusRequest.ts';
import type { GetStatusReply__Output } from './generated/vpcwire/ipamd/v1/GetStatusReply.ts';
import type { GetStatusRequest__Output } from './generated/vpcwire/ipamd/v1/GetStatusRequest.ts';
import type { ListAllocationsReply__Output } from './generated/vpcwire/ipamd/v1/ListAllocationsReply.ts';
import type { ListAllocationsRequest__Output } from './generated/vpcwire/ipamd/v1/ListAllocationsRequest.ts';

export type { AddNetworkReply__Output as AddNetworkReply } from './generated/vpcwire/ipamd/v1/AddNetworkReply.ts';
export type { AddNetworkRequest__Output as AddNetworkRequest } from './generated/vpcwire/ipamd/v1/AddNetworkRequest.ts';
export type { Address__Output as Address } from './generated/vpcwire/ipamd/v1/Address.ts';
export type { AddressState__Output as AddressState } from './generated/vpcwire/ipamd/v1/AddressState.ts';
export type { Allocation__Output as Allocation } from './generated/vpcwire/ipamd/v1/Allocation.ts';
export type { DelNetworkReply__Output as DelNetworkReply } from './generated/vpcwire/ipamd/v1/DelNetworkReply.ts';
export type { DelNetworkRequest__Output as DelNetworkRequest } from './generated/vpcwire/ipamd/v1/DelNetworkRequest.ts';
export type { Eni__Output as Eni } from './generated/vpcwire/ipamd/v1/Eni.ts';
export type { GetPoolStatusReply__Output as GetPoolStatusReply } from './generated/vpcwire/ipamd/v1/GetPoolStatusReply.ts';
export type { GetStatusReply__Output as GetStatusReply } from './generated/vpcwire/ipamd/v1/GetStatusReply.ts';
export type { ListAllocationsReply__Output as ListAllocationsReply } from './generated/vpcwire/ipamd/v1/ListAllocationsReply.ts';
export type { Prefix__Output as Prefix } from './generated/vpcwire/ipamd/v1/Prefix.ts';
export type { HealthCheckRequest__Output as HealthCheckRequest } from './generated/grpc/health/v1/HealthCheckRequest.ts';
export type {
  HealthCheckResponse__Output as HealthCheckResponse,
  _grpc_health_v1_HealthCheckResponse_ServingStatus__Output as ServingStatus,
} from './generated/grpc/health/v1/HealthCheckResponse.ts';

/** Every request of service Ipam carries the client's API version (api.ts). */
export interface VersionedRequest {
  client_version: string;
}

/** Service vpcwire.ipamd.v1.Ipam, method by method: what the request and the reply are. */
export interface IpamMethods {
  AddNetwork: { request: AddNetworkRequest__Output; reply: AddNetworkReply__Output };
  DelNetwork: { request: DelNetworkRequest__Output; reply: DelNetworkReply__Output };
  GetStatus: { request: GetStatusRequest__Output; reply: GetStatusReply__Output };
  ListAllocations: { request: ListAllocationsRequest__Output; reply: ListAllocationsReply__Output };
  GetPoolStatus: { request: GetPoolStatusRequest__Output; reply: GetPoolStatusReply__Output };
}
