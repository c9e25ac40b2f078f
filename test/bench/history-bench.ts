/**
 * `npm run bench -- history` (issue 13 item 1): what the address history costs an ADD. ipamd as a
 * real process against the emulator, once with VPCWIRE_HISTORY=false and once with it on, in
 * alternating rounds so the shared machine's noise falls on both: AddNetwork / DelNetwork round
 * trips one at a time, and bursts of concurrent ADDs (group commit: the history is appended and
 * synced beside the checkpoint write, once per batch). Figures only; nothing asserts a timing.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { podKey } from '../helpers/pool.ts';
import { withNode } from './ipamd-bench-helpers.ts';
import { type Summary, summarize } from './stats.ts';

const ENV = { WARM_ENI_TARGET: '1', IP_COOLDOWN_PERIOD: '0' };

export interface HistoryModeResult {
  add: Summary;
  del: Summary;
  /** Wall time of a burst of `burst` concurrent ADDs (then their DELs, untimed). */
  burst: Summary;
  /** Bytes the history grew by per pod lifecycle (ADD + DEL). */
  bytesPerPod: number;
}

export interface HistoryBenchResult {
  calls: number;
  burstSize: number;
  rounds: number;
  off: HistoryModeResult;
  on: HistoryModeResult;
  /** on / off medians. */
  addRatio: number;
  burstRatio: number;
}

const req = (i: number) => ({ key: podKey(i), netns: `/var/run/netns/pod${i}`, pod: { namespace: 'bench', name: `pod-${i}`, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` } });

async function round(history: boolean, calls: number, burstSize: number, bursts: number, base: number) {
  return withNode('m5.4xlarge', { ...ENV, VPCWIRE_HISTORY: String(history) }, async (_sim, p) => {
    const add: number[] = [];
    const del: number[] = [];
    const burst: number[] = [];
    for (let i = 0; i < 20; i++) {
      await p.client.addNetwork(req(base + i));
      await p.client.delNetwork({ key: podKey(base + i), reason: 'bench' });
    }
    const dir = join(p.dir, 'state', 'history');
    const size = () => (history ? readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0) : 0);
    const before = size();
    for (let i = 0; i < calls; i++) {
      const n = base + 100 + i;
      const t0 = performance.now();
      await p.client.addNetwork(req(n));
      const t1 = performance.now();
      await p.client.delNetwork({ key: podKey(n), reason: 'bench' });
      add.push(t1 - t0);
      del.push(performance.now() - t1);
    }
    const bytesPerPod = (size() - before) / calls;
    for (let b = 0; b < bursts; b++) {
      const ids = Array.from({ length: burstSize }, (_, i) => base + 100_000 + b * burstSize + i);
      const t0 = performance.now();
      await Promise.all(ids.map((n) => p.client.addNetwork(req(n))));
      burst.push(performance.now() - t0);
      await Promise.all(ids.map((n) => p.client.delNetwork({ key: podKey(n), reason: 'bench' })));
    }
    return { add, del, burst, bytesPerPod };
  });
}

export async function benchHistory(opts: { calls?: number; rounds?: number; burstSize?: number; bursts?: number } = {}): Promise<HistoryBenchResult> {
  const calls = opts.calls ?? 300;
  const rounds = opts.rounds ?? 3;
  const burstSize = opts.burstSize ?? 32;
  const bursts = opts.bursts ?? 10;
  const acc = { off: { add: [] as number[], del: [] as number[], burst: [] as number[], bytes: 0 }, on: { add: [] as number[], del: [] as number[], burst: [] as number[], bytes: 0 } };
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const res = await round(mode === 'on', calls, burstSize, bursts, r * 1_000_000);
      acc[mode].add.push(...res.add);
      acc[mode].del.push(...res.del);
      acc[mode].burst.push(...res.burst);
      acc[mode].bytes = res.bytesPerPod;
    }
  }
  const mode = (m: (typeof acc)['on']): HistoryModeResult => ({ add: summarize(m.add), del: summarize(m.del), burst: summarize(m.burst), bytesPerPod: m.bytes });
  const on = mode(acc.on);
  const off = mode(acc.off);
  return { calls, burstSize, rounds, off, on, addRatio: on.add.median / off.add.median, burstRatio: on.burst.median / off.burst.median };
}
