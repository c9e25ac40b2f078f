/**
 * ipamd's Kubernetes side (issue 11), imported by the daemon only when a Kubernetes mode is
 * configured, so a standalone ipamd never loads the client. Starts the watches without waiting
 * for them: an unreachable API server never stops address service from the warm pool.
 */
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Notices } from '../notices.ts';
import type { EniPlacement } from '../placement/types.ts';
import type { Ec2Port } from '../ports.ts';
import type * as k8s from '@kubernetes/client-node';
import { kubeConfig, loadKubeClient } from './client.ts';
import { EniConfigPlacement, watchEniConfigs } from './eniconfig.ts';
import { EventRecorder } from './events.ts';
import { watchNode } from './node.ts';
import { expectedPods, watchPods } from './pods.ts';
import { podIpAnnotation } from './pod-ip-annotation.ts';
import type { PodHooks } from '../core-handlers.ts';

export interface KubeLink {
  readonly nodeName: string;
  readonly kc: k8s.KubeConfig;
  readonly node: ReturnType<typeof watchNode>;
  /** Custom networking's placement; undefined when it is off. */
  readonly placement: EniPlacement | undefined;
  readonly events: EventRecorder;
  /** ANNOTATE_POD_IP's hooks around ADD and DEL; undefined when it is off. */
  readonly podHooks: PodHooks | undefined;
  /**
   * Pods bound to this node that have no address yet (`allocated`: "namespace/name" of pods that
   * hold one); 0 with prewarm off or before the pod watch has listed.
   */
  expectedPods(allocated: ReadonlySet<string>): number;
  /** Called when a pod bound here appears or changes (the reconciler's kick, to grow at once). */
  onPodsChanged(cb: () => void): void;
  /** Resolves when every watch has listed once (tests, and ipamd's status). */
  synced(): Promise<void>;
  stop(): Promise<void>;
}

export interface KubeDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly ec2: Ec2Port;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly primaryGroupIds: readonly string[];
}

export async function startKube(d: KubeDeps): Promise<KubeLink> {
  const { bundled } = await loadKubeClient();
  const s = d.config.kube;
  const nodeName = s.nodeName!;
  const kc = kubeConfig(s);
  const logger = d.logger;
  const node = watchNode(kc, nodeName, logger);
  const eniConfigs = s.customNetwork ? watchEniConfigs(kc, logger) : undefined;
  const events = new EventRecorder({ kc, nodeName, node, logger });
  const placement = eniConfigs
    ? new EniConfigPlacement({
        node,
        eniConfigs,
        settings: s,
        subnet: async (id) => (await d.ec2.subnets([{ name: 'subnet-id', values: [id] }]))[0],
        vpcId: d.vpcId,
        availabilityZone: d.availabilityZone,
        primaryGroupIds: d.primaryGroupIds,
      })
    : undefined;
  const pods = s.prewarm ? watchPods(kc, nodeName, logger) : undefined;
  const watches = [node, ...(eniConfigs ? [eniConfigs] : []), ...(pods ? [pods] : [])];
  for (const w of watches) w.start();
  logger.info('Kubernetes client started', {
    mode: s.mode,
    client: bundled ? 'bundle' : 'package',
    server: kc.getCurrentCluster()?.server,
    node: nodeName,
    customNetwork: s.customNetwork,
    annotatePodIp: s.annotatePodIp,
  });
  return {
    nodeName,
    kc,
    node,
    placement,
    events,
    podHooks: s.annotatePodIp ? podIpAnnotation(kc, logger) : undefined,
    expectedPods: (allocated) => (pods?.isSynced ? expectedPods(pods.list(), allocated) : 0),
    onPodsChanged: (cb) => {
      pods?.on('add', cb);
      pods?.on('update', cb);
      pods?.on('delete', cb);
    },
    synced: async () => void (await Promise.all(watches.map((w) => w.synced))),
    async stop() {
      await events.stop();
      await Promise.all(watches.map((w) => w.stop()));
    },
  };
}

/** Notices (notices.ts) for a Kubernetes node: a Warning Event on the Node, and the log line. */
export function kubeNotices(link: KubeLink): Notices {
  return { warn: (reason, note, action) => link.events.warn(reason, note, action) };
}
