/**
 * The nodes' kubelet maxPods, computed as `vpcwire max-pods` computes it (ipamd/max-pods.ts, the
 * one home of the formula, on the image's instance data), and the AL2023 nodeadm user data that
 * sets it. A managed node group with several instance types shares one launch template, so it
 * gets the smallest of their answers.
 */
import { instanceCatalog, INSTANCE_LIMITS_FILE } from '../ipamd/instance-catalog.ts';
import { calculateMaxPods } from '../ipamd/max-pods.ts';

export interface NodeMaxPodsOptions {
  readonly customNetworking: boolean;
  readonly prefixDelegation: boolean;
  /** Default vCPUs per instance type: needed only for a type whose formula exceeds 110. */
  readonly vcpus?: Readonly<Record<string, number>>;
}

/** kubelet maxPods for one instance type; throws naming the type when the data cannot answer. */
export function nodeMaxPods(instanceType: string, o: NodeMaxPodsOptions): number {
  const t = instanceCatalog().get(instanceType);
  if (!t) throw new Error(`instance type '${instanceType}' is not in ${INSTANCE_LIMITS_FILE}`);
  const vcpus = o.vcpus?.[instanceType];
  const r = calculateMaxPods(
    { maxEnis: t.maxEnis, ipv4PerEni: t.ipv4PerEni, nitro: t.hypervisor === 'nitro' },
    { customNetworking: o.customNetworking, prefixDelegation: o.prefixDelegation, ...(vcpus !== undefined ? { vcpus } : {}) },
  );
  if (!r.ok) {
    throw new Error(
      `instance type '${instanceType}': max pods depends on its vCPUs (the formula gives ${r.formula}, capped at 110 or 250); ` +
        `give them in the context 'vcpus', e.g. -c 'vcpus={"${instanceType}":32}'`,
    );
  }
  return r.maxPods;
}

/** The smallest maxPods over the node group's instance types. */
export function nodeGroupMaxPods(instanceTypes: readonly string[], o: NodeMaxPodsOptions): number {
  if (instanceTypes.length === 0) throw new Error('the node group needs at least one instance type');
  return Math.min(...instanceTypes.map((t) => nodeMaxPods(t, o)));
}

const BOUNDARY = '==VPCWIRE==';

/**
 * MIME multipart user data with one nodeadm NodeConfig part (AL2023). EKS merges it with the
 * NodeConfig it generates for a managed node group (cluster name, endpoint, CA), and the kubelet
 * settings given here win over nodeadm's own maxPods default.
 */
export function nodeadmUserData(maxPods: number): string {
  return [
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${BOUNDARY}"`,
    '',
    `--${BOUNDARY}`,
    'Content-Type: application/node.eks.aws',
    '',
    '---',
    'apiVersion: node.eks.aws/v1alpha1',
    'kind: NodeConfig',
    'spec:',
    '  kubelet:',
    '    config:',
    `      maxPods: ${maxPods}`,
    '',
    `--${BOUNDARY}--`,
    '',
  ].join('\n');
}

/** The maxPods a user data built by nodeadmUserData carries (for tests and for reading a template). */
export function maxPodsInUserData(userData: string): number | undefined {
  const m = /^\s+maxPods: (\d+)$/m.exec(userData);
  return m ? Number(m[1]) : undefined;
}
