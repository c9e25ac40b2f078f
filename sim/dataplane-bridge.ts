import type { DataPlane } from './dataplane/types.ts';
import { formatIpv4 } from './ipv4.ts';
import type { StateEvent } from './model/types.ts';
import type { VpcState } from './model/vpc-state.ts';

/**
 * Keeps the kernel data plane in step with EC2: an ENI gets its link when its attachment reaches
 * `attached`, the VPC router learns every address EC2 assigns, and both go away on detach or
 * termination. The data plane queues the kernel work in order and reports the first failure from
 * `settled()`, which is where callers see errors (the per-call promises are deliberately not awaited).
 */
export function bridgeDataPlane(state: VpcState, dp: DataPlane): () => void {
  const onEvent = (ev: StateEvent): void => {
    switch (ev.type) {
      case 'instance-launched':
        void dp.addNode(ev.instanceId).catch(() => undefined);
        return;
      case 'instance-terminated':
        void dp.removeNode(ev.instanceId).catch(() => undefined);
        return;
      case 'eni-attached': {
        const eni = state.enis.get(ev.eniId);
        if (!eni?.attachment) return;
        const subnet = state.subnets.get(eni.subnetId)!;
        void dp
          .attachEni(ev.instanceId, {
            eniId: eni.id,
            mac: eni.macAddress,
            deviceIndex: eni.attachment.deviceIndex,
            networkCard: eni.attachment.networkCardIndex,
            primaryIp: formatIpv4(eni.primaryIp),
            subnetCidr: subnet.cidr.text,
          })
          .catch(() => undefined);
        syncAddresses(ev.eniId);
        return;
      }
      case 'eni-detached':
        void dp.detachEni(ev.instanceId, ev.eniId).catch(() => undefined);
        return;
      case 'eni-addresses':
        syncAddresses(ev.eniId);
        return;
      case 'eni-modified':
        return;
      case 'eni-deleted':
        // Forget the ENI's address set (the data plane keeps it across detach for a re-attach).
        void dp.setAddresses(ev.eniId, [], []).catch(() => undefined);
        return;
    }
  };
  const syncAddresses = (eniId: string): void => {
    const eni = state.enis.get(eniId);
    if (!eni) return;
    void dp
      .setAddresses(
        eni.id,
        eni.secondaryIps.map(formatIpv4),
        eni.prefixes.map((p) => p.text),
      )
      .catch(() => undefined);
  };
  // Instances that exist before the bridge (topology launched first) get their nodes now.
  for (const inst of state.instances.values()) {
    if (inst.state !== 'running') continue;
    onEvent({ type: 'instance-launched', instanceId: inst.id });
    for (const eni of state.enisOf(inst.id)) {
      if (eni.attachment?.status === 'attached')
        onEvent({ type: 'eni-attached', instanceId: inst.id, eniId: eni.id });
    }
  }
  return state.on(onEvent);
}
