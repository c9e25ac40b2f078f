/**
 * The allocation API's constants (DESIGN.md §4), shared by ipamd (which serves it) and the CNI
 * plugin (which calls it): the version requests carry, the service names, and the error markers
 * whose meaning ipamd.proto's header defines.
 */

/**
 * The allocation API's version: semantic versioning of the protocol in ipamd.proto, not of the
 * vpcwire package. A client built for 1.x talks to any 1.y ipamd; a new major means a breaking
 * change to the messages' meaning. Requests carry it as client_version.
 */
export const API_VERSION = '1.1.0';

/** Fully qualified service names, as the health service and stock clients name them. */
export const IPAM_SERVICE = 'vpcwire.ipamd.v1.Ipam';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/**
 * RESOURCE_EXHAUSTED whose message starts with this means the warm pool is momentarily empty: the
 * plugin answers CNI error 11 (try again later) and the runtime retries the sandbox.
 */
export const POOL_EMPTY_MARKER = 'POOL_EMPTY:';

/** The message of UNAVAILABLE on AddNetwork and DelNetwork while ipamd starts or stops. */
export const NOT_SERVING_MESSAGE = 'ipamd is not serving yet (starting) or any more (stopping)';
