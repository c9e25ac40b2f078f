/**
 * CNI plugin benchmark (issue 4, "Done when"): vpcwire's real binary against Debian's ptp +
 * host-local, side by side in one run on this machine, both exec'd the same way (nsenter into the
 * same emulated node netns, a runtime's sparse environment, no NODE_EXTRA_CA_CERTS):
 *   - ADD and DEL wall time of one pod, median of `iterations`, warm pool, the two interleaved;
 *   - the total wall time of `concurrent` ADDs started at once (and their DELs), median of rounds;
 *   - context: `node -e 0` and the plugin binary answering VERSION, in the same run;
 *   - where the plugin's time goes, from its own log (Node's timeline of each invocation).
 * Figures and ratios only: nothing here asserts a timing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deleteNetns, ip, run } from '../../sim/dataplane/ip.ts';
import { type LocalCluster, startLocalCluster } from '../../cluster/local-cluster.ts';
import { execPlugin, podArgs, type PluginRun } from '../../cluster/plugin-exec.ts';
import type { Topology } from '../../sim/topology.ts';
import { pluginBinary } from '../helpers/plugin.ts';
import { type Summary, summarize } from './stats.ts';

const PTP = '/usr/lib/cni/ptp';

export interface CniBenchResult {
  machine: { cpus: number; node: string; kernel: string };
  iterations: number;
  concurrent: number;
  rounds: number;
  vpcwire: { add: Summary; del: Summary; concurrentAddTotal: Summary; concurrentDelTotal: Summary; concurrentAddEach: Summary };
  ptp: { add: Summary; del: Summary; concurrentAddTotal: Summary; concurrentDelTotal: Summary; concurrentAddEach: Summary };
  context: { nodeBare: Summary; pluginVersion: Summary; nsenterTrue: Summary; concurrentVersionTotal: Summary };
  ratios: { add: number; del: number; concurrentAdd: number; concurrentDel: number };
  /** Medians over the timed sequential runs, ms since the plugin process started (Node's timeline). */
  addPhases: Record<string, number>;
  delPhases: Record<string, number>;
  /** Median of wall time minus the plugin's own last mark: exec, exit and the runtime's read of stdout. */
  addOutsideMs: number;
  bundleBytes: number;
  binaryBytes: number;
}

const topology: Topology = {
  vpc: { cidrs: ['10.90.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.90.0.0/18', az: 'us-west-2a' }] },
  instances: [{ name: 'node', type: 'm5.4xlarge', subnet: 'nodes' }],
};

function ok(r: PluginRun, what: string): PluginRun {
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}): ${r.stdout}${r.stderr}`);
  return r;
}

async function timeCommand(file: string, args: string[], n: number, extraEnv: Record<string, string> = {}): Promise<Summary> {
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...extraEnv }; // no NODE_EXTRA_CA_CERTS: runtimes never pass it
  const out: number[] = [];
  const { spawn } = await import('node:child_process');
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const c = spawn(file, args, { env, stdio: ['pipe', 'ignore', 'ignore'] });
      c.on('error', reject);
      c.on('close', () => resolve());
      c.stdin.on('error', () => {}); // `node -e 0` exits without reading stdin
      c.stdin.end('{"cniVersion":"1.0.0"}');
    });
    out.push(performance.now() - t0);
  }
  return summarize(out);
}

const median = (xs: number[]): number => summarize(xs).median;

export async function benchCni(opts: { iterations?: number; concurrent?: number; rounds?: number } = {}): Promise<CniBenchResult> {
  const iterations = opts.iterations ?? 50;
  const concurrent = opts.concurrent ?? 50;
  const rounds = opts.rounds ?? 3;
  const plugin = await pluginBinary();
  const dataDir = mkdtempSync(join(tmpdir(), 'vpcwire-bench-hostlocal-'));
  // A pool that never waits for EC2 during the run (MINIMUM_IP_TARGET holds enough for every
  // concurrent ADD, so no pod triggers a top-up) and addresses reusable at once (IP_COOLDOWN_PERIOD=0),
  // as host-local's are: the comparison is of the plugins, not of the pool's refill.
  const c: LocalCluster = await startLocalCluster({
    nodes: ['node'],
    plugin,
    emulator: { topology },
    ipamdEnv: { MINIMUM_IP_TARGET: String(concurrent + 20), IP_COOLDOWN_PERIOD: '0' },
  });
  const node = c.node('node');
  const nodeNs = node.netns!;
  const prefix = c.sim.dataPlane!.routerNetns.replace(/vpc$/, '');
  try {
    for (let i = 0; i < 200 && (await node.client.getPoolStatus()).free_addresses < concurrent + 10; i++) await sleep(100);
    const vpcConf = node.pluginConfig('1.0.0');
    const ptpConf = {
      cniVersion: '1.0.0',
      name: 'bench-ptp',
      type: 'ptp',
      ipMasq: false,
      mtu: 9001,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.250.0.0/16' }]], dataDir },
    };
    let seq = 0;
    const newPod = async () => {
      const ns = `${prefix}b${++seq}`;
      await ip(['netns', 'add', ns]);
      return { ns, path: `/run/netns/${ns}`, id: randomBytes(32).toString('hex'), name: `bench-${seq}` };
    };
    type Pod = Awaited<ReturnType<typeof newPod>>;
    const call = (which: 'vpcwire' | 'ptp', command: 'ADD' | 'DEL', p: Pod, prevResult?: unknown) =>
      execPlugin({
        plugin: which === 'vpcwire' ? plugin : PTP,
        nodeNetns: nodeNs,
        command,
        containerId: p.id,
        netns: p.path,
        ifName: 'eth0',
        args: podArgs({ namespace: 'bench', name: p.name }, p.id),
        config: { ...(which === 'vpcwire' ? vpcConf : ptpConf), ...(prevResult ? { prevResult } : {}) },
        env: { CNI_PATH: '/usr/lib/cni' },
      });

    const seqAdd = { vpcwire: [] as number[], ptp: [] as number[] };
    const seqDel = { vpcwire: [] as number[], ptp: [] as number[] };
    const logStart = readFileSync(node.pluginLogFile, { encoding: 'utf8', flag: 'a+' }).length;
    const outside: number[] = [];
    const warmup = 5;
    for (let i = 0; i < iterations + warmup; i++) {
      // Alternate which goes first, so neither always meets a cache the other warmed.
      for (const which of i % 2 ? (['ptp', 'vpcwire'] as const) : (['vpcwire', 'ptp'] as const)) {
        const p = await newPod();
        const add = ok(await call(which, 'ADD', p), `${which} ADD`);
        const del = ok(await call(which, 'DEL', p, add.json), `${which} DEL`);
        await deleteNetns(p.ns);
        if (i < warmup) continue;
        seqAdd[which].push(add.ms);
        seqDel[which].push(del.ms);
      }
    }
    // The plugin's own timeline of the timed sequential calls.
    const lines = readFileSync(node.pluginLogFile, 'utf8')
      .slice(logStart)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { verb: string; ms: Record<string, number> });
    const phaseMedians = (verb: string): Record<string, number> => {
      const entries = lines.filter((l) => l.verb === verb).slice(warmup);
      const keys = Object.keys(entries[0]?.ms ?? {});
      return Object.fromEntries(keys.map((k) => [k, Number(median(entries.map((e) => e.ms[k] ?? Number.NaN)).toFixed(2))]));
    };
    const addPhases = phaseMedians('ADD');
    const delPhases = phaseMedians('DEL');
    const addWall = median(seqAdd.vpcwire);
    outside.push(addWall - (addPhases.done ?? addWall));

    const conc = { vpcwire: { add: [] as number[], del: [] as number[], each: [] as number[] }, ptp: { add: [] as number[], del: [] as number[], each: [] as number[] } };
    for (let r = 0; r < rounds; r++) {
      for (const which of r % 2 ? (['ptp', 'vpcwire'] as const) : (['vpcwire', 'ptp'] as const)) {
        // One at a time: concurrent `ip netns add` races on /run/netns's mount and can leave files
        // that are not namespaces.
        const pods: Pod[] = [];
        for (let i = 0; i < concurrent; i++) pods.push(await newPod());
        const t0 = performance.now();
        const adds = await Promise.all(pods.map((p) => call(which, 'ADD', p)));
        conc[which].add.push(performance.now() - t0);
        adds.forEach((a, i) => ok(a, `${which} concurrent ADD ${i}`));
        conc[which].each.push(...adds.map((a) => a.ms));
        const t1 = performance.now();
        const dels = await Promise.all(pods.map((p, i) => call(which, 'DEL', p, adds[i]!.json)));
        conc[which].del.push(performance.now() - t1);
        dels.forEach((d, i) => ok(d, `${which} concurrent DEL ${i}`));
        for (const p of pods) await deleteNetns(p.ns);
        await sleep(500); // let the kernel finish tearing veths down before the other plugin's round
      }
    }

    // The floor of any plugin that is a Node process: the binary started 50 times at once, through
    // the same nsenter the plugins are exec'd with, doing nothing but answer VERSION.
    const floor: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrent }, () =>
          execPlugin({ plugin, nodeNetns: nodeNs, command: 'VERSION', config: { cniVersion: '1.0.0' } }).then((x) => ok(x, 'VERSION')),
        ),
      );
      floor.push(performance.now() - t0);
    }
    const nodeBare = await timeCommand(process.execPath, ['-e', '0'], iterations);
    const pluginVersion = await timeCommand(plugin, [], iterations, { CNI_COMMAND: 'VERSION' });
    const nsenterTrue = await timeCommand('nsenter', [`--net=/run/netns/${nodeNs}`, '/bin/true'], iterations);
    const s = (xs: number[]) => summarize(xs);
    const result: CniBenchResult = {
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version, kernel: (await run('uname', ['-r'])).stdout.trim() },
      iterations,
      concurrent,
      rounds,
      vpcwire: { add: s(seqAdd.vpcwire), del: s(seqDel.vpcwire), concurrentAddTotal: s(conc.vpcwire.add), concurrentDelTotal: s(conc.vpcwire.del), concurrentAddEach: s(conc.vpcwire.each) },
      ptp: { add: s(seqAdd.ptp), del: s(seqDel.ptp), concurrentAddTotal: s(conc.ptp.add), concurrentDelTotal: s(conc.ptp.del), concurrentAddEach: s(conc.ptp.each) },
      context: { nodeBare, pluginVersion, nsenterTrue, concurrentVersionTotal: s(floor) },
      ratios: {
        add: median(seqAdd.vpcwire) / median(seqAdd.ptp),
        del: median(seqDel.vpcwire) / median(seqDel.ptp),
        concurrentAdd: median(conc.vpcwire.add) / median(conc.ptp.add),
        concurrentDel: median(conc.vpcwire.del) / median(conc.ptp.del),
      },
      addPhases,
      delPhases,
      addOutsideMs: Number(median(outside).toFixed(2)),
      bundleBytes: readFileSync(`${plugin}.cjs`).length,
      binaryBytes: readFileSync(plugin).length,
    };
    return result;
  } finally {
    await c.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
