/**
 * What the plugin fuzzer (issue 9 item 4) varies, one fast-check arbitrary per input, each value
 * tagged with what the plugin must make of it: nothing (a valid variant: odd names, no pod args,
 * IgnoreUnknown, every spec version...) or a CNI code at the stage of its checks where it must be
 * caught. case.ts combines them into invocations and their expected outcome.
 *
 * Values that must be unique per case carry the placeholder `@@@@@@`, replaced by the case's
 * six-digit number (same length, so length limits stay exact).
 */
import fc from 'fast-check';
import { ifNameProblem } from '../../../contract/cni-input.ts';

export type Verb = 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS' | 'VERSION';

/**
 * The stage of the plugin's checks a value is caught at (cni/main.ts order): 1 environment, 2 the
 * configuration, 3 the verb's own needs, 4 at run time (netns, ipamd, kernel). `codes`: the
 * acceptable outcomes, 0 for success: a value whose codes include 0 may or may not fail.
 */
export interface Effect {
  readonly stage: 1 | 2 | 3 | 4;
  readonly codes: readonly number[];
}
export type Effects = Partial<Record<Verb | '*', Effect>>;

export interface Choice<T> {
  readonly label: string;
  readonly value: T;
  readonly effects?: Effects;
}

export const ID = '@@@@@@';
const env4: Effects = { '*': { stage: 1, codes: [4] }, VERSION: { stage: 1, codes: [0] } };
const needed4: Effects = { ADD: { stage: 1, codes: [4] }, DEL: { stage: 1, codes: [4] }, CHECK: { stage: 1, codes: [4] } };
const conf7: Effects = { '*': { stage: 2, codes: [7] }, VERSION: { stage: 2, codes: [0] } };
const conf: (code: number) => Effects = (code) => ({ '*': { stage: 2, codes: [code] }, VERSION: { stage: 2, codes: [0] } });

const ok = <T>(label: string, value: T): Choice<T> => ({ label, value });
const bad = <T>(label: string, value: T, effects: Effects): Choice<T> => ({ label, value, effects });
const pick = <T>(...cs: Choice<T>[]) => fc.constantFrom(...cs);
const huge = (n: number) => 'h'.repeat(n);

/** Characters interface names are drawn from: ASCII but space, '/', ':', '%', some multi-byte ones. */
const NAME_UNITS = [...'abcxyzABZ0189_-.#"\'\\!$&()*+,;<=>?@[]^`{|}~', 'é', 'ü', 'ß', '中', '😀'];
const utf8 = (s: string) => Buffer.byteLength(s);
const upTo15Bytes = (s: string) => {
  let out = '';
  for (const ch of s) if (utf8(out + ch) <= 15) out += ch;
  return out;
};
const validIfName = fc
  .string({ unit: fc.constantFrom(...NAME_UNITS), minLength: 1, maxLength: 15 })
  .map(upTo15Bytes)
  .filter((s) => s !== '.' && s !== '..' && s !== 'lo' && !s.includes(ID));
/**
 * Any short string (any Unicode, the characters the rules single out made likely), judged by the
 * contract ipamd and the plugin share: what it calls valid must then work in the kernel.
 */
const anyIfName = fc
  .string({ unit: fc.oneof(fc.constantFrom(...NAME_UNITS, '%', ' ', '/', ':', '\u00a0', 'à', '\u0085', '\t', '\u2028'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 12 })
  .map((s) => s.replaceAll('\u0000', '').replace(/^$/, 'x'))
  .filter((s) => s !== 'lo' && !s.includes(ID))
  .map((s) => (ifNameProblem(s) === undefined ? ok<string | undefined>('any, valid by the contract', s) : bad<string | undefined>('any, invalid by the contract', s, env4)));

/** Each input's valid variants and its invalid ones; case.ts mutates a few inputs of a valid case. */
export interface Field<T> {
  readonly good: fc.Arbitrary<Choice<T>>;
  readonly bad: fc.Arbitrary<Choice<T>>;
}

export const containerId: Field<string | undefined> = {
  good: fc.oneof(
    { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{0,40}$/).map((s) => ok<string | undefined>(`valid`, `c${ID}${s}`)) },
    { weight: 1, arbitrary: pick<string | undefined>(ok('256 characters', `c${ID}${'x'.repeat(249)}`)) },
  ),
  bad: pick(
      bad('missing', undefined as string | undefined, needed4),
      bad('leading dash', `-c${ID}`, env4),
      bad('leading dot', `.c${ID}`, env4),
      bad('space', `c${ID} x`, env4),
      bad('slash', `c${ID}/x`, env4),
      bad('unicode', `c${ID}é`, env4),
      bad('257 characters', `c${ID}${'x'.repeat(250)}`, env4),
      bad('huge', `c${ID}${huge(100_000)}`, env4),
  ),
};

export const ifName: Field<string | undefined> = {
  good: fc.oneof(
    { weight: 4, arbitrary: pick<string | undefined>(ok('eth0', 'eth0')) },
    { weight: 3, arbitrary: validIfName.map((s) => ok<string | undefined>('random valid', s)) },
    { weight: 2, arbitrary: anyIfName },
    {
      weight: 3,
      arbitrary: pick<string | undefined>(
      ok('#', 'e#0'),
      ok('leading "', '"q'),
      ok("leading '", "'q"),
      ok('both quotes and #', `'q"#`),
      ok('keyword prefix d', 'd'),
      ok('keyword help', 'help'),
      ok('trailing backslash', 'a\\'),
      ok('15 bytes of ü and x', `${'ü'.repeat(7)}x`),
      ok('15 characters', 'x'.repeat(15)),
      bad('lo exists in every netns', 'lo', { ADD: { stage: 4, codes: [102] } }),
      ),
    },
  ),
  bad: fc.oneof(
    anyIfName,
    pick<string | undefined>(
      bad('missing', undefined, needed4),
      bad('.', '.', env4),
      bad('..', '..', env4),
      bad('slash', 'a/b', env4),
      bad('colon', 'a:b', env4),
      bad('space', 'a b', env4),
      bad('byte 0xA0 (à)', 'eà', env4),
      bad('NEL', 'a\u0085', env4),
      bad('control', '\u0001x', env4),
      bad('% (a kernel name template)', 'eth%d', env4),
      bad('16 bytes', `${'x'.repeat(14)}é`, env4),
      bad('huge', huge(100_000), env4),
    ),
  ),
};

/** Suffixes of the case's own pod netns name (valid names ip's batch reader cannot take literally). */
export const netnsSuffix = fc.constantFrom('', '', '', '#x', '"q', "'q", ' s', 'é');

/** CNI_NETNS: the case's own netns ('own', filled in by case.ts) or something else. */
export const netns: Field<string | undefined> = {
  good: pick<string | undefined>(ok('own', 'own')),
  bad: pick<string | undefined>(
      bad('absent', `/run/netns/vpcw-absent-${ID}`, { ADD: { stage: 4, codes: [3] }, CHECK: { stage: 4, codes: [103] } }),
      bad('missing', undefined as string | undefined, { ADD: { stage: 1, codes: [4] }, CHECK: { stage: 1, codes: [4] } }),
      bad('relative', 'run/netns/x', env4),
      bad('control', '/run/netns/a\tb', env4),
      bad('huge', `/${huge(100_000)}`, env4),
  ),
};

const args4: Effects = { ADD: { stage: 1, codes: [4] }, DEL: { stage: 1, codes: [4] }, CHECK: { stage: 1, codes: [4] } };
export const cniArgs: Field<string | undefined> = {
  good: pick<string | undefined>(
      ok('none', undefined),
      ok('empty', ''),
      ok('kubelet', `IgnoreUnknown=1;K8S_POD_NAMESPACE=fuzz;K8S_POD_NAME=p${ID};K8S_POD_INFRA_CONTAINER_ID=i${ID};K8S_POD_UID=u${ID}`),
      ok('podman', `IgnoreUnknown=1;K8S_POD_NAME=p${ID}`),
      ok('name only, no IgnoreUnknown', `K8S_POD_NAME=p${ID}`),
      ok('namespace only', `K8S_POD_NAMESPACE=fuzz`),
      ok('IgnoreUnknown=true and unknown keys', `FOO=bar;IgnoreUnknown=TRUE;K8S_POD_IP=1.2.3.4;=x`),
      ok('empty values', `K8S_POD_NAME=;K8S_POD_NAMESPACE=`),
      ok('253-character name', `IgnoreUnknown=1;K8S_POD_NAMESPACE=fuzz;K8S_POD_NAME=p${ID}${'x'.repeat(246)}`),
  ),
  bad: pick<string | undefined>(
      bad('unknown key', `FOO=bar;K8S_POD_NAME=p${ID}`, args4),
      bad('IgnoreUnknown=0', 'IgnoreUnknown=0;FOO=1', args4),
      bad('IgnoreUnknown=yes', 'IgnoreUnknown=yes', args4),
      bad('no =', 'K8S_POD_NAME', args4),
      bad('= in value', 'IgnoreUnknown=1;K8S_POD_NAME=a=b', args4),
      bad('trailing ;', `IgnoreUnknown=1;K8S_POD_NAME=p${ID};`, args4),
      bad('254-character name', `K8S_POD_NAME=p${ID}${'x'.repeat(247)}`, args4),
      bad('control character', `K8S_POD_NAMESPACE=a\u0007b`, args4),
      bad('huge', `IgnoreUnknown=1;K8S_POD_NAME=${huge(100_000)}`, args4),
  ),
};

export const cniPath: Field<string | undefined> = { good: pick<string | undefined>(ok('set', '/opt/cni/bin')), bad: pick<string | undefined>(bad('missing', undefined, env4)) };

/** Verbs of a single invocation; ADD is always run as a whole attachment (case.ts). */
export const singleVerb: Field<string> = {
  good: fc.oneof(
    { weight: 15, arbitrary: fc.constantFrom<Choice<string>>(...(['DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'] as const).map((v) => ok(v, v))) },
    { weight: 1, arbitrary: pick(ok('about', '')) },
  ),
  bad: pick(bad('lower case', 'add', { '*': { stage: 1, codes: [4] } }), bad('unknown', 'INIT', { '*': { stage: 1, codes: [4] } }), bad('huge', huge(50_000), { '*': { stage: 1, codes: [4] } })),
};

export { conf, conf7, env4 };
