/**
 * The 'attach' scenario of the plugin fuzzer: a whole attachment as a runtime drives it (ADD, CHECK,
 * one follow-up, DEL with the case's own configuration, DEL again with a clean one), each answer
 * checked against what the case's choices allow, then the proof that nothing of it is left: no
 * allocation in ipamd, no host veth, rule or /32 route in the node's netns.
 */
import { parseCniArgs, type PodArgs } from '../../../cni/env.ts';
import { hostVethFor } from '../../../ipamd/veth.ts';
import type { PluginRun } from '../../../cluster/plugin-exec.ts';
import { ABSENT } from './config-choices.ts';
import { caseConfig, choicesFor, type ConfigKey, expected, fill, type FuzzCase, type Site } from './case.ts';
import { type Attached, answerProblems, resultProblems, SUPPORTED } from './checks.ts';

export interface CaseTools {
  readonly site: Site;
  /** Runs the plugin with the case's environment, `command` and this configuration (or the case's replaced stdin). */
  exec(verb: string, config: Record<string, unknown>): Promise<PluginRun & { timedOut?: boolean }>;
  /** ipamd's allocations of a network and container. */
  held(network: string, containerId: string): Promise<{ ip: string }[]>;
  /** The node netns' links, rules and main-table routes. */
  nodeKernel(): Promise<{ links: Set<string>; rules: { priority?: number; src?: string; dst?: string }[]; routes: { dst?: string; dev?: string }[] }>;
  podLinks(): Promise<string[]>;
  sleep(ms: number): Promise<void>;
  readonly vpcCidrPrefix: string;
}

const UNREACHABLE = '/run/vpcwire-fuzz-absent/ipamd.sock';
const configInvalid = (c: FuzzCase): boolean =>
  c.stdin.value !== undefined || choicesFor(c).some((x) => Object.values(x.effects ?? {}).some((e) => e.stage === 2 && !e.codes.includes(0)));

export async function runAttach(c: FuzzCase, t: CaseTools): Promise<string[]> {
  const problems: string[] = [];
  const site = t.site;
  // label: the verb, with what this invocation is for in parentheses ("DEL(repeated)").
  const check = (r: PluginRun, label: string, codes: readonly number[]) => {
    const verb = label.split('(')[0]!;
    problems.push(...answerProblems(r, verb, codes).map((p) => (p.startsWith(`${verb}:`) ? `${label}${p.slice(verb.length)}` : `${label}: ${p}`)));
  };
  const network = fill(String(c.config.name.value), site);
  const containerId = fill(c.containerId.value ?? '', site);
  const ifName = c.ifName.value ?? '';
  let pod: PodArgs = {};
  try {
    pod = parseCniArgs(c.args.value === undefined ? undefined : fill(c.args.value, site));
  } catch {
    // bad CNI_ARGS: the ADD fails before anything is named
  }
  const cniVersion = SUPPORTED.includes(String(c.config.cniVersion.value)) ? String(c.config.cniVersion.value) : '1.1.0';
  const clean = (o: Partial<Record<ConfigKey, unknown>> = {}) =>
    caseConfig(c, site, { socket: 'node:socket', deadlineMs: ABSENT, prevResult: ABSENT, attachments: ABSENT, ...o });

  // ADD, retried on 11 while the pool grows (as kubelet retries) when nothing in the case should fail.
  const addCodes = expected('ADD', choicesFor(c));
  let add = await t.exec('ADD', caseConfig(c, site));
  for (let i = 0; i < 20 && addCodes.length === 1 && addCodes[0] === 0 && add.json?.code === 11; i++) {
    await t.sleep(250);
    add = await t.exec('ADD', caseConfig(c, site));
  }
  check(add, 'ADD', addCodes);
  let attached: Attached | undefined;
  if (add.exitCode === 0) {
    const shape = resultProblems(add.json, { cniVersion, ifName, netnsPath: site.netnsPath, containerId, pod, vpcCidrPrefix: t.vpcCidrPrefix });
    problems.push(...shape.problems);
    attached = shape.attached;
  }

  if (attached && add.json) {
    const result = add.json;
    const envOnly = choicesFor(c, { except: ['socket', 'deadlineMs', 'prevResult', 'attachments'] });
    check(await t.exec('CHECK', clean({ prevResult: result })), 'CHECK', expected('CHECK', envOnly));
    const v04 = cniVersion !== '0.3.0' && cniVersion !== '0.3.1';
    switch (c.followUp) {
      case 'DEL bad prevResult':
        check(await t.exec('DEL', clean({ prevResult: { ips: [{ address: '999.999.999.999/32' }] } })), 'DEL(bad prevResult)', [7]);
        break;
      case 'DEL ipamd unreachable': {
        check(await t.exec('DEL', clean({ socket: UNREACHABLE, prevResult: result })), 'DEL(ipamd unreachable)', [0]);
        const k = await t.nodeKernel();
        if ((await t.podLinks()).includes(ifName)) problems.push('DEL(ipamd unreachable): the pod interface is still there');
        if (k.rules.some((r) => r.src === attached!.ip || r.dst === attached!.ip)) problems.push('DEL(ipamd unreachable): rules left from prevResult');
        break;
      }
      case 'CHECK wrong address': {
        const wrong = { ...result, ips: [{ ...(result.ips as object[])[0], address: '192.0.2.77/32' }] };
        check(await t.exec('CHECK', clean({ prevResult: wrong })), 'CHECK(wrong address)', [v04 ? 103 : 1]);
        break;
      }
      case 'GC keeping':
        check(await t.exec('GC', clean({ cniVersion: '1.1.0', attachments: [{ containerID: containerId, ifname: ifName }] })), 'GC(keeping)', [0]);
        if ((await t.held(network, containerId)).length !== 1) problems.push('GC(keeping) released a valid attachment');
        break;
      case 'GC releasing':
        check(await t.exec('GC', clean({ cniVersion: '1.1.0', attachments: [] })), 'GC(releasing)', [0]);
        if ((await t.held(network, containerId)).length !== 0) problems.push('GC(releasing) kept a stale attachment');
        if ((await t.nodeKernel()).links.has(attached.hostVeth)) problems.push('GC(releasing) left the host veth');
        break;
      case 'ADD again':
        check(await t.exec('ADD', clean()), 'ADD(again)', [102]);
        if ((await t.held(network, containerId))[0]?.ip !== attached.ip) problems.push('ADD(again) lost the address the first ADD holds');
        break;
      case 'STATUS':
        check(await t.exec('STATUS', clean({ cniVersion: '1.1.0' })), 'STATUS', [0]);
        break;
      case 'none':
        break;
    }
  }

  // DEL as the case configures it, then with a clean configuration (what must release anything held).
  const delCase = attached ? caseConfig(c, site, { prevResult: add.json }) : caseConfig(c, site);
  check(await t.exec('DEL', delCase), 'DEL', expected('DEL', choicesFor(c, attached ? { except: ['prevResult'] } : {})));
  if (!configInvalid(c)) {
    const envOnly = choicesFor(c, { except: ['socket', 'deadlineMs', 'prevResult', 'attachments'] });
    check(await t.exec('DEL', clean(attached ? { prevResult: add.json } : {})), 'DEL(clean)', expected('DEL', envOnly));
    check(await t.exec('DEL', clean(attached ? { prevResult: add.json } : {})), 'DEL(repeated)', expected('DEL', envOnly));
  }

  // Nothing of it is left.
  if (containerId && (await t.held(network, containerId)).length) problems.push(`ipamd still holds ${network}/${containerId} after DEL`);
  const k = await t.nodeKernel();
  const veth = attached?.hostVeth ?? (containerId && ifName ? hostVethFor('eni', pod, { containerId, ifName }) : undefined);
  if (veth && k.links.has(veth)) problems.push(`host veth ${veth} left on the node`);
  if (attached) {
    if (k.rules.some((r) => r.src === attached.ip || r.dst === attached.ip)) problems.push(`rules for ${attached.ip} left on the node`);
    if (k.routes.some((r) => r.dst === attached.ip)) problems.push(`route to ${attached.ip} left on the node`);
  }
  return problems;
}
