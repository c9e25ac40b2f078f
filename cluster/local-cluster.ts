/**
 * A local cluster on the emulator: its kernel data plane (a netns per instance behind the VPC
 * router), ipamd running for each node, and pods whose network namespaces are wired by the real
 * CNI plugin binary exec'd inside their node's netns, as a runtime does. The demo runs on it; the
 * end-to-end tests use it to show pods reaching each other across nodes.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { deleteNetns, ip } from '../sim/dataplane/ip.ts';
import { type Emulator, type EmulatorOptions, startEmulator } from '../sim/emulator.ts';
import { type LocalNode, startLocalNode } from './local-node.ts';
import { execPlugin, podArgs, type PluginRun } from './plugin-exec.ts';

export interface PodSpec {
  readonly namespace: string;
  readonly name: string;
}

export interface LocalPod extends PodSpec {
  readonly node: LocalNode;
  readonly containerId: string;
  /** The pod's netns name (under /run/netns). */
  readonly netns: string;
  readonly netnsPath: string;
  readonly ip: string;
  readonly hostVeth: string;
  /** The ADD result, as the runtime caches it (the prevResult of DEL and CHECK). */
  readonly result: Record<string, unknown>;
  /** How many ADDs it took (CNI 11, "try again later", is retried as kubelet does). */
  readonly attempts: number;
  /** Wall time of the successful ADD (exec to exit). */
  readonly addMs: number;
}

export interface LocalCluster {
  readonly sim: Emulator;
  readonly nodes: readonly LocalNode[];
  readonly plugin: string;
  node(name: string): LocalNode;
  /**
   * Starts ipamd for one more emulated instance, with `env` over the cluster's ipamdEnv (a node
   * whose ipamd runs the CNI installer for a runtime, say); stopped with the cluster.
   */
  addNode(name: string, env?: Record<string, string>): Promise<LocalNode>;
  pods(): readonly LocalPod[];
  addPod(node: string, pod: PodSpec, opts?: { cniVersion?: string; maxAttempts?: number }): Promise<LocalPod>;
  /** CNI DEL with the cached result, then the pod's netns removed, as a runtime tears a sandbox down. */
  delPod(pod: LocalPod): Promise<PluginRun>;
  /** Drops a pod a test tore down by hand: its netns is removed if it is still there. */
  forget(pod: LocalPod): Promise<void>;
  /** CHECK against the cached result. */
  checkPod(pod: LocalPod): Promise<PluginRun>;
  /** Tears down every pod, stops every ipamd and the emulator; reports what it could not remove. */
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  readonly nodes: readonly string[];
  readonly plugin: string;
  readonly emulator?: EmulatorOptions;
  /** ipamd's environment for every node (warm-pool targets and such). */
  readonly ipamdEnv?: Record<string, string>;
}

export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const sim = await startEmulator({ profile: 'fast', throttling: false, dataPlane: true, ...o.emulator });
  const nodes: LocalNode[] = [];
  const pods: LocalPod[] = [];
  const prefix = sim.dataPlane ? sim.dataPlane.routerNetns.replace(/vpc$/, '') : `vpcw-${randomBytes(3).toString('hex')}-`;
  let seq = 0;

  const cluster: LocalCluster = {
    sim,
    nodes,
    plugin: o.plugin,
    node(name) {
      const n = nodes.find((x) => x.name === name);
      if (!n) throw new Error(`no node ${name} (nodes: ${nodes.map((x) => x.name).join(', ')})`);
      return n;
    },
    async addNode(name, env = {}) {
      const n = await startLocalNode(sim, name, { ...o.ipamdEnv, ...env });
      nodes.push(n);
      return n;
    },
    pods: () => pods,

    async addPod(nodeName, pod, opts = {}) {
      const node = cluster.node(nodeName);
      if (!node.netns) throw new Error('pods need the kernel data plane (root)');
      const netns = `${prefix}p${++seq}`;
      const netnsPath = `/run/netns/${netns}`;
      const containerId = randomBytes(32).toString('hex');
      await ip(['netns', 'add', netns]);
      const max = opts.maxAttempts ?? 40;
      for (let attempt = 1; ; attempt++) {
        const r = await execPlugin({
          plugin: o.plugin,
          nodeNetns: node.netns,
          command: 'ADD',
          containerId,
          netns: netnsPath,
          ifName: 'eth0',
          args: podArgs(pod, containerId),
          config: node.pluginConfig(opts.cniVersion),
        });
        if (r.exitCode === 0 && r.json) {
          const ips = r.json.ips as { address: string }[];
          const ifaces = r.json.interfaces as { name: string; sandbox?: string }[];
          const p: LocalPod = {
            ...pod,
            node,
            containerId,
            netns,
            netnsPath,
            ip: ips[0]!.address.split('/')[0]!,
            hostVeth: ifaces.find((i) => !i.sandbox)!.name,
            result: r.json,
            attempts: attempt,
            addMs: r.ms,
          };
          pods.push(p);
          return p;
        }
        if (r.json?.code !== 11 || attempt >= max) {
          await deleteNetns(netns).catch(() => undefined);
          throw new Error(`CNI ADD of ${pod.namespace}/${pod.name} on ${nodeName} failed (exit ${r.exitCode}): ${r.stdout}${r.stderr}`);
        }
        await sleep(Math.min(100 * attempt, 1000)); // the pool is growing: try again later, as kubelet does
      }
    },

    async delPod(p) {
      const r = await execPlugin({
        plugin: o.plugin,
        nodeNetns: p.node.netns!,
        command: 'DEL',
        containerId: p.containerId,
        netns: p.netnsPath,
        ifName: 'eth0',
        args: podArgs(p, p.containerId),
        config: { ...p.node.pluginConfig(String(p.result.cniVersion)), prevResult: p.result },
      });
      if (r.exitCode === 0) {
        await deleteNetns(p.netns);
        pods.splice(pods.indexOf(p), 1);
      }
      return r;
    },

    async forget(p) {
      const i = pods.indexOf(p);
      if (i >= 0) pods.splice(i, 1);
      await deleteNetns(p.netns);
    },

    checkPod(p) {
      return execPlugin({
        plugin: o.plugin,
        nodeNetns: p.node.netns!,
        command: 'CHECK',
        containerId: p.containerId,
        netns: p.netnsPath,
        ifName: 'eth0',
        args: podArgs(p, p.containerId),
        config: { ...p.node.pluginConfig(String(p.result.cniVersion)), prevResult: p.result },
      });
    },

    async stop() {
      const problems: string[] = [];
      for (const p of [...pods].reverse()) {
        const r = await cluster.delPod(p).catch((e: Error) => ({ exitCode: -1, stdout: e.message }));
        if (r.exitCode !== 0) {
          problems.push(`DEL ${p.namespace}/${p.name}: ${r.stdout}`);
          await deleteNetns(p.netns).catch(() => undefined);
        }
      }
      for (const n of nodes) await n.stop().catch((e: Error) => problems.push(`ipamd ${n.name}: ${e.message}`));
      await sim.stop().catch((e: Error) => problems.push(`emulator: ${e.message}`));
      if (problems.length) throw new Error(`local cluster teardown: ${problems.join('; ')}`);
    },
  };

  try {
    for (const name of o.nodes) await cluster.addNode(name);
  } catch (e) {
    await cluster.stop().catch(() => undefined);
    throw e;
  }
  return cluster;
}
