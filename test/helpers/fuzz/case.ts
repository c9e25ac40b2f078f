/**
 * One case of the plugin fuzzer: the choices of choices.ts and config-choices.ts drawn together,
 * what each invocation must answer given them (`expected`), and the invocation itself (`invocation`:
 * environment and stdin text, placeholders filled in for this case and node).
 *
 * Two scenarios: 'attach' runs a whole attachment (ADD, CHECK, a follow-up, DEL twice) and checks
 * that nothing of it is left; 'single' runs one other verb (or an odd CNI_COMMAND) on its own.
 */
import fc from 'fast-check';
import * as ch from './choices.ts';
import { type Choice, type Effect, ID, type Verb } from './choices.ts';
import * as cc from './config-choices.ts';
import { ABSENT, RawJson } from './config-choices.ts';

export const CONFIG_KEYS = ['cniVersion', 'name', 'socket', 'deadlineMs', 'vethPrefix', 'logFile', 'type', 'prevResult', 'attachments'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** What an attachment does between its CHECK and its DEL (it has an address and a wired netns then). */
export type FollowUp = 'none' | 'DEL bad prevResult' | 'DEL ipamd unreachable' | 'CHECK wrong address' | 'GC keeping' | 'GC releasing' | 'ADD again' | 'STATUS';

export interface FuzzCase {
  readonly scenario: 'attach' | 'single';
  readonly verb: Choice<string>;
  readonly containerId: Choice<string | undefined>;
  readonly ifName: Choice<string | undefined>;
  readonly netns: Choice<string | undefined>;
  readonly netnsSuffix: string;
  readonly args: Choice<string | undefined>;
  readonly path: Choice<string | undefined>;
  readonly config: Readonly<Record<ConfigKey, Choice<unknown>>>;
  readonly extra: Choice<Record<string, unknown>>;
  readonly stdin: Choice<string | undefined>;
  readonly followUp: FollowUp;
}

/** The inputs a case may make invalid; every other input keeps a valid variant. */
const FIELDS = {
  verb: ch.singleVerb,
  containerId: ch.containerId,
  ifName: ch.ifName,
  netns: ch.netns,
  args: ch.cniArgs,
  path: ch.cniPath,
  cniVersion: cc.cniVersion,
  name: cc.name,
  socket: cc.socket,
  deadlineMs: cc.deadlineMs,
  vethPrefix: cc.vethPrefix,
  logFile: cc.logFile,
  type: cc.type,
  prevResult: cc.prevResult,
  attachments: cc.attachments,
  stdin: cc.wholeStdin,
} as const;
type FieldName = keyof typeof FIELDS;
const NAMES = Object.keys(FIELDS) as FieldName[];
const side = (which: 'good' | 'bad') =>
  fc.record(Object.fromEntries(NAMES.map((n) => [n, FIELDS[n][which] as fc.Arbitrary<Choice<unknown>>])) as Record<FieldName, fc.Arbitrary<Choice<unknown>>>);

/**
 * A valid case with none, one or a few of its inputs made invalid (half the cases valid: a fuzzer
 * whose every case fails its first check never reaches the kernel).
 */
export const fuzzCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    scenario: fc.constantFrom<'attach' | 'single'>('attach', 'attach', 'attach', 'single', 'single'),
    good: side('good'),
    bad: side('bad'),
    mutated: fc
      .oneof({ weight: 10, arbitrary: fc.constant(0) }, { weight: 7, arbitrary: fc.constant(1) }, { weight: 3, arbitrary: fc.constant(2) })
      .chain((n) => fc.shuffledSubarray(NAMES, { minLength: n, maxLength: n })),
    netnsSuffix: ch.netnsSuffix,
    extra: cc.extra,
    followUp: fc.constantFrom<FollowUp>('none', 'none', 'DEL bad prevResult', 'DEL ipamd unreachable', 'CHECK wrong address', 'GC keeping', 'GC releasing', 'ADD again', 'STATUS'),
  })
  .map(({ scenario, good, bad, mutated, netnsSuffix, extra, followUp }) => {
    const f = (n: FieldName) => (mutated.includes(n) ? bad[n] : good[n]);
    return {
      scenario,
      verb: f('verb') as Choice<string>,
      containerId: f('containerId') as Choice<string | undefined>,
      ifName: f('ifName') as Choice<string | undefined>,
      netns: f('netns') as Choice<string | undefined>,
      netnsSuffix,
      args: f('args') as Choice<string | undefined>,
      path: f('path') as Choice<string | undefined>,
      config: Object.fromEntries(CONFIG_KEYS.map((k) => [k, f(k)])) as Record<ConfigKey, Choice<unknown>>,
      extra,
      stdin: f('stdin') as Choice<string | undefined>,
      followUp,
    };
  });

/** The verb a case's main invocation runs ('' is the no-command "about" line). */
export const mainVerb = (c: FuzzCase): string => (c.scenario === 'attach' ? 'ADD' : c.verb.value);

/** The choices that reach the plugin for an invocation: environment always; configuration unless stdin was replaced. */
export function choicesFor(c: FuzzCase, opts: { config?: boolean; except?: readonly ConfigKey[] } = {}): Choice<unknown>[] {
  const env = [c.containerId, c.ifName, c.netns, c.args, c.path, ...(c.scenario === 'single' ? [c.verb] : [])];
  if (opts.config === false) return env;
  if (c.stdin.value !== undefined) return [...env, c.stdin];
  return [...env, ...CONFIG_KEYS.filter((k) => !opts.except?.includes(k)).map((k) => c.config[k])];
}

/**
 * The outcomes an invocation may have, 0 for success: the codes of the earliest stage at which a
 * choice must fail (plus those of earlier choices that may fail), or success and whatever may-fail
 * choices allow. Single CHECKs of a container nothing was added for can only fail: 7 (no or a
 * partial prevResult), 103 (ipamd holds nothing for it), 11 (ipamd unreachable).
 */
export function expected(verb: string, choices: readonly Choice<unknown>[]): number[] {
  const effects: Effect[] = [];
  for (const c of choices) {
    const e = c.effects?.[verb as Verb] ?? c.effects?.['*'];
    if (e) effects.push(e);
  }
  const must = effects.filter((e) => !e.codes.includes(0));
  const maybe = effects.filter((e) => e.codes.includes(0));
  const codes = new Set<number>();
  if (must.length > 0) {
    const stage = Math.min(...must.map((e) => e.stage));
    for (const e of must) if (e.stage === stage) e.codes.forEach((x) => codes.add(x));
    for (const e of maybe) if (e.stage < stage) e.codes.forEach((x) => x !== 0 && codes.add(x));
  } else {
    codes.add(0);
    for (const e of maybe) e.codes.forEach((x) => codes.add(x));
  }
  return [...codes].sort((a, b) => a - b);
}

/** Where a case's placeholders point. */
export interface Site {
  readonly id: string;
  readonly netnsPath: string;
  readonly socket: string;
  readonly logFile: string;
  readonly releaseNotesDir: string;
  /** Other live attachments for GC lists (never of this case's network). */
  readonly otherAttachments: readonly { containerID: string; ifname: string }[];
}

export const fill = (s: string, site: Site): string => s.replaceAll(ID, site.id);

export interface Invocation {
  readonly env: Record<string, string | undefined>;
  readonly stdin: string;
}

/** The environment of a case's invocations (CNI_COMMAND set by the caller). */
export function caseEnv(c: FuzzCase, site: Site): Record<string, string | undefined> {
  const f = (v: string | undefined) => (v === undefined ? undefined : fill(v, site));
  return {
    CNI_CONTAINERID: f(c.containerId.value),
    CNI_IFNAME: f(c.ifName.value),
    CNI_NETNS: c.netns.value === 'own' ? site.netnsPath : f(c.netns.value),
    CNI_ARGS: f(c.args.value),
    CNI_PATH: c.path.value,
  };
}

/** The configuration object of a case, placeholders filled, before `overrides`. */
export function caseConfig(c: FuzzCase, site: Site, overrides: Partial<Record<ConfigKey, unknown>> = {}): Record<string, unknown> {
  const v = (k: ConfigKey): unknown => (k in overrides ? overrides[k] : c.config[k].value);
  const value = (x: unknown): unknown => {
    if (x === 'node:socket') return site.socket;
    if (x === 'node:log') return site.logFile;
    if (x === 'node:attachments') return [{ containerID: fill(c.containerId.value ?? 'none', site), ifname: c.ifName.value ?? 'eth0' }, ...site.otherAttachments];
    return typeof x === 'string' ? fill(x, site) : x;
  };
  const out: Record<string, unknown> = { ...c.extra.value };
  const keys: [ConfigKey, string][] = [
    ['cniVersion', 'cniVersion'], ['name', 'name'], ['type', 'type'], ['socket', 'socket'], ['deadlineMs', 'deadlineMs'],
    ['vethPrefix', 'vethPrefix'], ['logFile', 'logFile'], ['prevResult', 'prevResult'], ['attachments', 'cni.dev/valid-attachments'],
  ];
  for (const [k, key] of keys) {
    const x = v(k);
    if (x !== ABSENT) out[key] = value(x);
  }
  out.releaseNotesDir = site.releaseNotesDir;
  return out;
}

/** JSON text of a configuration object; RawJson values are spliced in as they are. */
export function configText(o: Record<string, unknown>): string {
  const raws: string[] = [];
  const text = JSON.stringify(o, (_k, x: unknown) => (x instanceof RawJson ? `\u0000raw${raws.push(x.text) - 1}\u0000` : x));
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]!);
}

export function invocation(c: FuzzCase, site: Site, command: string | undefined, config: Record<string, unknown>): Invocation {
  return {
    env: { ...caseEnv(c, site), CNI_COMMAND: command === '' ? undefined : command },
    stdin: c.stdin.value !== undefined ? c.stdin.value : configText(config),
  };
}

/** A one-line account of a case, for failure reports: every choice's label. */
export function describeCase(c: FuzzCase): string {
  const parts = [
    `${c.scenario}${c.scenario === 'single' ? ` ${c.verb.label}` : ` then ${c.followUp}`}`,
    `containerId=${c.containerId.label}`,
    `ifName=${c.ifName.label}:${JSON.stringify((c.ifName.value ?? '').slice(0, 20))}`,
    `netns=${c.netns.label}${c.netnsSuffix ? `+${JSON.stringify(c.netnsSuffix)}` : ''}`,
    `args=${c.args.label}`,
    `path=${c.path.label}`,
    ...CONFIG_KEYS.map((k) => `${k}=${c.config[k].label}`),
    `extra=${c.extra.label}`,
    `stdin=${c.stdin.label}`,
  ];
  return parts.join(' ');
}
