/**
 * Shared by the ipamd benchmarks (ipamd-bench.ts, ipamd-start-memory.ts, ipamd-ec2-calls.ts): the
 * one-node topology, an emulator with ipamd running on it, and the process and environment helpers
 * for the timed starts and the context figures.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ipamdEnv as clusterIpamdEnv } from '../../cluster/ipamd-env.ts';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import type { Topology } from '../../sim/topology.ts';
import { type IpamdProcess, startIpamdProcess } from '../helpers/ipamd-process.ts';
import { type Summary, summarize } from './stats.ts';

export const topology = (type: string): Topology => ({
  vpc: {
    cidrs: ['10.70.0.0/16'],
    subnets: [{ name: 'nodes', cidr: '10.70.0.0/18', az: 'us-west-2a' }],
    securityGroups: [{ name: 'node-sg' }],
  },
  instances: [{ name: 'node', type, subnet: 'nodes', securityGroups: ['node-sg'] }],
});

/** The emulator answers at once (profile `fast`: 5 ms attach/detach, IMDS 20 ms behind), no throttling. */
export async function withNode<T>(type: string, env: Record<string, string>, fn: (sim: Emulator, p: IpamdProcess, instanceId: string) => Promise<T>): Promise<T> {
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

export function procStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/**
 * The environment startIpamdProcess gives ipamd (test/helpers/ipamd-process.ts), for timed starts
 * of our own, without NODE_COMPILE_CACHE unless asked (ipamd/main.ts enables Node's default cache itself).
 */
export function ipamdEnv(sim: Emulator, instanceId: string, p: IpamdProcess, extra: Record<string, string>): NodeJS.ProcessEnv {
  const files = { socket: p.socket, checkpoint: p.checkpoint, netDir: p.netDir, releaseNotesDir: p.releaseNotesDir, logFile: join(p.dir, 'ipamd.log') };
  return { ...clusterIpamdEnv(sim, instanceId, files, { compileCache: false }), ...extra };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/**
 * Environment of the context processes: ours minus NODE_EXTRA_CA_CERTS (runtimes never pass it;
 * it costs ~55 ms a start) and NODE_COMPILE_CACHE (compared with ipamd started without one).
 */
export function contextEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_COMPILE_CACHE;
  return env;
}

/** Spawn to exit of `node <args>`, `n` times after one untimed run. */
export async function nodeStart(args: string[], n: number): Promise<Summary> {
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
export async function nodeRss(code: string, settleMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { env: contextEnv(), stdio: 'ignore' });
  try {
    await sleep(settleMs);
    return procStatusKiB(child.pid!, 'VmRSS');
  } finally {
    await stopChild(child);
  }
}

export const median = (xs: readonly number[]) => summarize(xs).median;
