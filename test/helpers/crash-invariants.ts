/**
 * What the crash-recovery test checks in EC2 after a restart (test/ipamd/crash-recovery.test.ts):
 * ipamd's pool against the node's ENIs, ENIs left `available`, and ENIs that would outlive the node.
 */
import type { StatusReport } from '../../ipamd/api/handlers.ts';
import { TAG_INSTANCE_ID } from '../../ipamd/eni-manager.ts';
import type { Emulator } from '../../sim/emulator.ts';
import { formatIpv4 } from '../../sim/ipv4.ts';

/** ENIs tagged as this node's that are `available`: created but never attached, or detached but not deleted. */
export function availableTagged(sim: Emulator, instanceId: string): string[] {
  return [...sim.state.enis.values()]
    .filter((e) => e.status === 'available' && sim.state.tagsOf(e.id).get(TAG_INSTANCE_ID) === instanceId)
    .map((e) => e.id);
}

/** Disagreements between ipamd's pool and the node's ENIs in EC2, and broken limits (empty: all good). */
export function poolVsEc2(status: StatusReport, sim: Emulator, instanceId: string): string[] {
  const problems: string[] = [];
  const ec2 = sim.state.enisOf(instanceId);
  const limits = sim.state.instance(instanceId).limits;
  if (ec2.length > limits.maxEnis) problems.push(`${ec2.length} ENIs attached, limit ${limits.maxEnis}`);
  const mine = new Map(status.enis.map((e) => [e.id, e]));
  for (const e of ec2) {
    const a = e.attachment!;
    if (a.status !== 'attached') problems.push(`EC2 ENI ${e.id} is ${a.status}`);
    if (e.secondaryIps.length > limits.ipv4PerEni - 1) problems.push(`ENI ${e.id} holds ${e.secondaryIps.length} secondary IPs`);
    const m = mine.get(e.id);
    if (!m) {
      problems.push(`EC2 ENI ${e.id} (device ${a.deviceIndex}, ${a.status}, ${e.secondaryIps.length} secondary IPs) is attached to the node but unknown to ipamd`);
      continue;
    }
    if (m.deviceIndex !== a.deviceIndex) problems.push(`ENI ${e.id}: ipamd says device ${m.deviceIndex}, EC2 ${a.deviceIndex}`);
    const want = e.secondaryIps.map(formatIpv4).sort().join(',');
    const have = m.addresses.map((x) => x.ip).sort().join(',');
    if (want !== have) problems.push(`ENI ${e.id}: EC2 holds [${want}], ipamd [${have}]`);
  }
  for (const id of mine.keys()) {
    if (!ec2.some((e) => e.id === id && e.attachment?.status === 'attached')) problems.push(`ipamd holds ENI ${id}, which EC2 does not show attached`);
  }
  return problems;
}

/** The node's non-primary ENIs attached with DeleteOnTermination=false: they would outlive the instance. */
export function outliveInstance(sim: Emulator, instanceId: string): string[] {
  return sim.state
    .enisOf(instanceId)
    .filter((e) => e.attachment!.deviceIndex > 0 && e.attachment!.status === 'attached' && !e.attachment!.deleteOnTermination)
    .map((e) => e.id);
}
