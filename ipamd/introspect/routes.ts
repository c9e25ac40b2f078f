/**
 * The introspection routes (issue 13), modelled on upstream's pkg/ipamd/introspect.go: JSON views
 * of the pool, the targets and the planner's last decision, the placement in force, the settings.
 *
 * Container IDs and interface names never appear (upstream scrubs them too): with the CNI triple a
 * local process could forge a DelNetwork and take a running pod's address. Pods are shown by
 * namespace and name only. Credentials never appear either (env-settings lists only the variables
 * ipamd reads, never the AWS keys or tokens).
 */
import type { Config } from '../config.ts';
import type { Datastore } from '../datastore/datastore.ts';
import type { DriftLog } from '../drift.ts';
import { readPool } from '../metrics/pool-reading.ts';
import type { Reconciler } from '../reconciler.ts';

/**
 * A route: the request's query in, a status and a JSON body out (and headers: a busy route's
 * Retry-After). Other modules add their own (history).
 */
export type Route = (query: URLSearchParams) => Promise<{ status: number; body: unknown; headers?: Readonly<Record<string, string>> }>;
export type Routes = Record<string, Route>;

export interface RouteSources {
  readonly store: Datastore;
  readonly reconciler: Reconciler;
  readonly config: Config;
  readonly drift: DriftLog;
  readonly instanceId: string;
  readonly now: () => number;
  /** The process environment, for env-settings (filtered). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Upstream's variable families plus vpcwire's own; anything that looks like a secret is left out. */
const READ_VARIABLES = /^(AWS_VPC_|WARM_|MINIMUM_IP_TARGET$|ENABLE_|DISABLE_|VPCWIRE_|MAX_ENI$|CLUSTER_NAME$|CLUSTER_ENDPOINT$|ADDITIONAL_ENI_TAGS$|IP_COOLDOWN_PERIOD$|INTROSPECTION_BIND_ADDRESS$|ENI_CONFIG_|ANNOTATE_POD_IP$|AWS_REGION$|AWS_DEFAULT_REGION$|AWS_EC2_ENDPOINT$|MY_NODE_NAME$)/;
const SECRET = /SECRET|TOKEN|PASSWORD|CREDENTIAL|ACCESS_KEY/i;
/** Upstream's ipam-env-settings and networkutils-env-settings: the parsed value of each variable. */
const IPAM_VARIABLES = ['WARM_ENI_TARGET', 'WARM_IP_TARGET', 'MINIMUM_IP_TARGET', 'WARM_PREFIX_TARGET', 'ENABLE_PREFIX_DELEGATION', 'MAX_ENI', 'IP_COOLDOWN_PERIOD', 'AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG', 'ENABLE_SUBNET_DISCOVERY'];

const ok = (body: unknown) => Promise.resolve({ status: 200, body });

/** The parsed configuration as JSON, anything secret-looking redacted. */
function effectiveSettings(config: Config): unknown {
  return JSON.parse(JSON.stringify(config, (k, v: unknown) => (k && SECRET.test(k) ? '[redacted]' : v)));
}

export function ipamdRoutes(s: RouteSources): Routes {
  const pool = () => readPool(s.store, s.reconciler, s.config, s.now());
  const podOf = () => new Map(s.store.allocations().map((a) => [a.ip, { namespace: a.pod.namespace, name: a.pod.name, allocatedAt: a.allocatedAt, ...(a.recovered ? { recovered: true } : {}) }]));
  const decision = () => {
    const d = s.reconciler.lastDecision;
    return d ? { kind: d.step.kind, reason: d.step.reason, at: new Date(d.at).toISOString(), ...(d.blocked ? { growthBlocked: d.blocked } : {}) } : null;
  };
  return {
    '/v1/enis': () => {
      const pods = podOf();
      const addrs = s.store.addresses(s.now());
      const retired = new Map(pool().enis.map((e) => [e.id, e.retired]));
      return ok({
        instanceId: s.instanceId,
        enis: s.store.enis().map((e) => ({
          id: e.id,
          deviceIndex: e.deviceIndex,
          mac: e.mac,
          isPrimary: e.isPrimary,
          retired: retired.get(e.id) === true,
          subnetCidr: e.subnetCidr,
          primaryIp: e.primaryIp,
          createdAt: new Date(e.createdAt).toISOString(),
          prefixes: e.prefixes,
          addresses: addrs
            .filter((a) => a.eniId === e.id)
            .map((a) => ({
              ip: a.ip,
              state: a.state,
              ...(a.prefix ? { prefix: a.prefix } : {}),
              ...(a.coolingUntil !== undefined && a.state === 'cooling' ? { coolingUntil: new Date(a.coolingUntil).toISOString() } : {}),
              ...(pods.has(a.ip) ? { pod: pods.get(a.ip) } : {}),
            })),
        })),
      });
    },
    '/v1/pool': () => {
      const p = pool();
      return ok({
        totals: p.totals,
        prefixes: p.prefixes,
        eniMax: p.eniMax,
        ipMax: p.ipMax,
        enis: p.enis.map((e) => ({
          id: e.id,
          retired: e.retired,
          ...e.counts,
          prefixes: e.prefixes,
          coolingEnds: e.cooling.map((c) => ({ ip: c.ip, at: new Date(c.until).toISOString() })),
        })),
        growthPausedUntil: p.growthPausedUntil ? new Date(p.growthPausedUntil).toISOString() : null,
        hostSetupPending: Object.fromEntries(p.hostPending),
        prewarm: { expectedPods: p.expectedPods, reservedAddresses: p.reservedForExpected },
      });
    },
    '/v1/targets': () => {
      const p = pool();
      return ok({ targets: p.targets, limits: s.reconciler.limits, lastDecision: decision() });
    },
    '/v1/eni-configs': () => {
      const { current, lastPlaced } = s.reconciler.placement;
      return ok({
        inForce: current.describe?.() ?? null,
        podsOnPrimaryEni: current.podsOnPrimaryEni,
        lastEniPlaced: lastPlaced ? { ...lastPlaced, at: new Date(lastPlaced.at).toISOString() } : null,
        customNetworking: s.config.kube.customNetwork,
        eniConfigLabelDef: s.config.kube.eniConfigLabelDef,
        eniConfigAnnotationDef: s.config.kube.eniConfigAnnotationDef,
        subnetDiscovery: s.config.subnetDiscovery,
        // Where each ENI sits, as EC2 last showed it (null until a resync has seen it attached),
        // and whether it still matches the placement (one that does not is retired: no new pods,
        // freed once empty).
        enis: s.store.enis().map((e) => {
          const p = s.reconciler.placements.get(e.id);
          return { id: e.id, subnetId: p?.subnetId ?? null, securityGroups: p?.groupIds ?? null, current: p ? current.current(p) : null };
        }),
      });
    },
    '/v1/env-settings': () =>
      ok(Object.fromEntries(Object.entries(s.env).filter(([k, v]) => v !== undefined && READ_VARIABLES.test(k) && !SECRET.test(k)).sort())),
    '/v1/ipam-env-settings': () => ok(ipamSettings(s.config)),
    '/v1/networkutils-env-settings': () =>
      ok({
        AWS_VPC_K8S_CNI_EXTERNALSNAT: s.config.externalSnat,
        AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: s.config.excludeSnatCidrs,
        AWS_VPC_K8S_CNI_RANDOMIZESNAT: s.config.randomizeSnat,
        AWS_VPC_K8S_CNI_VETHPREFIX: s.config.vethPrefix,
        AWS_VPC_ENI_MTU: s.config.eniMtu,
      }),
    '/v1/settings': () => ok(effectiveSettings(s.config)),
    '/v1/drift': () => ok({ found: s.drift.counts(), repaired: s.drift.repairedCounts() }),
  };
}

function ipamSettings(c: Config): Record<string, unknown> {
  const v: Record<string, unknown> = {
    WARM_ENI_TARGET: c.warmEniTarget,
    WARM_IP_TARGET: c.warmIpTarget ?? null,
    MINIMUM_IP_TARGET: c.minimumIpTarget ?? null,
    WARM_PREFIX_TARGET: c.warmPrefixTarget ?? null,
    ENABLE_PREFIX_DELEGATION: c.prefixDelegation,
    MAX_ENI: c.maxEni ?? null,
    IP_COOLDOWN_PERIOD: c.ipCooldownMs / 1000,
    AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: c.kube.customNetwork,
    ENABLE_SUBNET_DISCOVERY: c.subnetDiscovery,
  };
  return Object.fromEntries(IPAM_VARIABLES.map((k) => [k, v[k]]));
}
