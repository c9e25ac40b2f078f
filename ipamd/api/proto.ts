/**
 * Loads contract/ipamd.proto and contract/health.proto once. Loader options, the same for server,
 * client and the generated types (contract/generate.ts), so contract/messages.ts types these objects:
 * keepCase so the wire objects' field names are exactly the .proto's (snake_case marks a wire
 * object; vpcwire's own types are camelCase), int64 as decimal strings, enums as their names,
 * and defaults so absent proto3 fields read as '', 0, false, [] or {}.
 */
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { HEALTH_SERVICE, IPAM_SERVICE } from '../../contract/api.ts';

export const IPAMD_PROTO_PATH = new URL('../../contract/ipamd.proto', import.meta.url).pathname;
export const HEALTH_PROTO_PATH = new URL('../../contract/health.proto', import.meta.url).pathname;

export const LOADER_OPTIONS: Options = { keepCase: true, longs: String, enums: String, defaults: true };

export { HEALTH_SERVICE, IPAM_SERVICE } from '../../contract/api.ts';

interface Loaded {
  readonly ipam: ServiceClientConstructor;
  readonly health: ServiceClientConstructor;
}

let loaded: Loaded | undefined;

const lookup = (root: GrpcObject, qualified: string): ServiceClientConstructor => {
  let node: unknown = root;
  for (const part of qualified.split('.')) node = (node as Record<string, unknown>)[part];
  return node as ServiceClientConstructor;
};

function load(): Loaded {
  if (!loaded) {
    const ipamRoot = loadPackageDefinition(loadSync(IPAMD_PROTO_PATH, LOADER_OPTIONS));
    const healthRoot = loadPackageDefinition(loadSync(HEALTH_PROTO_PATH, LOADER_OPTIONS));
    loaded = { ipam: lookup(ipamRoot, IPAM_SERVICE), health: lookup(healthRoot, HEALTH_SERVICE) };
  }
  return loaded;
}

export const ipamService = (): ServiceDefinition => load().ipam.service;
export const healthService = (): ServiceDefinition => load().health.service;
export const IpamClientCtor = (): ServiceClientConstructor => load().ipam;
export const HealthClientCtor = (): ServiceClientConstructor => load().health;
