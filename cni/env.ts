/**
 * The CNI environment (spec §Parameters: CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,
 * CNI_ARGS, CNI_PATH), read once and checked per verb. Missing variables are listed together in
 * the reference plugins' words ("required env variables [..] missing", code 4); a bad value is
 * code 4 naming the variable.
 */
import { containerIdProblem, ifNameProblem, netnsProblem, podArgProblem, podInfraContainerIdProblem, type Problem, shown } from '../contract/cni-input.ts';
import type { PodRef } from '../contract/types.ts';
import { CniError, CODE } from './errors.ts';

export type Verb = 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS' | 'VERSION';
const VERBS: readonly Verb[] = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'];

/**
 * The pod behind the attachment, from CNI_ARGS. Every field is optional: kubelet's runtimes pass all
 * four, podman only K8S_POD_NAME, nerdctl, cnitool and people none (issue 9 item 3). The type is the
 * one ipamd's API takes (contract/types.ts).
 */
export type PodArgs = PodRef;

export interface CniEnv {
  readonly verb: Verb;
  readonly containerId: string;
  /** '' when the runtime passed none (allowed for DEL). */
  readonly netns: string;
  readonly ifName: string;
  readonly pod: PodArgs;
  readonly path: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Which variables each verb needs (spec: DEL may omit CNI_NETNS; GC and STATUS need only CNI_PATH). */
const REQUIRED: Record<Exclude<Verb, 'VERSION'>, readonly string[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH'],
  GC: ['CNI_PATH'],
  STATUS: ['CNI_PATH'],
};

const badEnv = (msg: string): CniError => new CniError(CODE.INVALID_ENV, msg);

export function verbOf(env: Env): Verb | undefined {
  const raw = env.CNI_COMMAND;
  if (raw === undefined || raw === '') return undefined;
  const v = VERBS.find((x) => x === raw);
  if (!v) throw badEnv(`unknown CNI_COMMAND ${shown(raw)}: expected one of ${VERBS.join(', ')}`);
  return v;
}

/** The CNI_ARGS keys vpcwire reads (upstream's K8sArgs, less its static IP, which vpcwire cannot honour). */
const POD_KEYS: Readonly<Record<string, { field: keyof PodArgs; rule: (v: string) => Problem }>> = {
  K8S_POD_NAMESPACE: { field: 'namespace', rule: podArgProblem },
  K8S_POD_NAME: { field: 'name', rule: podArgProblem },
  K8S_POD_UID: { field: 'uid', rule: podArgProblem },
  K8S_POD_INFRA_CONTAINER_ID: { field: 'infraContainerId', rule: podInfraContainerIdProblem },
};

/** types.UnmarshallableBool: "1"/"true" and "0"/"false", any case. */
function ignoreUnknownValue(value: string, pair: string): boolean {
  const v = value.toLowerCase();
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw badEnv(`CNI_ARGS: invalid pair ${shown(pair)}: IgnoreUnknown must be 1, true, 0 or false`);
}

/**
 * CNI_ARGS "K1=V1;K2=V2", read as the reference plugins read it (containernetworking/cni
 * pkg/types/args.go LoadArgs): every ';'-separated pair must be exactly KEY=VALUE (so no empty
 * pair and no '=' in a value); a key vpcwire does not know is an error unless IgnoreUnknown is
 * 1/true, as kubelet's runtimes and podman always send. The K8S_POD_* values follow the same rules
 * as in ipamd (contract/cni-input.ts); an empty value counts as absent.
 */
export function parseCniArgs(raw: string | undefined): PodArgs {
  if (raw === undefined || raw === '') return {};
  const out: { -readonly [K in keyof PodArgs]: string } = {};
  const unknown: string[] = [];
  let ignoreUnknown = false;
  for (const pair of raw.split(';')) {
    const kv = pair.split('=');
    if (kv.length !== 2) throw badEnv(`CNI_ARGS: invalid pair ${shown(pair)} (expected KEY=VALUE, with no "=" in the value)`);
    const [key, value] = kv as [string, string];
    if (key === 'IgnoreUnknown') {
      ignoreUnknown = ignoreUnknownValue(value, pair);
      continue;
    }
    const known = POD_KEYS[key];
    if (!known) {
      unknown.push(pair);
      continue;
    }
    const problem = known.rule(value);
    if (problem !== undefined) throw badEnv(`CNI_ARGS: ${key} ${problem}`);
    if (value === '') delete out[known.field];
    else out[known.field] = value;
  }
  if (unknown.length > 0 && !ignoreUnknown) {
    const listed = unknown.slice(0, 3).map((p) => shown(p)).join(', ');
    throw badEnv(`CNI_ARGS: unknown args ${listed}${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ''} (add IgnoreUnknown=1 to ignore them)`);
  }
  return out;
}

/** Verbs that act for one attachment, and so read the pod from CNI_ARGS. */
const READS_ARGS: ReadonlySet<Verb> = new Set(['ADD', 'CHECK', 'DEL']);

export function parseEnv(verb: Exclude<Verb, 'VERSION'>, env: Env): CniEnv {
  const missing = REQUIRED[verb].filter((k) => !env[k]);
  if (missing.length) throw badEnv(`required env variables [${missing.join(',')}] missing`);
  const containerId = env.CNI_CONTAINERID ?? '';
  const ifName = env.CNI_IFNAME ?? '';
  const netns = env.CNI_NETNS ?? '';
  // The same rules ipamd applies to these values (contract/cni-input.ts): what passes here is never refused there.
  const problem = (name: string, value: string, rule: (v: string) => Problem): void => {
    const p = value === '' ? undefined : rule(value);
    if (p !== undefined) throw badEnv(`${name} ${p}`);
  };
  problem('CNI_CONTAINERID', containerId, containerIdProblem);
  problem('CNI_IFNAME', ifName, ifNameProblem);
  problem('CNI_NETNS', netns, netnsProblem);
  const pod = READS_ARGS.has(verb) ? parseCniArgs(env.CNI_ARGS) : {};
  return { verb, containerId, netns, ifName, pod, path: env.CNI_PATH ?? '' };
}
