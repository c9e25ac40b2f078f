/**
 * ipamd benchmarks 2 and 3: start to serving (spawn -> health SERVING) with 250 checkpointed
 * allocations, next to a bare `node -e 0` start on the same machine; resident memory (VmRSS) of
 * the ipamd process holding 250 pods.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectIpam } from '../../ipamd/api/client.ts';
import { hostVethName } from '../../ipamd/veth.ts';
import { addPods } from '../helpers/pool.ts';
import { ipamdEnv, median, nodeRss, nodeStart, procStatusKiB, stopChild, withNode } from './ipamd-bench-helpers.ts';
import { type Summary, summarize } from './stats.ts';

const MAIN = new URL('../../ipamd/main.ts', import.meta.url).pathname;

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

/** `extraEnv`: more of ipamd's variables (the Kubernetes comparison runs it in-cluster with them). */
export async function benchStartAndMemory(
  pods: number,
  restarts: number,
  pauseMs: number,
  extraEnv: Record<string, string> = {},
): Promise<{ start: StartResult; memory: MemoryResult }> {
  // Prefix mode on an m5.large: 3 ENIs x 9 slots x 16 = 432 addresses, room for 250 pods.
  const type = 'm5.large';
  const env = { ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '1', ...extraEnv };
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
