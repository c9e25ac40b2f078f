/**
 * ipamd benchmarks (issue 3, "Done when"): ipamd as a real process on a real unix socket against
 * the emulator, as the integration tests run it. Figures only; nothing here asserts a timing.
 *
 * 1. AddNetwork / DelNetwork round trip over the socket with a warm pool.
 * 2. Start to serving (spawn -> health SERVING) with 250 checkpointed allocations, next to a bare
 *    `node -e 0` start on the same machine.
 * 3. Resident memory (VmRSS) of the ipamd process holding 250 pods.
 * 4. EC2 mutating calls to bring a node from 0 to 100 pods and back to 0, against the minimum the
 *    instance's limits allow.
 */
import { podKey } from '../helpers/pool.ts';
import { withNode } from './ipamd-bench-helpers.ts';
import { benchEc2Calls, type Ec2CallsResult } from './ipamd-ec2-calls.ts';
import { benchStartAndMemory, type MemoryResult, type StartResult } from './ipamd-start-memory.ts';
import { type Summary, summarize } from './stats.ts';

export type { Ec2CallsResult } from './ipamd-ec2-calls.ts';
export type { MemoryResult, StartResult } from './ipamd-start-memory.ts';

const addRequest = (i: number) => ({
  key: podKey(i),
  netns: `/var/run/netns/pod${i}`,
  pod: { namespace: 'default', name: `pod-${i}`, uid: `uid-${i}` },
});

// ---------------------------------------------------------------------------------------------
// 1. AddNetwork round trip

export interface RoundTripResult {
  instanceType: string;
  env: Record<string, string>;
  /** AddNetwork of a new key (a new pod), client-side round trip over the unix socket. */
  add: Summary;
  /** DelNetwork of that key, same. */
  del: Summary;
  /** grpc.health.v1 Check on the same channel: the floor of a unary call over this socket. */
  healthCheck: Summary;
  /** add.median / healthCheck.median. */
  addToFloor: number;
}

/**
 * `calls` AddNetwork calls, each of a new pod key, each followed by its DelNetwork and a health
 * Check (all three timed apart), one at a time, after `warmup` untimed rounds. The pool is sized
 * so no call waits for EC2.
 */
async function benchRoundTrip(type: string, env: Record<string, string>, calls: number, warmup: number): Promise<RoundTripResult> {
  return withNode(type, env, async (_sim, p) => {
    const add: number[] = [];
    const del: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < warmup + calls; i++) {
      const t0 = performance.now();
      await p.client.addNetwork(addRequest(1_000_000 + i));
      const t1 = performance.now();
      await p.client.delNetwork({ key: podKey(1_000_000 + i), reason: 'bench' });
      const t2 = performance.now();
      await p.client.checkHealth();
      const t3 = performance.now();
      if (i >= warmup) {
        add.push(t1 - t0);
        del.push(t2 - t1);
        floor.push(t3 - t2);
      }
    }
    const healthCheck = summarize(floor);
    const addSummary = summarize(add);
    return { instanceType: type, env, add: addSummary, del: summarize(del), healthCheck, addToFloor: addSummary.median / healthCheck.median };
  });
}

// ---------------------------------------------------------------------------------------------

export interface IpamdBenchResult {
  roundTrip: RoundTripResult;
  /**
   * A 2,128-address pool (prefix mode) with IP_COOLDOWN_PERIOD at its default: every ADD takes a
   * never-used address while the released ones cool.
   */
  roundTripBigPool: RoundTripResult;
  start: StartResult;
  memory: MemoryResult;
  ec2Calls: Ec2CallsResult[];
  /** Wall time of each part of this section. */
  seconds: Record<string, number>;
}

export async function benchIpamd(opts: { calls?: number; warmup?: number; pods?: number; restarts?: number } = {}): Promise<IpamdBenchResult> {
  const calls = opts.calls ?? 2000;
  const warmup = opts.warmup ?? 100;
  const seconds: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      seconds[name] = +((performance.now() - t0) / 1000).toFixed(1);
    }
  };
  // A pool that never runs dry: secondary IPs on an m5.4xlarge with the default WARM_ENI_TARGET=1
  // (29 warm addresses), no cooldown so released addresses return at once.
  const roundTrip = await timed('roundTrip', () => benchRoundTrip('m5.4xlarge', { IP_COOLDOWN_PERIOD: '0' }, calls, warmup));
  // A big pool with the default cooldown (30 s): prefix mode, 2,128 addresses held up front
  // (MINIMUM_IP_TARGET), so the released addresses can all stay cooling and the pool never grows
  // during the run. Half the calls: the cost per call grows with the pool, and so does the time.
  const bigCalls = Math.ceil(calls / 2);
  const roundTripBigPool = await timed('roundTripBigPool', () =>
    benchRoundTrip(
      'm5.4xlarge',
      { ENABLE_PREFIX_DELEGATION: 'true', MINIMUM_IP_TARGET: String(Math.max(2128, Math.ceil((bigCalls + warmup + 16) / 16) * 16)) },
      bigCalls,
      warmup,
    ),
  );
  const { start, memory } = await timed('startAndMemory', () => benchStartAndMemory(opts.pods ?? 250, opts.restarts ?? 7, 2000));
  const ec2Calls = [
    await timed('ec2Calls WARM_ENI_TARGET', () =>
      benchEc2Calls('WARM_ENI_TARGET=1 (default)', 'm5.4xlarge', {}, 100, (s) => 100 + s, (s) => s),
    ),
    await timed('ec2Calls WARM_IP_TARGET', () =>
      benchEc2Calls('WARM_IP_TARGET=5', 'm5.4xlarge', { WARM_IP_TARGET: '5' }, 100, () => 105, () => 5),
    ),
  ];
  return { roundTrip, roundTripBigPool, start, memory, ec2Calls, seconds };
}
