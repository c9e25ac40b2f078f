/**
 * How the crash-recovery test (test/ipamd/crash-recovery.test.ts) lands its kills on EC2 calls:
 * which actions are mutating, pods cycled up and down until a kill, and a SIGKILL sent as EC2
 * answers a given action.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Node } from './crash-node.ts';
import { podOf } from './crash-pods.ts';

export const MUTATING = new Set([
  'AssignPrivateIpAddresses',
  'UnassignPrivateIpAddresses',
  'CreateNetworkInterface',
  'AttachNetworkInterface',
  'ModifyNetworkInterfaceAttribute',
  'DetachNetworkInterface',
  'DeleteNetworkInterface',
]);

/** Mutating EC2 actions of ipamd's pool steps, in the order a grow-then-shrink cycle reaches them. */
export const STEP_ACTIONS = [
  'AssignPrivateIpAddresses',
  'CreateNetworkInterface',
  'AttachNetworkInterface',
  'ModifyNetworkInterfaceAttribute',
  'UnassignPrivateIpAddresses',
  'DetachNetworkInterface',
  'DeleteNetworkInterface',
] as const;

/**
 * Drives pods up to 16 and back to 0 until `killed()`; every call it makes is accounted for in
 * the node's record (a call cut short by the kill counts as not acknowledged).
 */
export async function cycleUntil(node: Node, killed: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  let up = node.live.size < 16;
  while (!killed()) {
    assert.ok(Date.now() < deadline, `ipamd never called ${what} while pods came and went; ${node.where()}`);
    if (up) {
      await node.add(node.newPod()).catch(async (e: { code?: string }) => {
        if (!killed() && e.code !== 'IPAMD_CALL_POOL_EMPTY') throw e;
        await sleep(20);
      });
      if (node.live.size >= 16) up = false;
    } else if (node.live.size > 0) {
      await node.del(podOf(node.live.keys().next().value!)).catch((e: unknown) => {
        if (!killed() || e instanceof assert.AssertionError) throw e;
      });
    } else {
      // Empty: give the cooldown (1 s) time to pass so empty ENIs are freed, then grow again.
      for (const until = Date.now() + 1500; Date.now() < until && !killed(); ) await sleep(20);
      up = true;
    }
  }
}

/**
 * SIGKILLs ipamd as EC2 answers `action`: the log entry is recorded before the response is sent,
 * so ipamd never sees this answer (EC2 has acted; ipamd does not know).
 */
export function killOn(node: Node, action: string) {
  const k = { killed: false, eniId: '', off: () => {} };
  k.off = node.sim.log.onEntry((e) => {
    if (k.killed || e.service !== 'ec2' || e.action !== action || e.status !== 200) return;
    k.killed = true;
    k.eniId = e.params.NetworkInterfaceId ?? '';
    node.p.child.kill('SIGKILL');
  });
  return k;
}
