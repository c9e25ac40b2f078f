import { chooseAddress } from '../warm-pool/index.ts';
import { type ApiServer, startApiServer } from './api/server.ts';
import { ImdsAdapter } from './aws/imds-adapter.ts';
import { Ec2Adapter } from './aws/ec2-adapter.ts';
import type { Config } from './config.ts';
import { coreHandlers } from './core-handlers.ts';
import { Checkpoint } from './datastore/checkpoint.ts';
import { Datastore } from './datastore/datastore.ts';
import type { VethExists } from './datastore/types.ts';
import { EniManager, type Waits } from './eni-manager.ts';
import { DriftLog } from './drift.ts';
import { IpamdError } from './errors.ts';
import { startSubnetDiscovery } from './placement/subnet-discovery.ts';
import { waitForIdentity } from './imds-wait.ts';
import { kernelCommands, type KernelCommands } from './host-network/commands.ts';
import { disabledHostNetwork, HostNetwork, type LinkWait } from './host-network/host-network.ts';
import { HistoryJournal } from './history/journal.ts';
import { KernelAudit } from './kernel-audit.ts';
import type { KubeLink } from './kube/index.ts';
import { noNotices, type Notices } from './notices.ts';
import { sweepLeakedEnis } from './leak-sweep.ts';
import { systemTimers, type Timers } from './timers.ts';
import { createLogger, type Logger } from './logger.ts';
import type { Ec2Port, HostNetworkPort, ImdsPort } from './ports.ts';
import { Reconciler } from './reconciler.ts';
import type { Routes } from './introspect/routes.ts';
import { noMetrics } from './metrics/port.ts';
import type { IpamdMetrics } from './metrics/prometheus.ts';
import { type Endpoints, measuredHandlers, metricsFor, startEndpoints } from './observability.ts';
import { restoreLedger } from './start-restore.ts';
import { startHostCheckLoop } from './host-check-loop.ts';
import { vethOfAllocation } from './veth.ts';

export interface IpamdDeps {
  ec2?: Ec2Port;
  imds?: ImdsPort;
  logger?: Logger;
  now?: () => number;
  vethExists?: VethExists;
  /** Where host interfaces are listed (sysfs); /sys/class/net by default. */
  netDir?: string;
  waits?: Partial<Waits>;
  /** Host networking; by default the kernel (VPCWIRE_HOST_NETNS) unless VPCWIRE_HOST_NETWORK=false. */
  hostNetwork?: HostNetworkPort;
  /** How long a new ENI's link may take to appear. */
  linkWait?: Partial<LinkWait>;
  reconcileIntervalMs?: number;
  sweepIntervalMs?: number;
  /** Where periodic work is scheduled (issue 10 item 7); Node's timers by default. */
  timers?: Timers;
  /** Where pods' veths, routes and rules are read (and stale pod rules removed); the node's kernel by default. */
  podKernel?: Pick<KernelCommands, 'snapshot' | 'ipBatch'>;
  /** Introspection routes a caller adds (a test's), beside ipamd's own and /v1/history. */
  routes?: Routes;
}

export interface Ipamd {
  readonly api: ApiServer;
  readonly store: Datastore;
  readonly reconciler: Reconciler;
  readonly ec2: Ec2Port;
  readonly hostNetwork: HostNetworkPort;
  readonly instanceId: string;
  readonly drift: DriftLog;
  /** The ledger compared with the kernel; undefined with host networking off (no kernel to read). */
  readonly audit: KernelAudit | undefined;
  /** The Kubernetes side (kube/index.ts); undefined standalone. */
  readonly kube: KubeLink | undefined;
  /** The metrics registry; undefined with DISABLE_METRICS=true. */
  readonly metrics: IpamdMetrics | undefined;
  /** The metrics and introspection endpoints (each undefined when disabled). */
  readonly endpoints: Endpoints;
  /** The address history's writer (issue 13; its stats() for metrics); undefined with VPCWIRE_HISTORY=false. */
  readonly history: HistoryJournal | undefined;
  /** A host network check and repair now (after the one running, if any), as the timer does. */
  checkHostNetwork(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The start sequence (issue 3 item 6): discover the instance, adopt the ENIs already attached (EC2
 * is the truth), replay the checkpoint, drop allocations whose pod veth is gone, replay the CNI
 * plugin's release notes, then serve, then keep the pool at its targets.
 */
export async function startIpamd(config: Config, deps: IpamdDeps = {}): Promise<Ipamd> {
  const logger = deps.logger ?? createLogger(config);
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? systemTimers;
  const imds = deps.imds ?? new ImdsAdapter(config.imdsEndpoint);
  // Loading prom-client (~0.2 s of CPU here) overlaps the wait for IMDS instead of following it.
  const registryLoad = metricsFor(config);
  registryLoad.catch(() => undefined); // awaited below; a failed IMDS wait must not leave it unhandled
  const identity = await waitForIdentity(imds, { endpoint: config.imdsEndpoint, waitMs: config.imdsWaitMs, logger });
  const registry = await registryLoad;
  const metrics = registry ?? noMetrics;
  const ec2 =
    deps.ec2 ??
    new Ec2Adapter({ region: config.region ?? identity.region, metrics, ...(config.ec2Endpoint ? { endpoint: config.ec2Endpoint } : {}) });
  const instanceType = await ec2.instanceType(identity.instanceType);
  const imdsEnis = await imds.enis();
  const primaryEni = imdsEnis.find((e) => e.mac === identity.primaryMac);
  if (!primaryEni) throw new IpamdError('IPAMD_IMDS_INCONSISTENT', `IMDS lists no ENI for the primary MAC ${identity.primaryMac}`);
  logger.info('instance discovered', { ...identity, maxEnis: instanceType.maxEnis, ipv4PerEni: instanceType.ipv4PerEni });

  const checkpoint = new Checkpoint({
    path: config.checkpointPath,
    logger,
    onCorrupt: (r) =>
      logger.error('CHECKPOINT CORRUPT: kept a copy and rebuilt what could be proven', {
        path: r.path,
        keptAt: r.keptAt,
        reason: r.reason,
        salvaged: r.salvaged,
      }),
  });
  // The address history (issue 13): read before the replay, reconciled with the ledger before serving.
  const history = config.history
    ? await HistoryJournal.open({ ...config.history, logger, now, vethOf: (a) => vethOfAllocation(config.vethPrefix, a) })
    : undefined;
  const store = new Datastore({ checkpoint, chooseAddress, logger, now, cooldownMs: config.ipCooldownMs, ...(history ? { journal: history } : {}) });

  // Every kernel command goes to the node's netns: VPCWIRE_HOST_NETNS when set, else our own.
  const kernel: KernelCommands = kernelCommands(config.hostNetns);
  const hostNetwork =
    deps.hostNetwork ??
    (config.hostNetwork
      ? new HostNetwork({
          commands: kernel,
          logger,
          mtu: config.eniMtu,
          primaryMac: identity.primaryMac,
          primaryIp: identity.primaryIp,
          vpcCidrs: primaryEni.vpcCidrs,
          excludeSnatCidrs: config.excludeSnatCidrs,
          externalSnat: config.externalSnat,
          randomizeSnat: config.randomizeSnat,
          vethPrefix: config.vethPrefix,
          maxTable: Math.max(instanceType.maxEnis, ...instanceType.networkCards.map((c) => c.maxEnis)),
          ...(deps.linkWait ? { linkWait: deps.linkWait } : {}),
        })
      : disabledHostNetwork);

  const drift = new DriftLog(logger);
  // The kernel shows which addresses running pods use (issue 9 item 1). Only read where ipamd
  // owns the node's networking: with it off (tests, the demo without root) there is no node.
  const audit =
    config.hostNetwork || deps.podKernel
      ? new KernelAudit({ store, commands: deps.podKernel ?? kernel, drift, logger, vethPrefix: config.vethPrefix, now })
      : undefined;

  // Kubernetes, when configured: loaded only then, and never waited for (kube/index.ts).
  const kube = config.kube.mode === 'standalone' ? undefined : await startKubeLink(config, logger, ec2, identity.availabilityZone, primaryEni);
  const notices: Notices = kube?.notices ?? noNotices;

  // Adopt what EC2 says is attached on the default network card (EC2 is the truth).
  // Where new ENIs go: the Node's ENIConfig with custom networking (it wins, as upstream), else
  // ENABLE_SUBNET_DISCOVERY's tagged subnets (issue 11 item 3), else the primary ENI's subnet.
  const placement =
    kube?.link.placement ??
    (config.subnetDiscovery
      ? await startSubnetDiscovery({ ec2, primary: primaryEni, availabilityZone: identity.availabilityZone, clusterName: config.clusterName, logger })
      : undefined);
  const enis = new EniManager({
    ec2, imds, config, logger, identity, instanceType, primaryEni, now,
    ...(deps.waits ? { waits: deps.waits } : {}),
    ...(placement ? { placement } : {}),
  });
  const reconciler = new Reconciler({
    store,
    enis,
    ec2,
    hostNetwork,
    config,
    instanceType,
    instanceId: identity.instanceId,
    logger,
    now,
    drift,
    timers,
    notices,
    metrics,
    ...(audit
      ? {
          audit: async () => {
            const r = await audit.run();
            await history?.seen(r.readAt, r.vethMissing);
            return r;
          },
        }
      : {}),
    ...(kube ? { expectedPods: () => kube.link.expectedPods(allocatedPods(store)) } : {}),
  });
  kube?.link.onPodsChanged(() => reconciler.kick());
  await reconciler.resync({ waitForAttaching: true, failOnHostSetup: true });
  // Node egress and anything a previous ipamd left half done, before the node can get pods. What
  // the last check could not repair is reported to the CNI STATUS verb (GetPoolStatus).
  const hostCheck = await startHostCheckLoop({ hostNetwork, metrics, notices, logger, timers, intervalMs: config.hostNetworkCheckMs });
  await restoreLedger({ config, checkpoint, store, audit, kernel, drift, logger, metrics, history, ...(deps.vethExists ? { vethExists: deps.vethExists } : {}), ...(deps.netDir !== undefined ? { netDir: deps.netDir } : {}) });

  const core = coreHandlers({
    store,
    reconciler,
    config,
    instanceId: identity.instanceId,
    vpcCidrs: primaryEni.vpcCidrs,
    driftCounts: () => drift.counts(),
    ...(kube?.link.podHooks ? { podHooks: kube.link.podHooks } : {}),
  });
  const handlers = { ...measuredHandlers(core, metrics), poolStatus: async () => ({ ...(await core.poolStatus()), hostNetworkProblem: hostCheck.problem() }) };
  const api = await startApiServer({ socketPath: config.socketPath, handlers, logger });
  // Fill the pool before the node is declared ready, so the first pods do not wait for EC2.
  await reconciler.settle().catch((e) => logger.warn('initial pool fill incomplete', { error: String(e) }));
  reconciler.start(deps.reconcileIntervalMs ?? config.reconcileIntervalMs);
  api.setServing(true);
  logger.info('ipamd serving', { socket: config.socketPath });
  metrics.started(process.uptime(), kube !== undefined);
  const endpoints = startEndpoints({
    config, logger, timers, metrics: registry, store, reconciler, drift, instanceId: identity.instanceId, now, history,
    ...(deps.routes ? { routes: deps.routes } : {}),
  });

  const sweep = async () => {
    if (config.disableLeakedEniCleanup) return;
    await sweepLeakedEnis({
      ec2,
      instanceId: identity.instanceId,
      clusterName: config.clusterName,
      logger,
      now,
      minAgeMs: config.leakMinAgeMs,
    }).catch((e) => {
      metrics.ipamdError('leak-sweep');
      logger.warn('leaked-ENI sweep failed', { error: String(e) });
    });
  };
  const sweepTimer = timers.setInterval(() => void sweep(), deps.sweepIntervalMs ?? config.leakSweepIntervalMs);
  void sweep();

  hostCheck.startTimer();

  return {
    api,
    store,
    reconciler,
    ec2,
    hostNetwork,
    instanceId: identity.instanceId,
    drift,
    audit,
    kube: kube?.link,
    history,
    checkHostNetwork: hostCheck.checkNow,
    metrics: registry,
    endpoints,
    async stop() {
      await endpoints.close();
      timers.clearInterval(sweepTimer);
      api.setServing(false);
      await api.close();
      await reconciler.stop();
      await hostCheck.stop();
      await store.idle();
      await history?.close();
      await kube?.link.stop();
      if (ec2 instanceof Ec2Adapter) ec2.destroy();
    },
  };
}

/** Imports kube/index.ts (and with it the Kubernetes client) and starts it; only off standalone. */
async function startKubeLink(
  config: Config,
  logger: Logger,
  ec2: Ec2Port,
  availabilityZone: string,
  primaryEni: { vpcId: string; securityGroupIds: readonly string[] },
): Promise<{ link: KubeLink; notices: Notices }> {
  const { startKube, kubeNotices } = await import('./kube/index.ts');
  const link = await startKube({ config, logger, ec2, vpcId: primaryEni.vpcId, availabilityZone, primaryGroupIds: primaryEni.securityGroupIds });
  return { link, notices: kubeNotices(link) };
}

/** "namespace/name" of every pod holding an address (prewarm counts the bound pods that do not). */
function allocatedPods(store: Datastore): Set<string> {
  return new Set(store.allocations().map((a) => `${a.pod.namespace}/${a.pod.name}`));
}
