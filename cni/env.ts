/**
 * The CNI environment (spec §Parameters: CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,
 * CNI_ARGS, CNI_PATH), read once and checked per verb. Missing variables are listed together in
 * the reference plugins' words ("required env variables [..] missing", code 4).
 */
import { CniError, CODE } from './errors.ts';
import { validIfName } from './wire/constants.ts';

export type Verb = 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS' | 'VERSION';
const VERBS: readonly Verb[] = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'];

export interface PodArgs {
  readonly namespace?: string;
  readonly name?: string;
  readonly uid?: string;
  readonly infraContainerId?: string;
}

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

/** Spec §Parameters: "must start with an alphanumeric character, optionally followed by ... _ . -". */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function verbOf(env: Env): Verb | undefined {
  const raw = env.CNI_COMMAND;
  if (raw === undefined || raw === '') return undefined;
  const v = VERBS.find((x) => x === raw);
  if (!v) throw new CniError(CODE.INVALID_ENV, `unknown CNI_COMMAND ${JSON.stringify(raw)}: expected one of ${VERBS.join(', ')}`);
  return v;
}

/** CNI_ARGS "K1=V1;K2=V2" (spec conventions); only the K8S_POD_* keys matter here. */
export function parseCniArgs(raw: string | undefined): PodArgs {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CniError(CODE.INVALID_ENV, `CNI_ARGS: invalid pair ${JSON.stringify(pair)} (expected KEY=VALUE)`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const pick = (k: string) => (out[k] ? { [k]: out[k] } : {});
  const p = { ...pick('K8S_POD_NAMESPACE'), ...pick('K8S_POD_NAME'), ...pick('K8S_POD_UID'), ...pick('K8S_POD_INFRA_CONTAINER_ID') };
  return {
    ...(p.K8S_POD_NAMESPACE ? { namespace: p.K8S_POD_NAMESPACE } : {}),
    ...(p.K8S_POD_NAME ? { name: p.K8S_POD_NAME } : {}),
    ...(p.K8S_POD_UID ? { uid: p.K8S_POD_UID } : {}),
    ...(p.K8S_POD_INFRA_CONTAINER_ID ? { infraContainerId: p.K8S_POD_INFRA_CONTAINER_ID } : {}),
  };
}

export function parseEnv(verb: Exclude<Verb, 'VERSION'>, env: Env): CniEnv {
  const missing = REQUIRED[verb].filter((k) => !env[k]);
  if (missing.length) throw new CniError(CODE.INVALID_ENV, `required env variables [${missing.join(',')}] missing`);
  const containerId = env.CNI_CONTAINERID ?? '';
  const ifName = env.CNI_IFNAME ?? '';
  const netns = env.CNI_NETNS ?? '';
  if (containerId && !CONTAINER_ID.test(containerId)) {
    throw new CniError(CODE.INVALID_ENV, `CNI_CONTAINERID ${JSON.stringify(containerId)} is invalid: it must start with a letter or digit, followed by letters, digits, '_', '.' or '-'`);
  }
  if (ifName && !validIfName(ifName)) {
    throw new CniError(CODE.INVALID_ENV, `CNI_IFNAME ${JSON.stringify(ifName)} is invalid: 1-15 characters, not '.' or '..', without '/', ':' or whitespace`);
  }
  if (netns && (!netns.startsWith('/') || /\s/.test(netns))) {
    throw new CniError(CODE.INVALID_ENV, `CNI_NETNS ${JSON.stringify(netns)} is invalid: expected an absolute path without whitespace`);
  }
  return { verb, containerId, netns, ifName, pod: parseCniArgs(env.CNI_ARGS), path: env.CNI_PATH ?? '' };
}
