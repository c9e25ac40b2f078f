/**
 * The plugin fuzzer (issue 9 item 4): the real plugin binary, exec'd as a runtime execs it inside an
 * emulated node's netns, against a real ipamd on the emulator, with cases drawn by fast-check from a
 * fixed seed (case.ts) and run a few at a time. Each case gets its own pod netns and network name,
 * so cases never touch each other's state. Afterwards: no allocation in ipamd, no pod veth, rule or
 * route in the node's netns, ipamd's ENIs and addresses equal to EC2's, ipamd still serving.
 *
 * Used by test/cni/fuzz.test.ts (a few hundred cases) and `npm run fuzz` (test/fuzz/run.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { type LocalCluster, startLocalCluster } from '../../../cluster/local-cluster.ts';
import { execPlugin } from '../../../cluster/plugin-exec.ts';
import { deleteNetns, ip, run } from '../../../sim/dataplane/ip.ts';
import type { Topology } from '../../../sim/topology.ts';
import { poolVsEc2 } from '../crash-invariants.ts';
import { pluginBinary } from '../plugin.ts';
import { type CaseTools, runAttach } from './attach.ts';
import { caseConfig, choicesFor, describeCase, expected, type FuzzCase, fuzzCase, invocation, mainVerb, type Site } from './case.ts';
import { answerProblems } from './checks.ts';

export interface FuzzOptions {
  readonly cases: number;
  readonly seed: number;
  readonly concurrency: number;
  /** Per invocation; a plugin still running then has hung. */
  readonly timeoutMs?: number;
  /** Run only these case numbers (reproducing a failure). */
  readonly only?: readonly number[];
  readonly progress?: (done: number, total: number, failed: number) => void;
}

export interface FuzzReport {
  readonly seed: number;
  readonly cases: number;
  readonly invocations: number;
  /** "ADD 0", "DEL 4", "CHECK 103", ...: how many invocations ended so. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Exit codes / CNI codes over all invocations: "exit 0", "code 4", ... */
  readonly codes: Readonly<Record<string, number>>;
  readonly failures: readonly { readonly index: number; readonly case: string; readonly problems: readonly string[] }[];
  /** What the end-of-run checks found (empty: all good). */
  readonly final: readonly string[];
  readonly ms: number;
}

const VPC_PREFIX = '10.84.';
const topology: Topology = {
  vpc: { cidrs: ['10.84.0.0/16'], subnets: [{ name: 'a', cidr: '10.84.0.0/18', az: 'us-west-2a' }] },
  instances: [{ name: 'node', type: 'm5.xlarge', subnet: 'a' }],
};

/** The cases of a seed, numbered from 0: the same seed always gives the same cases. */
export const casesOf = (seed: number, n: number): FuzzCase[] => fc.sample(fuzzCase, { seed, numRuns: n });

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const plugin = await pluginBinary();
  // A short cooldown, so addresses come back during a long run, yet none is reused while its
  // case still checks that nothing of it is left (a case takes well under 5 s).
  const c = await startLocalCluster({ nodes: ['node'], plugin, emulator: { topology }, ipamdEnv: { IP_COOLDOWN_PERIOD: '5' } });
  const scratch = mkdtempSync(join(tmpdir(), 'vpcwire-fuzz-'));
  const outcomes: Record<string, number> = {};
  const codes: Record<string, number> = {};
  const failures: { index: number; case: string; problems: string[] }[] = [];
  let invocations = 0;
  let final: string[];
  try {
    const all = casesOf(o.seed, o.cases);
    const queue = (o.only ?? all.map((_, i) => i)).filter((i) => i < all.length);
    const total = queue.length;
    let done = 0;
    const worker = async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const problems = await runCase(c, plugin, scratch, i, all[i]!, o, (label, r) => {
          invocations++;
          const code = r.timedOut ? 'timeout' : r.exitCode === 0 ? 'exit 0' : `code ${String(r.json?.code ?? `exit ${r.exitCode}`)}`;
          outcomes[`${label} ${code.replace(/^(exit|code) /, '')}`] = (outcomes[`${label} ${code.replace(/^(exit|code) /, '')}`] ?? 0) + 1;
          codes[code] = (codes[code] ?? 0) + 1;
        }).catch((e: Error) => [`harness: ${e.stack ?? e.message}`]);
        if (problems.length) failures.push({ index: i, case: describeCase(all[i]!), problems });
        o.progress?.(++done, total, failures.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
    final = await finalChecks(c);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await c.stop();
  }
  failures.sort((a, b) => a.index - b.index);
  return { seed: o.seed, cases: o.only?.length ?? o.cases, invocations, outcomes, codes, failures, final, ms: performance.now() - t0 };
}

type Count = (label: string, r: { exitCode: number; json?: Record<string, unknown> | undefined; timedOut?: boolean }) => void;

async function runCase(c: LocalCluster, plugin: string, scratch: string, index: number, fcase: FuzzCase, o: FuzzOptions, count: Count): Promise<string[]> {
  const node = c.node('node');
  const id = String(index).padStart(6, '0');
  const prefix = c.sim.dataPlane!.routerNetns.replace(/vpc$/, '');
  const nsName = `${prefix}f${id}${fcase.netnsSuffix}`;
  await ip(['netns', 'add', nsName]);
  const site: Site = {
    id,
    netnsPath: `/run/netns/${nsName}`,
    socket: String(node.pluginConfig().socket),
    logFile: node.pluginLogFile,
    releaseNotesDir: join(scratch, 'release-notes'),
    otherAttachments: [{ containerID: 'someone-else', ifname: 'eth0' }],
  };
  const tools: CaseTools = {
    site,
    vpcCidrPrefix: VPC_PREFIX,
    async exec(verb, config) {
      const inv = invocation(fcase, site, verb, config);
      const r = await execPlugin({ plugin, nodeNetns: node.netns!, command: '', env: inv.env, config: inv.stdin, timeoutMs: o.timeoutMs ?? 20_000 });
      count(verb === '' ? 'about' : verb.length > 10 ? `${verb.slice(0, 10)}...` : verb, r);
      return r;
    },
    async held(network, containerId) {
      const all = await node.client.listAllocations();
      return all.filter((a) => a.key.networkName === network && a.key.containerId === containerId).map((a) => ({ ip: a.ipv4Address }));
    },
    nodeKernel: () => nodeKernel(node.netns!),
    async podLinks() {
      return (JSON.parse(await ip(['-j', 'link', 'show'], nsName)) as { ifname: string }[]).map((l) => l.ifname);
    },
    sleep: (ms) => sleep(ms),
  };
  const problems = await (async () => {
    if (fcase.scenario === 'attach') return runAttach(fcase, tools);
    const verb = mainVerb(fcase);
    const r = await tools.exec(verb, caseConfig(fcase, site));
    // A CHECK of a container nothing was added for can only fail: no (or a partial) prevResult, nothing held, ipamd away.
    const singleCheck = { label: 'nothing added', value: '', effects: { CHECK: { stage: 3 as const, codes: [7, 103, 11] } } };
    const want = verb === '' ? [0] : expected(verb, [...choicesFor(fcase), singleCheck]);
    return answerProblems(r, verb, want);
  })().catch((e: Error) => [`harness: ${e.stack ?? e.message}`]);
  const deleted = await deleteNetns(nsName).then(
    () => '',
    (e: Error) => e.message,
  );
  if (deleted) problems.push(`deleting the pod netns: ${deleted}`);
  return problems;
}

async function nodeKernel(netns: string) {
  const r = await run('ip', ['-n', netns, '-j', '-batch', '-'], 'link show\nrule show\nroute show table main\n');
  const [links, rules, routes] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>[]);
  return {
    links: new Set((links ?? []).map((l) => String(l.ifname))),
    rules: (rules ?? []) as { priority?: number; src?: string; dst?: string }[],
    routes: (routes ?? []) as { dst?: string; dev?: string; scope?: string }[],
  };
}

/** After every case: nothing held, nothing in the node's kernel, ipamd agreeing with EC2 and serving. */
async function finalChecks(c: LocalCluster): Promise<string[]> {
  const node = c.node('node');
  const problems: string[] = [];
  const held = await node.client.listAllocations();
  if (held.length) problems.push(`ipamd still holds ${held.length} allocations: ${held.slice(0, 5).map((a) => `${a.key.networkName}/${a.key.containerId}`).join(', ')}`);
  const k = await nodeKernel(node.netns!);
  const veths = [...k.links].filter((l) => l.startsWith('eni'));
  if (veths.length) problems.push(`pod veths left on the node: ${veths.join(', ')}`);
  const rules = k.rules.filter((r) => r.priority === 512 || r.priority === 1536);
  if (rules.length) problems.push(`pod rules left on the node: ${JSON.stringify(rules.slice(0, 5))}`);
  const routes = k.routes.filter((r) => String(r.dev ?? '').startsWith('eni'));
  if (routes.length) problems.push(`pod routes left on the node: ${JSON.stringify(routes.slice(0, 5))}`);
  const prefix = c.sim.dataPlane!.routerNetns.replace(/vpc$/, '');
  const netns = (await ip(['netns', 'list'])).split('\n').filter((l) => l.startsWith(`${prefix}f`));
  if (netns.length) problems.push(`pod netns left: ${netns.slice(0, 5).join(", ")}`);
  // The warm pool may still be returning addresses: ipamd and EC2 must agree once it settles.
  let drift: string[] = [];
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(250)) {
    drift = poolVsEc2(await node.client.getStatus(), c.sim, node.instanceId);
    if (drift.length === 0) break;
  }
  problems.push(...drift.map((d) => `ledger vs EC2: ${d}`));
  if ((await node.client.checkHealth()) !== 'SERVING') problems.push('ipamd is not serving');
  return problems;
}
