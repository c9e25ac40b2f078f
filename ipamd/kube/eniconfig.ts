/**
 * Custom networking (issue 11 item 2): secondary ENIs go to the subnet and security groups of the
 * ENIConfig the Node names (upstream's CRD, crd.k8s.amazonaws.com/v1alpha1, cluster-scoped), and
 * the primary ENI's addresses hold no pods. The ENIConfig is looked up at each new ENI, so a Node
 * relabelled to another ENIConfig gets its next ENIs there; ENIs of the old one no longer match
 * (`current`) and are drained (warm-pool: retired). A missing or invalid ENIConfig stops growth,
 * with a log line and an Event, while the addresses already held are still served.
 */
import { IpamdError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { EniPlacement, EniTarget, PlacementView } from '../placement/types.ts';
import type * as k8s from '@kubernetes/client-node';
import { kubeClient } from './client.ts';
import { eniConfigNameOf } from './node.ts';
import type { KubeSettings } from './settings.ts';
import { Watched } from './watch.ts';

export interface EniConfig extends k8s.KubernetesObject {
  spec?: { subnet?: unknown; securityGroups?: unknown };
}

export const ENICONFIG_GROUP = 'crd.k8s.amazonaws.com';
export const ENICONFIG_VERSION = 'v1alpha1';

export function watchEniConfigs(kc: k8s.KubeConfig, logger: Logger): Watched<EniConfig> {
  const api = kc.makeApiClient(kubeClient().CustomObjectsApi);
  return new Watched<EniConfig>({
    kc,
    path: `/apis/${ENICONFIG_GROUP}/${ENICONFIG_VERSION}/eniconfigs`,
    what: 'ENIConfigs',
    list: () => api.listClusterCustomObject({ group: ENICONFIG_GROUP, version: ENICONFIG_VERSION, plural: 'eniconfigs' }) as Promise<k8s.KubernetesListObject<EniConfig>>,
    logger,
  });
}

/** A subnet as EC2 describes it; undefined when EC2 does not know it. */
export interface SubnetInfo {
  readonly id: string;
  readonly cidr: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
}

export interface EniConfigPlacementDeps {
  readonly node: Watched<k8s.V1Node>;
  readonly eniConfigs: Watched<EniConfig>;
  readonly settings: Pick<KubeSettings, 'eniConfigLabelDef' | 'eniConfigAnnotationDef'>;
  readonly subnet: (id: string) => Promise<SubnetInfo | undefined>;
  /** The instance's VPC and zone: an ENIConfig's subnet must be in both. */
  readonly vpcId: string;
  readonly availabilityZone: string;
  /** The primary ENI's security groups: what an ENIConfig without securityGroups means (upstream). */
  readonly primaryGroupIds: readonly string[];
}

const SUBNET_ID = /^subnet-[0-9a-f]+$/;
const SG_ID = /^sg-[0-9a-f]+$/;

function unavailable(message: string): IpamdError {
  return new IpamdError('IPAMD_PLACEMENT_UNAVAILABLE', message);
}

export class EniConfigPlacement implements EniPlacement {
  readonly podsOnPrimaryEni = false;
  readonly #d: EniConfigPlacementDeps;

  constructor(d: EniConfigPlacementDeps) {
    this.#d = d;
  }

  /** The ENIConfig name the Node names now, or undefined while the Node is not known. */
  configName(): string | undefined {
    const node = this.#d.node.list()[0];
    return node ? eniConfigNameOf(node, this.#d.settings) : undefined;
  }

  /** The ENIConfig's spec, checked; throws IPAMD_PLACEMENT_UNAVAILABLE naming what is wrong. */
  #spec(): { name: string; subnet: string; groupIds: readonly string[] } {
    if (!this.#d.node.isSynced) throw unavailable('custom networking: the Node is not known yet (waiting for the API server)');
    const name = this.configName();
    if (name === undefined) throw unavailable('custom networking: the Node object does not exist in the API server');
    if (!this.#d.eniConfigs.isSynced) throw unavailable(`custom networking: ENIConfig ${name} cannot be read yet (waiting for the API server)`);
    const cfg = this.#d.eniConfigs.get(name);
    if (!cfg) throw unavailable(`custom networking: ENIConfig ${name} does not exist (named by the Node, or the default); no new ENI until it does`);
    const subnet = cfg.spec?.subnet;
    if (typeof subnet !== 'string' || !SUBNET_ID.test(subnet)) {
      throw unavailable(`custom networking: ENIConfig ${name} has spec.subnet ${JSON.stringify(subnet)}, expected a subnet ID (subnet-...)`);
    }
    const sgs = cfg.spec?.securityGroups ?? [];
    if (!Array.isArray(sgs) || sgs.some((g) => typeof g !== 'string' || !SG_ID.test(g))) {
      throw unavailable(`custom networking: ENIConfig ${name} has spec.securityGroups ${JSON.stringify(sgs)}, expected security group IDs (sg-...)`);
    }
    return { name, subnet, groupIds: sgs.length > 0 ? (sgs as string[]) : this.#d.primaryGroupIds };
  }

  async next(): Promise<EniTarget> {
    const spec = this.#spec();
    const info = await this.#d.subnet(spec.subnet);
    if (!info) throw unavailable(`custom networking: ENIConfig ${spec.name} names subnet ${spec.subnet}, which EC2 does not know`);
    if (info.vpcId !== this.#d.vpcId) {
      throw unavailable(`custom networking: ENIConfig ${spec.name} names subnet ${spec.subnet} of ${info.vpcId}, not this node's VPC ${this.#d.vpcId}`);
    }
    if (info.availabilityZone !== this.#d.availabilityZone) {
      throw unavailable(
        `custom networking: ENIConfig ${spec.name} names subnet ${spec.subnet} in ${info.availabilityZone}, but this node is in ${this.#d.availabilityZone} (an ENIConfig per zone, named after it, is the usual layout)`,
      );
    }
    return { subnetId: spec.subnet, subnetCidr: info.cidr, groupIds: spec.groupIds, source: `eniconfig/${spec.name}` };
  }

  describe(): PlacementView {
    try {
      const spec = this.#spec();
      return { source: 'eniconfig', eniConfig: spec.name, subnetId: spec.subnet, securityGroups: spec.groupIds };
    } catch (e) {
      const name = this.configName();
      return { source: 'eniconfig', ...(name ? { eniConfig: name } : {}), problem: (e as Error).message };
    }
  }

  current(eni: { readonly subnetId: string; readonly groupIds: readonly string[] }): boolean {
    let spec;
    try {
      spec = this.#spec();
    } catch {
      // Nothing to compare with (no Node, no ENIConfig): retire nothing on uncertainty.
      return true;
    }
    const want = new Set(spec.groupIds);
    return eni.subnetId === spec.subnet && eni.groupIds.length === want.size && eni.groupIds.every((g) => want.has(g));
  }
}
