/**
 * `npm run bench -- history` (issue 13 item 1): what the address history costs an ADD. ipamd as a
 * real process against the emulator, once with VPCWIRE_HISTORY=false and once with it on, in
 * alternating rounds so the shared machine's noise falls on both: AddNetwork / DelNetwork round
 * trips one at a time, and bursts of concurrent ADDs (group commit: the history is appended and
 * synced beside the checkpoint write, once per batch). Figures only; nothing asserts a timing.
 */
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpoint } from '../../ipamd/datastore/checkpoint.ts';
import { Datastore } from '../../ipamd/datastore/datastore.ts';
import { HistoryJournal } from '../../ipamd/history/journal.ts';
import { silentLogger } from '../../ipamd/logger.ts';
import { vethOfAllocation } from '../../ipamd/veth.ts';
import { chooseAddress } from '../../warm-pool/index.ts';
import { podKey } from '../helpers/pool.ts';
import { benchHistoryQuery, type QueryBenchResult } from './history-query.ts';
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
  /**
   * In-process, without gRPC or a second process: Datastore.assign (checkpoint write, and with the
   * history its append + fdatasync beside it), alternating off and on call by call, so the
   * machine's noise falls evenly on both.
   */
  inProcess: { off: Summary; on: Summary; ratio: number; n: number };
  calls: number;
  burstSize: number;
  rounds: number;
  off: HistoryModeResult;
  on: HistoryModeResult;
  /** on / off medians. */
  addRatio: number;
  burstRatio: number;
  /** One `/v1/history` / `vpcwire history` query over a 200,000-line history (history-query.ts). */
  query: QueryBenchResult;
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

async function benchInProcess(n: number): Promise<HistoryBenchResult['inProcess']> {
  const dir = await mkdtemp(join(tmpdir(), 'vpcwire-history-bench-'));
  try {
    const logger = silentLogger();
    const eni = { id: 'eni-0', deviceIndex: 0, mac: '02:00:00:00:00:00', isPrimary: true, subnetCidr: '10.0.0.0/24', primaryIp: '10.0.0.4', secondaryIps: Array.from({ length: 200 }, (_, i) => `10.0.0.${i + 10}`) };
    const make = async (history: boolean) => {
      const sub = join(dir, history ? 'on' : 'off');
      const journal = history ? await HistoryJournal.open({ dir: join(sub, 'history'), logger, vethOf: (a) => vethOfAllocation('eni', a), maxFileBytes: 16 << 20, maxFiles: 16, maxAgeMs: 30 * 86_400_000 }) : undefined;
      const ds = new Datastore({ checkpoint: new Checkpoint({ path: join(sub, 'ipam.json'), logger }), chooseAddress, logger, cooldownMs: 0, ...(journal ? { journal } : {}) });
      await ds.addEni(eni);
      await ds.restore({ allocations: [], cooling: [] }, { vethExists: async () => true });
      await journal?.reconcile([]);
      // 100 pods held, as on a busy node: the checkpoint is that big.
      for (let i = 0; i < 100; i++) await ds.assign(podKey(i), req(i).pod);
      return { ds, journal };
    };
    const off = await make(false);
    const on = await make(true);
    const times = { off: [] as number[], on: [] as number[] };
    for (let i = 0; i < n; i++) {
      for (const [name, node] of [['off', off], ['on', on]] as const) {
        const t0 = performance.now();
        await node.ds.assign(podKey(1000 + i), req(1000 + i).pod);
        times[name].push(performance.now() - t0);
        await node.ds.release(podKey(1000 + i));
      }
    }
    await on.journal?.close();
    const s = { off: summarize(times.off), on: summarize(times.on) };
    return { ...s, ratio: s.on.median / s.off.median, n };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchHistory(opts: { calls?: number; rounds?: number; burstSize?: number; bursts?: number; inProcessCalls?: number } = {}): Promise<HistoryBenchResult> {
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
  const inProcess = await benchInProcess(opts.inProcessCalls ?? 2000);
  const query = benchHistoryQuery();
  const mode = (m: (typeof acc)['on']): HistoryModeResult => ({ add: summarize(m.add), del: summarize(m.del), burst: summarize(m.burst), bytesPerPod: m.bytes });
  const on = mode(acc.on);
  const off = mode(acc.off);
  return { inProcess, calls, burstSize, rounds, off, on, addRatio: on.add.median / off.add.median, burstRatio: on.burst.median / off.burst.median, query };
}
