/**
 * Naming of everything the kernel data plane creates, so that it can be found and cleaned up:
 * every namespace starts with `vpcw-<id>-`, where id is a short token unique per emulator.
 */
import { DataPlaneError } from './errors.ts';

export const NAME_PREFIX = 'vpcw-';
/** Linux IFNAMSIZ is 16 including the NUL. */
export const MAX_IFNAME = 15;

/** Lowercase letters and digits only, so `vpcw-<id>-` can never be a prefix of another emulator's names. */
export function checkEmulatorId(id: string): string {
  if (!/^[a-z0-9]{1,16}$/.test(id)) {
    throw new DataPlaneError(
      'SIM_DATAPLANE_INVALID_ARGUMENT',
      `opts.id must be 1-16 lowercase letters or digits, got ${JSON.stringify(id)}`,
    );
  }
  return id;
}

export const namespacePrefix = (id: string): string => `${NAME_PREFIX}${id}-`;

/** The single "VPC router" namespace every ENI is linked to. */
export const routerNetnsName = (id: string): string => `${namespacePrefix(id)}vpc`;

const checkAwsId = (value: string, what: string): string => {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(value)) {
    throw new DataPlaneError(
      'SIM_DATAPLANE_INVALID_ARGUMENT',
      `${what}: expected letters, digits and '-', got ${JSON.stringify(value)}`,
    );
  }
  return value;
};

/**
 * `vpcw-<id>-<last 8 chars of the instance id>`; with `full`, the whole id without `i-` (used when
 * two live instances share their last 8 characters).
 */
export function nodeNetnsName(id: string, instanceId: string, full = false): string {
  checkAwsId(instanceId, 'instanceId');
  const suffix = full ? instanceId.replace(/^i-/, '') : instanceId.slice(-8);
  // 'vpc' is the router's suffix; an instance id of "vpc" would be absurd but must not alias it.
  return `${namespacePrefix(id)}${suffix === 'vpc' ? 'i-vpc' : suffix}`;
}

/** Node-side link of an ENI, as the EKS AMI names them; other network cards get a card tag. */
export function nodeLinkName(deviceIndex: number, networkCard = 0): string {
  return networkCard === 0 ? `eth${deviceIndex}` : `eth${deviceIndex}nc${networkCard}`;
}

/**
 * Router-side link of an ENI: `r` + the last 14 characters of the id without `eni-` (15 in all).
 * EC2 ids carry 17 hex digits, so two ENIs of one emulator only collide if 56 random bits do;
 * the data plane still checks and refuses a collision rather than sharing a link.
 */
export function routerLinkName(eniId: string): string {
  checkAwsId(eniId, 'eniId');
  const body = eniId.replace(/^eni-/, '').replaceAll('-', '');
  return `r${body.slice(-(MAX_IFNAME - 1))}`;
}
