/**
 * The Node object of the test kubelet's node (issue 11 item 9), as kubelet registers it: the
 * well-known labels kubelet sets plus the test's, the test's annotations, and a status with the
 * Ready condition, the node's addresses and its pod capacity. What a cloud provider would add
 * (zone, instance type, providerID) the test passes as labels, as EKS's nodes show them.
 */
import { arch } from 'node:os';
import { type CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

/** Kubelet's default --max-pods. */
export const DEFAULT_MAX_PODS = 110;

export const STRATEGIC_MERGE = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

export interface NodeRegistration {
  readonly name: string;
  /** The instance's primary IP: the Node's InternalIP. */
  readonly internalIp: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly maxPods?: number;
  /** CRI Version's answer, as kubelet reports it in nodeInfo. */
  readonly runtime: { readonly runtimeName: string; readonly runtimeVersion: string };
}

/** RFC 3339 with seconds, as metav1.Time serialises. */
export function kubeTime(epochMs = Date.now()): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Creates the Node (or, registered before, merges the labels and annotations in) and writes its status. */
export async function registerNode(core: CoreV1Api, r: NodeRegistration): Promise<void> {
  const goArch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[arch()] ?? arch();
  const metadata = {
    name: r.name,
    labels: { 'kubernetes.io/hostname': r.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': goArch, ...r.labels },
    annotations: { ...r.annotations },
  };
  try {
    await core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata } });
  } catch (e) {
    if ((e as { code?: number }).code !== 409) throw e;
    await core.patchNode({ name: r.name, body: { metadata } }, STRATEGIC_MERGE);
  }
  const now = kubeTime();
  const pods = String(r.maxPods ?? DEFAULT_MAX_PODS);
  await core.patchNodeStatus(
    {
      name: r.name,
      body: {
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'vpcwire test kubelet is posting ready status',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
          addresses: [
            { type: 'InternalIP', address: r.internalIp },
            { type: 'Hostname', address: r.name },
          ],
          capacity: { pods },
          allocatable: { pods },
          nodeInfo: {
            operatingSystem: 'linux',
            architecture: goArch,
            kubeletVersion: 'v1.37.2-vpcwire-test',
            containerRuntimeVersion: `${r.runtime.runtimeName}://${r.runtime.runtimeVersion}`,
          },
        },
      },
    },
    STRATEGIC_MERGE,
  );
}
