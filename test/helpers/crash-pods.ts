/**
 * The crash-recovery test's pods (test/ipamd/crash-recovery.test.ts): pod number n is container
 * `crashNNNNNN`, pod `pod-n` in namespace `crash`, and these are its CNI key and ADD request.
 */
export const NAMESPACE = 'crash';

export interface Pod {
  readonly n: number;
  readonly containerId: string;
  readonly name: string;
}

export const podOf = (n: number): Pod => ({ n, containerId: `crash${String(n).padStart(6, '0')}`, name: `pod-${n}` });
export const keyOf = (pod: Pod) => ({ networkName: 'vpcwire', containerId: pod.containerId, ifName: 'eth0' });
export const keyText = (k: { networkName: string; containerId: string; ifName: string }) => `${k.networkName}/${k.containerId}/${k.ifName}`;
export const addRequest = (pod: Pod) => ({
  key: keyOf(pod),
  netns: `/var/run/netns/${pod.name}`,
  pod: { namespace: NAMESPACE, name: pod.name, uid: `uid-${pod.n}` },
});
