import {
  type AddRequest,
  type AddResult,
  type DelRequest,
  type DelResult,
  type IpamHandlers,
  type PoolStatus,
  routeTableFor as routeTable,
  type Status,
} from './api/handlers.ts';
import type { Config } from './config.ts';
import type { Datastore } from './datastore/datastore.ts';
import { formatIpv4, parseCidr } from './datastore/ipv4.ts';
import type { Allocation } from './datastore/types.ts';
import { podAddressCapacity, podEnis } from './max-pods.ts';
import type { Reconciler } from './reconciler.ts';
import { hostVethFor } from './veth.ts';

/** The subnet's VPC router: its network address + 1 (DESIGN.md §2). */
function gateway(cidrText: string): string {
  const cidr = parseCidr(cidrText);
  return cidr ? formatIpv4(cidr.base + 1) : '';
}

export interface PodHooks {
  /** Awaited before ADD answers (bounded by the hook itself): the annotation is there when the plugin returns. */
  added(pod: { namespace: string; name: string }, ip: string): Promise<void>;
  /** After DEL released the pod's address; not awaited. */
  released(pod: { namespace: string; name: string }, ip: string): void;
}

/** The allocation API's behaviour: the datastore answers, the reconciler refills behind it. */
export function coreHandlers(deps: {
  store: Datastore;
  reconciler: Reconciler;
  config: Config;
  instanceId: string;
  vpcCidrs: readonly string[];
  /** Drift counts for the status view. */
  driftCounts?: () => Record<string, number>;
  /** What happens to the pod object around ADD and DEL (ANNOTATE_POD_IP: kube/pod-ip-annotation.ts). */
  podHooks?: PodHooks;
}): IpamHandlers {
  const { store, reconciler, config } = deps;
  const eniOf = (a: Allocation) => store.enis().find((e) => e.id === a.eniId);
  return {
    async add(req: AddRequest): Promise<AddResult> {
      // The runtime never runs two operations for one container at once (CNI spec), so what the
      // ledger holds for the triple now is what assign() will find; an address recovered from the
      // kernel for this pod's veth is the running pod's own, so it counts as existing too.
      const hostVeth = hostVethFor(config.vethPrefix, req.pod, req.key);
      const existing = store.allocation(req.key) !== undefined || store.allocations().some((x) => x.recovered && x.hostVeth === hostVeth);
      const a = await store.assign(
        req.key,
        { namespace: req.pod.namespace ?? '', name: req.pod.name ?? '', uid: req.pod.uid ?? '' },
        { hostVeth },
      );
      reconciler.kick();
      if (deps.podHooks && req.pod.namespace && req.pod.name) await deps.podHooks.added({ namespace: req.pod.namespace, name: req.pod.name }, a.ip);
      const eni = eniOf(a);
      return {
        ipv4Address: a.ip,
        deviceIndex: a.deviceIndex,
        routeTable: routeTable(a.deviceIndex),
        eniId: a.eniId,
        eniMac: eni?.mac ?? '',
        subnetCidr: eni?.subnetCidr ?? '',
        subnetGateway: eni ? gateway(eni.subnetCidr) : '',
        vpcCidrs: deps.vpcCidrs,
        mtu: config.eniMtu,
        vethPrefix: config.vethPrefix,
        ...(a.prefix ? { prefix: a.prefix } : {}),
        existing,
        hostVethName: hostVeth,
      };
    },
    async del(req: DelRequest): Promise<DelResult> {
      const a = await store.release(req.key, { hostVeth: hostVethFor(config.vethPrefix, req.pod ?? {}, req.key), why: req.reason === 'cni-gc' ? 'gc' : 'del' });
      if (!a) return { released: false };
      reconciler.kick();
      if (deps.podHooks && a.pod.namespace && a.pod.name) deps.podHooks.released({ namespace: a.pod.namespace, name: a.pod.name }, a.ip);
      return { released: true, ipv4Address: a.ip, deviceIndex: a.deviceIndex, routeTable: routeTable(a.deviceIndex) };
    },
    async poolStatus(): Promise<PoolStatus> {
      const addrs = store.addresses();
      const free = addrs.filter((a) => a.state === 'free').length;
      const assigned = addrs.filter((a) => a.state === 'assigned').length;
      const maxPods = reconciler.targets.maxPods ?? Number.POSITIVE_INFINITY;
      const { maxEnis, ipv4PerEni } = reconciler.limits;
      const mode = { prefixDelegation: config.prefixDelegation, maxEni: config.maxEni, customNetworking: config.kube.customNetwork };
      const enis = podEnis({ maxEnis, ipv4PerEni }, mode);
      // Addresses the instance can ever hold for pods: the planner's own limits (DESIGN.md §3).
      const capacity = podAddressCapacity({ maxEnis, ipv4PerEni }, mode);
      const pausedUntil = reconciler.growthPausedUntil;
      let reason = '';
      if (assigned >= maxPods) reason = `max pods reached (${maxPods})`;
      else if (pausedUntil) reason = `subnet out of addresses; growth paused until ${new Date(pausedUntil).toISOString()}`;
      else if (addrs.length >= capacity) reason = `instance limits reached (${enis} ENIs, ${capacity} addresses)`;
      return { freeAddresses: free, assignedAddresses: assigned, canGrow: reason === '', reason: free > 0 ? '' : reason };
    },
    async status(): Promise<Status> {
      const addrs = store.addresses();
      const targets = reconciler.targets;
      return {
        instanceId: deps.instanceId,
        prefixMode: config.prefixDelegation,
        enis: store.enis().map((e) => ({
          id: e.id,
          deviceIndex: e.deviceIndex,
          mac: e.mac,
          primaryIp: e.primaryIp,
          isPrimary: e.isPrimary,
          subnetCidr: e.subnetCidr,
          addresses: addrs.filter((x) => x.eniId === e.id && !x.prefix).map((x) => ({ ip: x.ip, state: x.state })),
          prefixes: e.prefixes.map((p) => ({
            prefix: p,
            addresses: addrs.filter((x) => x.prefix === p).map((x) => ({ ip: x.ip, state: x.state })),
          })),
        })),
        allocations: store.allocations().map((a) => ({
          key: a.key,
          pod: { namespace: a.pod.namespace, name: a.pod.name, uid: a.pod.uid },
          ipv4Address: a.ip,
          eniId: a.eniId,
          allocatedAt: a.allocatedAt,
          routeTable: routeTable(a.deviceIndex),
          ...(a.recovered ? { recovered: true } : {}),
          ...(a.hostVeth ? { hostVethName: a.hostVeth } : {}),
        })),
        poolTargets: Object.fromEntries(
          Object.entries(targets)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, String(v)]),
        ),
        driftCounts: deps.driftCounts?.() ?? {},
      };
    },
  };
}
