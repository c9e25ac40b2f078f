/**
 * The local demo (issue 4 item 5, the README's main command): the emulator with its kernel data
 * plane, two emulated nodes each running ipamd, a few pods per node wired by the real CNI plugin
 * binary, pods pinging each other across nodes and reaching their own node, a table of pod / node
 * / address / ENI, each node's warm pool, what an operator sees of a node (metrics, introspection,
 * the address history of a deleted pod), then a clean teardown (also on Ctrl-C). Without root or
 * the kernel tools it says what it needs and runs the part that needs no kernel: the emulator and
 * ipamd allocating addresses over its gRPC API as the plugin would ask.
 */
import { parseArgs } from 'node:util';
import { isIpamdError } from '../ipamd/errors.ts';
import { run } from '../sim/dataplane/ip.ts';
import { type EmulatorOptions, startEmulator } from '../sim/emulator.ts';
import { loadTopology } from '../sim/topology.ts';
import { type LocalCluster, type LocalPod, startLocalCluster } from './local-cluster.ts';
import { startLocalNode, type LocalNode } from './local-node.ts';
import { installPackages, planPreflight, type PreflightPlan, probeFacts } from './demo-preflight.ts';
import { table } from '../ipamd/text-table.ts';
import { observeNode } from './demo-observe.ts';
import { podTable, poolSummary, type PodRow } from './demo-report.ts';

export const DEMO_USAGE = `vpcwire demo options:
  --pods N          pods per node (default 4: on t3.small nodes the fourth lands on a secondary ENI)
  --topology FILE   topology JSON (default: sim/topologies/demo.json, two t3.small nodes)
  --hold            keep everything up after the checks until Ctrl-C (then tear down)
  --no-install      never install the Debian packages the kernel part needs (as root with apt-get
                    it installs the missing ones of iproute2, iputils-ping, iptables, util-linux)`;

const DEMO_TOPOLOGY = new URL('../sim/topologies/demo.json', import.meta.url);
const say = (s: string) => process.stdout.write(`${s}\n`);

/**
 * Whether the kernel part can run, after installing what it lacks when it may (demo-preflight.ts);
 * a partial plan says why not and how to get the whole demo.
 */
async function preflight(noInstall: boolean): Promise<PreflightPlan> {
  const plan = planPreflight(await probeFacts(noInstall));
  if (plan.kind !== 'install') return plan;
  const installed = await installPackages(plan.packages, say);
  const after = planPreflight(await probeFacts(true));
  if (after.kind === 'partial' && !installed) return { ...after, hint: `Installing ${plan.packages.join(', ')} with apt-get failed (above). ${after.hint}` };
  return after;
}

/** One echo, its round trip or undefined. */
async function ping(netns: string, to: string): Promise<number | undefined> {
  const r = await run('ip', ['netns', 'exec', netns, 'ping', '-n', '-c', '1', '-W', '2', to]);
  const m = /time=([\d.]+) ms/.exec(r.stdout);
  return r.code === 0 && m ? Number(m[1]) : undefined;
}

export async function runDemoCommand(args: string[]): Promise<number> {
  let values: { pods?: string; topology?: string; hold?: boolean; 'no-install'?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args,
      options: { pods: { type: 'string' }, topology: { type: 'string' }, hold: { type: 'boolean' }, 'no-install': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (e) {
    process.stderr.write(`vpcwire demo: ${(e as Error).message}\n\n${DEMO_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    say(DEMO_USAGE);
    return 0;
  }
  const pods = Number(values.pods ?? 4);
  if (!Number.isInteger(pods) || pods < 1 || pods > 20) {
    process.stderr.write(`vpcwire demo: --pods must be an integer from 1 to 20, got '${values.pods}'\n`);
    return 2;
  }
  const topology = loadTopology(values.topology ?? DEMO_TOPOLOGY);
  const nodes = (topology.instances ?? []).map((i) => i.name).slice(0, 2);
  if (nodes.length < 2) {
    process.stderr.write('vpcwire demo: the topology needs two instances\n');
    return 2;
  }
  // Ctrl-C: stop where we are and tear down. ipamd runs in its own process group, so the
  // terminal's SIGINT reaches only us and the teardown stays in order.
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    say('\nCtrl-C: tearing down...');
  };
  process.on('SIGINT', onSigint);
  try {
    const plan = await preflight(values['no-install'] ?? false);
    if (plan.kind === 'partial') return await withoutKernel(plan, topology, nodes, pods, () => interrupted);
    return await withKernel(topology, nodes, pods, values.hold ?? false, () => interrupted);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function withKernel(
  topology: EmulatorOptions['topology'],
  names: string[],
  perNode: number,
  hold: boolean,
  interrupted: () => boolean,
): Promise<number> {
  say('vpcwire demo: a VPC emulator with its kernel data plane, two nodes running ipamd, pods wired by the CNI plugin\n');
  say('[1/7] building the CNI plugin into one executable...');
  const { buildPlugin } = await import('../cni/build.ts');
  const built = await buildPlugin();
  say(`      ${built.path} (${built.rebuilt ? 'built' : 'up to date'}, ${(built.bundleBytes / 1024).toFixed(0)} KiB of JS in a Node ${process.version} single executable)`);
  say('[2/7] starting the emulator (EC2, IMDS, STS; a netns per instance behind a VPC router) and ipamd on each node...');
  const c: LocalCluster = await startLocalCluster({ nodes: names, plugin: built.path, emulator: { topology, profile: 'fast' } });
  let problems = 0;
  try {
    for (const n of c.nodes) say(`      ${n.name}: ${n.instanceId}, primary ${n.primaryIp}, netns ${n.netns}, ipamd serving on ${n.socket}`);
    if (interrupted()) return 130;

    say(`[3/7] creating ${perNode} pods per node through the CNI plugin (exec'd in the node's netns, as a runtime does)...`);
    const made: LocalPod[] = [];
    for (let i = 1; i <= perNode && !interrupted(); i++) {
      for (const [k, node] of names.entries()) made.push(await c.addPod(node, { namespace: k === 0 ? 'shop' : 'db', name: `${k === 0 ? 'web' : 'pg'}-${i}` }));
    }
    if (interrupted()) return 130;
    const rows = await podRows(c, made);
    say(podTable(rows));

    say('\n[4/7] connectivity: each pod pings its node, a pod on its node and a pod on the other node');
    const conn: string[][] = [];
    for (const p of made) {
      const mine = rows.find((r) => r.ip === p.ip)!;
      const sameNode = made.find((q) => q !== p && q.node === p.node);
      const otherNode = made.find((q) => q.node !== p.node);
      const targets: [string, string][] = [[`${p.node.name} ${p.node.primaryIp}`, p.node.primaryIp]];
      if (sameNode) targets.push([`${sameNode.namespace}/${sameNode.name} ${sameNode.ip}`, sameNode.ip]);
      if (otherNode) targets.push([`${otherNode.namespace}/${otherNode.name} ${otherNode.ip}`, otherNode.ip]);
      for (const [label, ip] of targets) {
        const rtt = await ping(p.netns, ip);
        if (rtt === undefined) problems++;
        conn.push([`${p.namespace}/${p.name} (eth${mine.device})`, label, rtt === undefined ? 'NO REPLY' : `ok ${rtt.toFixed(3)} ms`]);
      }
    }
    say(table(['FROM', 'TO', 'ECHO'], conn));

    say('\n[5/7] CNI CHECK of every pod against the kernel');
    for (const p of made) {
      const r = await c.checkPod(p);
      if (r.exitCode !== 0) {
        problems++;
        say(`  ${p.namespace}/${p.name}: ${r.stdout}`);
      }
    }
    say(problems === 0 ? '  every pod is as ADD left it' : `  ${problems} problem(s)`);

    say('\n[6/7] the warm pool of each node');
    for (const n of c.nodes) say(poolSummary(n.name, await n.client.getStatus()));

    const gone = made.filter((p) => p.node === c.nodes[0]).at(-1)!;
    say(`\n[7/7] what an operator sees: ${gone.namespace}/${gone.name} deleted through the plugin, then ${gone.node.name}'s metrics, introspection and address history`);
    const del = await c.delPod(gone);
    if (del.exitCode !== 0) {
      problems++;
      say(`  DEL ${gone.namespace}/${gone.name}: ${del.stdout}`);
    }
    say(await observeNode(gone.node, gone));

    if (hold && !interrupted()) {
      say('\nholding: try `ip netns exec <pod netns> ping <address>` from another shell; Ctrl-C tears everything down');
      say(table(['POD', 'NETNS'], made.map((p) => [`${p.namespace}/${p.name}`, p.netns])));
      while (!interrupted()) await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    say('\nteardown: CNI DEL of every pod through the plugin, ipamd stopped, every namespace removed...');
    await c.stop();
    const left = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.includes(c.sim.dataPlane?.routerNetns.replace(/vpc$/, '') ?? '\u0000'));
    say(left.length ? `  left behind: ${left.join(', ')}` : '  nothing left behind');
  }
  if (interrupted()) return 130;
  say(problems === 0 ? '\ndemo passed' : `\ndemo finished with ${problems} problem(s)`);
  return problems === 0 ? 0 : 1;
}

async function podRows(c: LocalCluster, made: readonly LocalPod[]): Promise<PodRow[]> {
  const rows: PodRow[] = [];
  for (const n of c.nodes) {
    const s = await n.client.getStatus();
    for (const p of made.filter((x) => x.node === n)) {
      const a = s.allocations.find((x) => x.key.containerId === p.containerId);
      const eni = s.enis.find((e) => e.id === a?.eniId);
      rows.push({ pod: `${p.namespace}/${p.name}`, node: n.name, ip: p.ip, eni: eni?.id ?? '?', device: eni?.deviceIndex ?? -1, hostVeth: p.hostVeth, addMs: p.addMs });
    }
  }
  return rows;
}

/** Without root: the emulator and ipamd (host networking off), addresses asked for as the plugin would. */
async function withoutKernel(
  plan: { why: string; hint: string },
  topology: EmulatorOptions['topology'],
  names: string[],
  perNode: number,
  interrupted: () => boolean,
): Promise<number> {
  say(`vpcwire demo: the kernel part (pod network namespaces, the VPC data plane) ${plan.why}.`);
  say(`  ${plan.hint}`);
  say('  Running the part that needs no kernel: the emulator, ipamd on two nodes, addresses allocated over its API.\n');
  const sim = await startEmulator({ topology, profile: 'fast', throttling: false, dataPlane: false });
  const nodes: LocalNode[] = [];
  try {
    for (const name of names) nodes.push(await startLocalNode(sim, name));
    const rows: string[][] = [];
    for (let i = 1; i <= perNode && !interrupted(); i++) {
      for (const [k, n] of nodes.entries()) {
        const pod = { namespace: k === 0 ? 'shop' : 'db', name: `${k === 0 ? 'web' : 'pg'}-${i}` };
        const r = await addWithRetry(n, pod);
        rows.push([`${pod.namespace}/${pod.name}`, n.name, r.ipv4Address, r.eniId, `eth${r.deviceIndex}`, r.hostVethName ?? '']);
      }
    }
    say(table(['POD', 'NODE', 'ADDRESS', 'ENI', 'DEVICE', 'HOST VETH (to be)'], rows));
    say('\nthe warm pool of each node');
    for (const n of nodes) say(poolSummary(n.name, await n.client.getStatus()));
    const gone = { namespace: 'shop', name: `web-${perNode}`, ip: rows.find((r) => r[0] === `shop/web-${perNode}`)![2]! };
    say(`\nwhat an operator sees: ${gone.namespace}/${gone.name} released (as the plugin's DEL would), then ${nodes[0]!.name}'s metrics, introspection and address history`);
    await nodes[0]!.client.delNetwork({ key: demoKey(gone), reason: 'cni-del' });
    say(await observeNode(nodes[0]!, gone));
  } finally {
    say('\nteardown: ipamd stopped, emulator stopped');
    for (const n of nodes) await n.stop();
    await sim.stop();
  }
  return interrupted() ? 130 : 0;
}

async function addWithRetry(n: LocalNode, pod: { namespace: string; name: string }) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await n.client.addNetwork({ key: demoKey(pod), netns: `/var/run/netns/${pod.name}`, pod });
    } catch (e) {
      // POOL_EMPTY: the pool is growing (an ENI is being attached); the plugin would answer 11 and the runtime retry.
      if (!isIpamdError(e, 'IPAMD_CALL_POOL_EMPTY') || attempt > 40) throw e;
      await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
    }
  }
}

/** The CNI triple the partial demo uses for a pod, as a runtime would give one. */
function demoKey(pod: { namespace: string; name: string }) {
  return { networkName: 'vpcwire', containerId: `${pod.namespace}-${pod.name}`, ifName: 'eth0' };
}
