/**
 * The one builder of ipamd's environment against the emulator (issue 10 item 4): the local
 * cluster's nodes, the tests' ipamd processes and the benchmarks all start ipamd with it, so a new
 * required variable or a safety default (host networking off without a node netns) is set once.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../sim/emulator.ts';

export interface IpamdFiles {
  readonly socket: string;
  readonly checkpoint: string;
  readonly releaseNotesDir: string;
  /** AWS_VPC_K8S_CNI_LOG_FILE: a path, or 'stdout' / 'stderr'. */
  readonly logFile: string;
  /** A directory of files named after live pod veths (ipamd's sysfs stand-in for tests without a node netns). */
  readonly netDir?: string;
}

/**
 * IRSA for ipamd: the variables the EKS pod identity webhook injects (role ARN, token file) plus
 * the emulator's STS endpoint, so the SDK's default chain exchanges the token for the role's
 * session and ipamd acts with that role's policies (sim `iam`) instead of the admin keys.
 */
export interface WebIdentity {
  readonly roleArn: string;
  /** A file holding a service-account token the emulator's OIDC issuer signed (`sim.oidc`). */
  readonly tokenFile: string;
  readonly sessionName?: string;
}

/**
 * ipamd's variables for one emulated instance: the emulator's EC2 endpoint and credentials, the
 * instance's IMDS, the given files. With `netns` ipamd does its host networking in that node
 * netns; without, host networking is off, so it never configures this machine's own netns. With
 * `webIdentity` ipamd gets no static keys and assumes that role through the emulator's STS.
 */
export function ipamdEnv(
  sim: Emulator,
  instanceId: string,
  files: IpamdFiles,
  opts: { netns?: string; compileCache?: boolean; webIdentity?: WebIdentity } = {},
): Record<string, string> {
  const credentials: Record<string, string> = opts.webIdentity
    ? {
        AWS_ROLE_ARN: opts.webIdentity.roleArn,
        AWS_WEB_IDENTITY_TOKEN_FILE: opts.webIdentity.tokenFile,
        AWS_ROLE_SESSION_NAME: opts.webIdentity.sessionName ?? `ipamd-${instanceId}`,
        AWS_ENDPOINT_URL_STS: sim.endpoints.sts,
      }
    : { AWS_ACCESS_KEY_ID: sim.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: sim.credentials.secretAccessKey };
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    // V8's code cache for ipamd's modules (AWS SDK, gRPC, winston): restarts start in about half
    // the time. Off for benchmarks that time a cold start.
    ...(opts.compileCache === false ? {} : { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'vpcwire-node-compile-cache') }),
    AWS_REGION: sim.region,
    ...credentials,
    AWS_EC2_ENDPOINT: sim.endpoints.ec2,
    AWS_EC2_METADATA_DISABLED: 'true',
    VPCWIRE_IMDS_ENDPOINT: sim.imdsEndpoint(instanceId),
    ...(opts.netns ? { VPCWIRE_HOST_NETNS: opts.netns, VPCWIRE_HOST_NETWORK: 'true' } : { VPCWIRE_HOST_NETWORK: 'false' }),
    VPCWIRE_SOCKET: files.socket,
    VPCWIRE_CHECKPOINT: files.checkpoint,
    VPCWIRE_RELEASE_NOTES_DIR: files.releaseNotesDir,
    ...(files.netDir ? { VPCWIRE_NET_DIR: files.netDir } : {}),
    // Many ipamds share this machine: upstream's fixed ports would collide, and the metrics port
    // would listen on every interface. Loopback and any free port; a test that scrapes sets its own.
    VPCWIRE_METRICS_BIND_ADDRESS: '127.0.0.1:0',
    INTROSPECTION_BIND_ADDRESS: '127.0.0.1:0',
    AWS_VPC_K8S_CNI_LOGLEVEL: 'INFO',
    AWS_VPC_K8S_CNI_LOG_FILE: files.logFile,
  };
}
