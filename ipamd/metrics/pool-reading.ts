/**
 * The pool as metrics and introspection show it, read from the datastore and the reconciler at the
 * moment of asking (issue 13: gauges are computed at scrape time, not kept up to date on every
 * allocation). Pure reading: no prom-client, so introspection shares it with metrics off.
 */
import type { AddressState } from '../../warm-pool/index.ts';
import type { Config } from '../config.ts';
import type { Datastore } from '../datastore/datastore.ts';
import { podAddressCapacity } from '../max-pods.ts';
import type { Decision, Reconciler } from '../reconciler.ts';

export interface EniReading {
  readonly id: string;
  readonly deviceIndex: number;
  readonly isPrimary: boolean;
  readonly retired: boolean;
  readonly subnetCidr: string;
  readonly counts: Readonly<Record<AddressState, number>>;
  readonly prefixes: number;
  /** Cooling addresses and when each becomes usable again (epoch ms). */
  readonly cooling: readonly { readonly ip: string; readonly until: number }[];
  /** Assigned addresses per CIDR (a /32 per secondary IP, the /28 for a prefix), as upstream. */
  readonly assignedPerCidr: ReadonlyMap<string, number>;
}

export interface PoolReading {
  readonly enis: readonly EniReading[];
  readonly totals: Readonly<Record<AddressState, number>>;
  readonly prefixes: number;
  /** ENIs the instance may have: the instance type's, lowered by MAX_ENI. */
  readonly eniMax: number;
  /** Addresses the instance can hold for pods. */
  readonly ipMax: number;
  /** Targets in force, by contract/metrics.ts POOL_TARGETS name; unset ones absent. */
  readonly targets: Readonly<Record<string, number>>;
  readonly decision: Decision | undefined;
  /** Growth paused after subnet exhaustion until (epoch ms), or 0. */
  readonly growthPausedUntil: number;
  /** ENIs attached in EC2 but kept out of the pool while their host setup fails, and why. */
  readonly hostPending: ReadonlyMap<string, string>;
  readonly expectedPods: number;
  /** Free addresses held for expected pods rather than counted as warm. */
  readonly reservedForExpected: number;
}

const zero = (): Record<AddressState, number> => ({ free: 0, assigned: 0, cooling: 0 });

export function readPool(store: Datastore, reconciler: Reconciler, config: Config, now: number): PoolReading {
  const addresses = store.addresses(now);
  const views = new Map(store.snapshot(now).enis.map((v) => [v.id, v]));
  const totals = zero();
  const byEni = new Map<string, { counts: Record<AddressState, number>; cooling: { ip: string; until: number }[]; perCidr: Map<string, number> }>();
  for (const e of store.enis()) byEni.set(e.id, { counts: zero(), cooling: [], perCidr: new Map() });
  for (const a of addresses) {
    totals[a.state]++;
    const e = byEni.get(a.eniId);
    if (!e) continue;
    e.counts[a.state]++;
    if (a.state === 'cooling') e.cooling.push({ ip: a.ip, until: a.coolingUntil ?? now });
    const cidr = a.prefix ?? `${a.ip}/32`;
    if (a.state === 'assigned') e.perCidr.set(cidr, (e.perCidr.get(cidr) ?? 0) + 1);
    else if (!e.perCidr.has(cidr)) e.perCidr.set(cidr, 0);
  }
  const enis: EniReading[] = store.enis().map((e) => {
    const r = byEni.get(e.id)!;
    return {
      id: e.id,
      deviceIndex: e.deviceIndex,
      isPrimary: e.isPrimary,
      retired: views.get(e.id)?.retired === true,
      subnetCidr: e.subnetCidr,
      counts: r.counts,
      prefixes: e.prefixes.length,
      cooling: r.cooling,
      assignedPerCidr: r.perCidr,
    };
  });
  const t = reconciler.targets;
  const limits = reconciler.limits;
  const targets: Record<string, number> = {};
  const put = (name: string, v: number | undefined) => {
    if (v !== undefined) targets[name] = v;
  };
  // WARM_ENI_TARGET is ignored once an IP target is set (upstream), so it is only shown in force then.
  if (t.warmIpTarget === undefined && t.minimumIpTarget === undefined && !(t.prefixMode && t.warmPrefixTarget !== undefined)) put('warm_eni', t.warmEniTarget);
  put('warm_ip', t.warmIpTarget);
  put('minimum_ip', t.minimumIpTarget);
  put('warm_prefix', t.prefixMode ? t.warmPrefixTarget : undefined);
  put('max_eni', t.maxEni);
  put('max_pods', t.maxPods);
  const mode = { prefixDelegation: config.prefixDelegation, maxEni: config.maxEni, customNetworking: config.kube.customNetwork };
  const decision = reconciler.lastDecision;
  const expectedPods = decision?.expectedPods ?? 0;
  return {
    enis,
    totals,
    prefixes: enis.reduce((n, e) => n + e.prefixes, 0),
    eniMax: Math.min(limits.maxEnis, config.maxEni ?? Number.POSITIVE_INFINITY),
    ipMax: podAddressCapacity(limits, mode),
    targets,
    decision,
    growthPausedUntil: reconciler.growthPausedUntil,
    hostPending: reconciler.hostPending,
    expectedPods,
    reservedForExpected: Math.min(expectedPods, totals.free),
  };
}
