/**
 * ipamd benchmark 4: EC2 mutating calls to bring a node from 0 to 100 pods and back to 0, against
 * the minimum the instance's limits allow.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import { instanceTypeLimits } from '../../sim/model/limits.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';
import { addPods, delPods, ec2Counts, settles } from '../helpers/pool.ts';
import { topology } from './ipamd-bench-helpers.ts';

export interface Ec2CallsResult {
  name: string;
  instanceType: string;
  env: Record<string, string>;
  pods: number;
  /** Successful (HTTP 200) non-Describe EC2 requests in the emulator's log, by action, per phase. */
  phases: { start: Record<string, number>; up: Record<string, number>; down: Record<string, number> };
  actual: number;
  /** Failed mutating requests (none expected: no faults, no throttling). */
  failed: number;
  /** Describe* requests, all phases, for context. */
  describes: number;
  /** ENIs and addresses EC2 shows at 100 pods and after going back to 0. */
  atPeak: { enis: number; ips: number };
  atEnd: { enis: number; ips: number };
  /** Whether EC2 showed the 0-pod state the targets call for (the primary ENI alone) within 15 s. */
  endAsTargetsSay: boolean;
  minimum: { formula: string; limitsOnly: number; underTargets: number };
  ratio: { limitsOnly: number; underTargets: number };
  /** Seconds from the last DelNetwork until EC2 showed the end state (or gave up waiting). */
  downSeconds: number;
}

const PACING = {
  IP_COOLDOWN_PERIOD: '1',
  VPCWIRE_RELEASE_INTERVAL_MS: '100',
  VPCWIRE_ENI_MIN_AGE_MS: '500',
  VPCWIRE_RECONCILE_INTERVAL_MS: '100',
};

function mutating(sim: Emulator, since: number, until: number): { ok: Record<string, number>; failed: number; describes: number } {
  const ok: Record<string, number> = {};
  let failed = 0;
  let describes = 0;
  for (const e of sim.log.entries({ service: 'ec2', sinceSeq: since })) {
    if (e.seq > until) break;
    if (e.action.startsWith('Describe')) describes++;
    else if (e.status === 200) ok[e.action] = (ok[e.action] ?? 0) + 1;
    else failed++;
  }
  return { ok, failed, describes };
}

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** Waits until the emulator has seen no mutating EC2 request for `quietMs`. */
async function ec2Quiet(sim: Emulator, quietMs: number, maxMs = 30_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = sim.log.lastSeq;
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error('EC2 calls did not stop');
    await sleep(50);
    const seq = sim.log.lastSeq;
    if (seq !== last && sim.log.entries({ service: 'ec2', sinceSeq: last }).some((e) => !e.action.startsWith('Describe'))) since = Date.now();
    last = seq;
  }
}

/**
 * The fewest mutating calls for 0 -> P -> 0 pods in secondary-IP mode on a type of E ENIs with S
 * pod slots each (ipv4PerEni - 1), when the node must hold `peak` addresses at the top and `end`
 * at the bottom: n = ceil(peak / S) ENIs; up: one AssignPrivateIpAddresses to the primary ENI, and
 * per extra ENI CreateNetworkInterface (already holding its addresses) + AttachNetworkInterface +
 * ModifyNetworkInterfaceAttribute (DeleteOnTermination); down: per extra ENI
 * DetachNetworkInterface + DeleteNetworkInterface (its addresses go with it), plus one
 * UnassignPrivateIpAddresses on the primary if it must end with fewer than it held.
 */
function minimumCalls(slots: number, maxEnis: number, peak: number, end: number): number {
  const n = Math.ceil(peak / slots);
  if (n > maxEnis) throw new Error(`${peak} addresses need ${n} ENIs > ${maxEnis}`);
  const primaryAtPeak = Math.min(peak, slots);
  return 1 + 3 * (n - 1) + 2 * (n - 1) + (end < primaryAtPeak ? 1 : 0);
}

export async function benchEc2Calls(
  name: string,
  type: string,
  targets: Record<string, string>,
  pods: number,
  peakUnderTargets: (slots: number) => number,
  endUnderTargets: (slots: number) => number,
): Promise<Ec2CallsResult> {
  const limits = instanceTypeLimits(type)!;
  const slots = limits.ipv4PerEni - 1;
  const env = { ...targets, ...PACING };
  const sim = await startEmulator({ topology: topology(type), profile: 'fast', throttling: false });
  const instanceId = sim.instance('node').id;
  const s0 = sim.log.lastSeq;
  const p = await startIpamdProcess(sim, instanceId, env);
  try {
    await ec2Quiet(sim, 1000);
    const s1 = sim.log.lastSeq;
    await addPods(p, 0, pods);
    await ec2Quiet(sim, 1000);
    const peak = ec2Counts(sim, instanceId);
    const s2 = sim.log.lastSeq;
    await delPods(p, 0, pods);
    const tDown = performance.now();
    // The end state the targets call for at 0 pods: the primary ENI alone, holding `end` addresses.
    const want = { enis: 1, ips: endUnderTargets(slots), prefixes: 0 };
    const reached = await settles(() => ec2Counts(sim, instanceId), want, { ms: 15_000, stableMs: 200 }).then(
      () => true,
      () => false,
    );
    const downSeconds = (performance.now() - tDown) / 1000;
    await ec2Quiet(sim, 1500);
    const end = ec2Counts(sim, instanceId);
    const s3 = sim.log.lastSeq;
    const start = mutating(sim, s0, s1);
    const up = mutating(sim, s1, s2);
    const down = mutating(sim, s2, s3);
    const actual = total(start.ok) + total(up.ok) + total(down.ok);
    const limitsOnly = minimumCalls(slots, limits.maxEnis, pods, endUnderTargets(slots));
    const underTargets = minimumCalls(slots, limits.maxEnis, peakUnderTargets(slots), endUnderTargets(slots));
    return {
      name,
      instanceType: type,
      env,
      pods,
      phases: { start: start.ok, up: up.ok, down: down.ok },
      actual,
      failed: start.failed + up.failed + down.failed,
      describes: start.describes + up.describes + down.describes,
      atPeak: { enis: peak.enis, ips: peak.ips },
      atEnd: { enis: end.enis, ips: end.ips },
      endAsTargetsSay: reached,
      minimum: {
        formula:
          `n = ceil(addresses at peak / S), S = ${slots} slots/ENI (${type}: ${limits.maxEnis} ENIs x ${limits.ipv4PerEni} IPv4); ` +
          'minimum = 1 Assign (primary) + 3 (Create with addresses + Attach + ModifyAttribute) x (n-1) + 2 (Detach + Delete) x (n-1) ' +
          '[+ 1 Unassign if the primary ends with fewer addresses than at peak]',
        limitsOnly,
        underTargets,
      },
      ratio: { limitsOnly: actual / limitsOnly, underTargets: actual / underTargets },
      downSeconds,
    };
  } finally {
    await p.stop();
    await sim.stop();
  }
}
