import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Emulator } from '../../sim/emulator.ts';
import type { IpamdProcess } from './ipamd-process.ts';

/** ENIs attached to an instance, their secondary IPs and /28 prefixes, as EC2 (the emulator) sees them. */
export function ec2Counts(sim: Emulator, instanceId: string): { enis: number; ips: number; prefixes: number } {
  const enis = sim.state.enisOf(instanceId).filter((e) => e.attachment?.status === 'attached');
  return {
    enis: enis.length,
    ips: enis.reduce((n, e) => n + e.secondaryIps.length, 0),
    prefixes: enis.reduce((n, e) => n + e.prefixes.length, 0),
  };
}

/** Waits until `probe()` equals `want` and stays so for `stableMs`, or fails showing what it saw. */
export async function settles<T>(probe: () => T, want: T, opts: { ms?: number; stableMs?: number; what?: string } = {}) {
  const deadline = Date.now() + (opts.ms ?? 15_000);
  let stableSince = 0;
  let last = probe();
  while (Date.now() < deadline) {
    last = probe();
    if (JSON.stringify(last) === JSON.stringify(want)) {
      if (!stableSince) stableSince = Date.now();
      if (Date.now() - stableSince >= (opts.stableMs ?? 400)) return;
    } else stableSince = 0;
    await sleep(50);
  }
  assert.deepEqual(last, want, opts.what ?? 'did not settle at the expected value');
}

export const podKey = (i: number) => ({ networkName: 'vpcwire', containerId: `c${String(i).padStart(8, '0')}`, ifName: 'eth0' });

/** Adds pods as kubelet would: a POOL_EMPTY answer (CNI code 11) is retried after a moment. */
export async function addPods(p: IpamdProcess, from: number, to: number): Promise<string[]> {
  const ips: string[] = [];
  for (let i = from; i < to; i++) {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await p.client.addNetwork({
          key: podKey(i),
          netns: `/var/run/netns/pod${i}`,
          pod: { namespace: 'default', name: `pod-${i}`, uid: `uid-${i}` },
        });
        ips.push(r.ipv4Address);
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== 'IPAMD_CALL_POOL_EMPTY' || attempt > 150) throw e;
        await sleep(100);
      }
    }
  }
  return ips;
}

export async function delPods(p: IpamdProcess, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await p.client.delNetwork({ key: podKey(i), reason: 'test' });
}
