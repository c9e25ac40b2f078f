/**
 * How the image tests run the image as the DaemonSet does (charts/vpcwire/templates/daemonset.yaml):
 * the host directories it mounts, made under a temporary dir, as podman `-v` arguments, and ipamd's
 * environment against the emulator. One home for both image tests.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Emulator } from '../../sim/emulator.ts';

/** runc here cannot raise limits above the test's own (podman would ask for more; DESIGN.md §7). */
export const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

/** Creates the DaemonSet's host paths under `dir` and returns them as podman volume arguments. */
export function daemonSetMounts(dir: string, extra: readonly [string, string][] = []): string[] {
  for (const d of ['bin', 'net.d', 'log', 'run', 'state']) mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  chmodSync(join(dir, 'run'), 0o700); // ipamd's socket dir must be its own
  writeFileSync(join(dir, 'xtables.lock'), '');
  return [
    [join(dir, 'bin'), '/opt/cni/bin'],
    [join(dir, 'net.d'), '/etc/cni/net.d'],
    [join(dir, 'log'), '/var/log/vpcwire'],
    [join(dir, 'run'), '/run/vpcwire'],
    [join(dir, 'state'), '/var/lib/vpcwire'],
    [join(dir, 'xtables.lock'), '/run/xtables.lock'],
    ...extra,
  ].flatMap(([h, c]) => ['-v', `${h}:${c}`]);
}

/** ipamd's variables for the emulated instance `node`, logging to the mounted log dir, as podman `-e` arguments. */
export function ipamdEnvArgs(sim: Emulator, node: string, extra: Record<string, string>): string[] {
  const id = sim.instance(node).id;
  const env = {
    AWS_REGION: sim.region,
    AWS_ACCESS_KEY_ID: sim.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sim.credentials.secretAccessKey,
    AWS_EC2_ENDPOINT: sim.endpoints.ec2,
    AWS_EC2_METADATA_DISABLED: 'true',
    VPCWIRE_IMDS_ENDPOINT: sim.imdsEndpoint(id),
    AWS_VPC_K8S_CNI_LOG_FILE: '/var/log/vpcwire/ipamd.log',
    MY_NODE_NAME: node,
    ...extra,
  };
  return Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
}
