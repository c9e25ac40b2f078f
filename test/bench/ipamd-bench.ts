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
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectIpam } from '../../ipamd/api/client.ts';
import { hostVethName } from '../../ipamd/veth.ts';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import { instanceTypeLimits } from '../../sim/model/limits.ts';
import type { Topology } from '../../sim/topology.ts';
import { type IpamdProcess, startIpamdProcess } from '../helpers/ipamd-process.ts';
import { addPods, delPods, ec2Counts, podKey, settles } from '../helpers/pool.ts';
import { type Summary, summarize } from './stats.ts';

const MAIN = new URL('../../ipamd/main.ts', import.meta.url).pathname;

const topology = (type: string): Topology => ({
  vpc: {
    cidrs: ['10.70.0.0/16'],
    subnets: [{ name: 'nodes', cidr: '10.70.0.0/18', az: 'us-west-2a' }],
    securityGroups: [{ name: 'node-sg' }],
  },
  instances: [{ name: 'node', type, subnet: 'nodes', securityGroups: ['node-sg'] }],
});

/** The emulator answers at once (profile `fast`: 5 ms attach/detach, IMDS 20 ms behind), no throttling. */
async function withNode<T>(type: string, env: Record<string, string>, fn: (sim: Emulator, p: IpamdProcess, instanceId: string) => Promise<T>): Promise<T> {
  const sim = await startEmulator({ topology: topology(type), profile: 'fast', throttling: false });
  const instanceId = sim.instance('node').id;
  let p: IpamdProcess | undefined;
  try {
    p = await startIpamdProcess(sim, instanceId, env);
    return await fn(sim, p, instanceId);
  } finally {
    await p?.stop();
    await sim.stop();
  }
}

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
// 2 and 3. Start to serving with 250 checkpointed allocations; resident memory with 250 pods

export interface StartResult {
  instanceType: string;
  env: Record<string, string>;
  pods: number;
  /** Spawn -> grpc.health.v1 Check answers SERVING, over `restarts` restarts on the same files. */
  startToServing: Summary;
  /** The same with NODE_COMPILE_CACHE pointing at a warm V8 code cache (a directory of its own). */
  startToServingCompileCache: Summary;
  /** Allocations ipamd listed after each restart (all of them must survive). */
  allocationsAfterRestart: number[];
  /** From ipamd's log, median ms after spawn of: the first log line, checkpoint replayed, API listening, serving. */
  phases: Record<string, number>;
  /** `node -e 0`, spawn to exit, same machine, NODE_EXTRA_CA_CERTS unset. */
  nodeBareStart: Summary;
  /** A node process that only imports ipamd's modules (ipamd/daemon.ts) and exits: the code-loading share. */
  ipamdImportOnly: Summary;
}

export interface MemoryResult {
  instanceType: string;
  pods: number;
  /** VmRSS of the ipamd process (KiB): serving with no pod; right after the 250th pod; after a pause. */
  idleRssKiB: number;
  rssAfterPodsKiB: number;
  rssAfterPauseKiB: number;
  pauseMs: number;
  /** VmHWM (peak RSS) at the end of the pause. */
  peakRssKiB: number;
  /** The same process after a restart that replayed the 250 allocations, after the pause. */
  rssRestartedKiB: number;
  /** Context: an idle `node`, and one that has only imported ipamd's modules. */
  bareNodeRssKiB: number;
  importedRssKiB: number;
}

function procStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/**
 * The environment startIpamdProcess gives ipamd (test/helpers/ipamd-process.ts), for timed starts
 * of our own, without NODE_COMPILE_CACHE unless asked (ipamd/main.ts enables Node's default cache itself).
 */
function ipamdEnv(sim: Emulator, instanceId: string, p: IpamdProcess, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    AWS_REGION: sim.region,
    AWS_ACCESS_KEY_ID: sim.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sim.credentials.secretAccessKey,
    AWS_EC2_ENDPOINT: sim.endpoints.ec2,
    AWS_EC2_METADATA_DISABLED: 'true',
    VPCWIRE_IMDS_ENDPOINT: sim.imdsEndpoint(instanceId),
    VPCWIRE_SOCKET: p.socket,
    VPCWIRE_CHECKPOINT: p.checkpoint,
    VPCWIRE_NET_DIR: p.netDir,
    VPCWIRE_RELEASE_NOTES_DIR: p.releaseNotesDir,
    AWS_VPC_K8S_CNI_LOGLEVEL: 'INFO',
    AWS_VPC_K8S_CNI_LOG_FILE: join(p.dir, 'ipamd.log'),
    ...extra,
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/**
 * One timed start: spawn, wait for the socket file (ipamd publishes it by rename once the server
 * listens), then poll health every millisecond on one channel until SERVING. Dialling only once
 * the socket exists keeps gRPC's reconnect backoff (1 s) out of the figure.
 */
async function timedStart(env: NodeJS.ProcessEnv, socket: string): Promise<{ ms: number; spawnedAt: number; child: ChildProcess; allocations: number }> {
  if (existsSync(socket)) throw new Error(`stale socket ${socket} before start`);
  const spawnedAt = Date.now();
  const t0 = performance.now();
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 30_000;
  const alive = () => {
    if (child.exitCode !== null) throw new Error(`ipamd exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`ipamd did not become SERVING: ${stderr}`);
  };
  let client: ReturnType<typeof connectIpam> | undefined;
  try {
    while (!existsSync(socket)) {
      alive();
      await sleep(1);
    }
    client = connectIpam(socket, { deadlineMs: 5000 });
    for (;;) {
      alive();
      const serving = await client.checkHealth().then(
        (s) => s === 'SERVING',
        () => false,
      );
      if (serving) break;
      await sleep(1);
    }
    const ms = performance.now() - t0;
    const allocations = (await client.listAllocations()).length;
    return { ms, spawnedAt, child, allocations };
  } catch (e) {
    await stopChild(child);
    throw e;
  } finally {
    client?.close();
  }
}

/** ms after `spawnedAt` of the first log line at or after it, and of the first line matching each message. */
function logPhases(logFile: string, spawnedAt: number): Record<string, number> {
  const lines = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { message: string; timestamp: string })
    .map((l) => ({ message: l.message, at: Date.parse(l.timestamp) }))
    .filter((l) => l.at >= spawnedAt);
  const out: Record<string, number> = {};
  if (lines[0]) out['first log line'] = lines[0].at - spawnedAt;
  for (const [name, message] of [
    ['instance discovered', 'instance discovered'],
    ['checkpoint replayed', 'checkpoint replayed'],
    ['API listening', 'allocation API listening'],
    ['serving', 'ipamd serving'],
  ] as const) {
    const l = lines.find((x) => x.message === message);
    if (l) out[name] = l.at - spawnedAt;
  }
  return out;
}

const DAEMON = new URL('../../ipamd/daemon.ts', import.meta.url).href;

/**
 * Environment of the context processes: ours minus NODE_EXTRA_CA_CERTS (runtimes never pass it;
 * it costs ~55 ms a start) and NODE_COMPILE_CACHE (compared with ipamd started without one).
 */
function contextEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_COMPILE_CACHE;
  return env;
}

/** Spawn to exit of `node <args>`, `n` times after one untimed run. */
async function nodeStart(args: string[], n: number): Promise<Summary> {
  const env = contextEnv();
  const samples: number[] = [];
  for (let i = 0; i < n + 1; i++) {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`node ${args.join(' ')} exited ${code}`);
    if (i > 0) samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

/** VmRSS of a node process running `code` (which must keep it alive), `settleMs` after spawn. */
async function nodeRss(code: string, settleMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { env: contextEnv(), stdio: 'ignore' });
  try {
    await sleep(settleMs);
    return procStatusKiB(child.pid!, 'VmRSS');
  } finally {
    await stopChild(child);
  }
}

const median = (xs: readonly number[]) => summarize(xs).median;

async function benchStartAndMemory(pods: number, restarts: number, pauseMs: number): Promise<{ start: StartResult; memory: MemoryResult }> {
  // Prefix mode on an m5.large: 3 ENIs x 9 slots x 16 = 432 addresses, room for 250 pods.
  const type = 'm5.large';
  const env = { ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '1' };
  return withNode(type, env, async (sim, p, instanceId) => {
    await sleep(pauseMs);
    const idleRssKiB = procStatusKiB(p.child.pid!, 'VmRSS');
    await addPods(p, 0, pods);
    const rssAfterPodsKiB = procStatusKiB(p.child.pid!, 'VmRSS');
    await sleep(pauseMs);
    const rssAfterPauseKiB = procStatusKiB(p.child.pid!, 'VmRSS');
    const peakRssKiB = procStatusKiB(p.child.pid!, 'VmHWM');
    // The pods' host veths exist, so a restart keeps every allocation.
    for (let i = 0; i < pods; i++) writeFileSync(join(p.netDir, hostVethName('eni', 'default', `pod-${i}`)), '');
    await p.kill('SIGTERM');

    const childEnv = ipamdEnv(sim, instanceId, p, env);
    const samples: number[] = [];
    const allocationsAfterRestart: number[] = [];
    const phases: Record<string, number[]> = {};
    let rssRestartedKiB = 0;
    for (let r = 0; r < restarts; r++) {
      const s = await timedStart(childEnv, p.socket);
      try {
        samples.push(s.ms);
        allocationsAfterRestart.push(s.allocations);
        for (const [k, v] of Object.entries(logPhases(join(p.dir, 'ipamd.log'), s.spawnedAt))) (phases[k] ??= []).push(v);
        if (r === restarts - 1) {
          await sleep(pauseMs);
          rssRestartedKiB = procStatusKiB(s.child.pid!, 'VmRSS');
        }
      } finally {
        await stopChild(s.child);
      }
    }
    // With a V8 code cache: one untimed start fills it, then timed ones read it.
    const cachedEnv = { ...childEnv, NODE_COMPILE_CACHE: join(p.dir, 'compile-cache') };
    const cached: number[] = [];
    for (let r = 0; r < 4; r++) {
      const s = await timedStart(cachedEnv, p.socket);
      await stopChild(s.child);
      if (s.allocations !== pods) throw new Error(`restart kept ${s.allocations} of ${pods} allocations`);
      if (r > 0) cached.push(s.ms);
    }
    const nodeBare = await nodeStart(['-e', '0'], 10);
    const importOnly = await nodeStart(['--input-type=module', '-e', `await import(${JSON.stringify(DAEMON)})`], 5);
    const keepAlive = 'setInterval(() => {}, 1000);';
    const bareNodeRssKiB = await nodeRss(keepAlive, 500);
    const importedRssKiB = await nodeRss(`await import(${JSON.stringify(DAEMON)}); ${keepAlive}`, pauseMs);
    return {
      start: {
        instanceType: type,
        env,
        pods,
        startToServing: summarize(samples),
        startToServingCompileCache: summarize(cached),
        allocationsAfterRestart,
        phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, median(v)])),
        nodeBareStart: nodeBare,
        ipamdImportOnly: importOnly,
      },
      memory: {
        instanceType: type,
        pods,
        idleRssKiB,
        rssAfterPodsKiB,
        rssAfterPauseKiB,
        pauseMs,
        peakRssKiB,
        rssRestartedKiB,
        bareNodeRssKiB,
        importedRssKiB,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 4. EC2 mutating calls, 0 -> 100 -> 0 pods

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

async function benchEc2Calls(
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
