/**
 * The network configuration the plugin fuzzer sends on stdin, key by key (choices.ts explains the
 * tags). 'node:socket' and friends are placeholders case.ts fills in with the node's real paths.
 */
import fc from 'fast-check';
import { type Choice, conf, conf7, type Effects, type Field, ID } from './choices.ts';

const ok = <T>(label: string, value: T): Choice<T> => ({ label, value });
const bad = <T>(label: string, value: T, effects: Effects): Choice<T> => ({ label, value, effects });
const pick = <T>(...cs: Choice<T>[]) => fc.constantFrom(...cs);
/** A key left out of the configuration. */
export const ABSENT = Symbol('absent');
type V = unknown;

/** JSON nested `depth` deep, as text (JSON.stringify itself would overflow the stack building it). */
export const deep = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
/** A value spliced into the JSON text as is. */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

const verbNeeds = (min: '0.4.0' | '1.1.0'): Effects =>
  min === '0.4.0'
    ? { CHECK: { stage: 3, codes: [1] }, GC: { stage: 3, codes: [1] }, STATUS: { stage: 3, codes: [1] } }
    : { GC: { stage: 3, codes: [1] }, STATUS: { stage: 3, codes: [1] } };

export const cniVersion: Field<V> = {
  good: pick<V>(
      { label: '0.3.0', value: '0.3.0', effects: verbNeeds('0.4.0') },
      { label: '0.3.1', value: '0.3.1', effects: verbNeeds('0.4.0') },
      { label: '0.4.0', value: '0.4.0', effects: verbNeeds('1.1.0') },
      { label: '1.0.0', value: '1.0.0', effects: verbNeeds('1.1.0') },
      ok('1.1.0', '1.1.0'),
      ok('1.1.0', '1.1.0'),
  ),
  bad: pick<V>(
      ...['01.1.0', ' 1.1.0', '1.1', '1.1.0.0', '1.1.0\n', '0.2.0', '2.0.0', 'v1.1.0', 'x'.repeat(100_000)].map((v) => bad(`version ${JSON.stringify(v.slice(0, 10))}`, v, conf(1))),
      bad('number', 1.1, conf7),
      bad('null', null, conf7),
      bad('empty', '', conf7),
      bad('absent', ABSENT, conf7),
      bad('deep', new RawJson(deep(50_000)), conf7),
  ),
};

export const name: Field<V> = {
  good: pick<V>(ok('plain', `n${ID}`), ok('dots', `n${ID}.a_b-c`), ok('253 characters', `n${ID}${'x'.repeat(246)}`)),
  bad: pick<V>(
      ...['', 'a b', '-x', '_x', `n${ID}${'x'.repeat(247)}`, 'é', 'a/b'].map((v) => bad(`name ${JSON.stringify(v.slice(0, 10))}`, v, conf7)),
      bad('number', 5, conf7),
      bad('absent', ABSENT, conf7),
      bad('deep', new RawJson(deep(100_000)), conf7),
  ),
};

export const socket: Field<V> = {
  good: pick<V>(ok('node', 'node:socket')),
  bad: pick<V>(
      bad('ipamd absent', '/run/vpcwire-fuzz-absent/ipamd.sock', {
        ADD: { stage: 4, codes: [11] },
        CHECK: { stage: 4, codes: [11] },
        GC: { stage: 4, codes: [11] },
        STATUS: { stage: 4, codes: [50] },
      }),
      bad('relative', 'ipamd.sock', conf7),
      bad('empty', '', conf7),
      bad('number', 7, conf7),
      bad('deep', new RawJson(deep(100_000)), conf7),
  ),
};

export const deadlineMs: Field<V> = {
  good: pick<V>(ok('absent', ABSENT), ok('5000', 5000), ok('null', null)),
  bad: pick<V>(
      bad('1 ms', 1, {
        ADD: { stage: 4, codes: [0, 11] },
        CHECK: { stage: 4, codes: [0, 11, 103] },
        GC: { stage: 4, codes: [0, 11] },
        STATUS: { stage: 4, codes: [0, 50] },
      }),
      ...[0, -1, 1.5, '100', 600_001, [], {}].map((v) => bad(`deadlineMs ${JSON.stringify(v)}`, v, conf7)),
  ),
};

export const vethPrefix: Field<V> = {
  good: pick<V>(ok('absent', ABSENT), ok('eni', 'eni')),
  bad: pick<V>(...['eth', 'lo', 'toolong', '', 'a-b', 'é'].map((v) => bad(`vethPrefix ${JSON.stringify(v)}`, v, conf7))),
};

export const logFile: Field<V> = {
  good: pick<V>(ok('node', 'node:log'), ok('absent', ABSENT), ok('unwritable', '/proc/vpcwire-fuzz/plugin.log')),
  bad: pick<V>(bad('relative', 'plugin.log', conf7), bad('number', 3, conf7)),
};

export const type: Field<V> = {
  good: pick<V>(ok('vpcwire', 'vpcwire'), ok('absent', ABSENT)),
  bad: pick<V>(bad('empty', '', conf7), bad('number', 5, conf7)),
};

/** The keys cni/config.ts reads. */
const READ_KEYS = new Set(['cniVersion', 'name', 'type', 'socket', 'releaseNotesDir', 'vethPrefix', 'deadlineMs', 'logFile', 'logLevel', 'logMaxSizeMb', 'logMaxFiles', 'prevResult', 'cni.dev/valid-attachments', 'cni.dev/attachments']);

/** Keys the plugin does not read: anything goes there. */
export const extra = fc.oneof(
  { weight: 6, arbitrary: pick<Record<string, V>>(ok('none', {})) },
  {
    weight: 4,
    arbitrary: fc.oneof(
      pick<Record<string, V>>(
        ok('deep under an unknown key', { unknown: new RawJson(deep(100_000)) }),
        ok('1 MiB string', { big: 'b'.repeat(1 << 20) }),
        ok('capabilities', { capabilities: { portMappings: true }, runtimeConfig: { portMappings: [] }, args: { cni: { x: 1 } } }),
      ),
      fc
        .dictionary(fc.string({ maxLength: 8 }).filter((k) => !READ_KEYS.has(k)), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 4 })
        .map((d) => ok('random json', d as Record<string, V>)),
    ),
  },
);

const foreignResult = {
  cniVersion: '1.1.0',
  interfaces: [{ name: 'veth9', mac: '02:00:00:00:00:09' }, { name: 'eth0', mac: '02:00:00:00:00:0a', sandbox: '/run/netns/other' }],
  ips: [{ address: '192.0.2.9/32', gateway: '169.254.1.1', interface: 1 }, { address: '2001:db8::9/128' }],
  routes: [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }],
  dns: {},
};

export const prevResult: Field<V> = {
  good: pick<V>(ok('absent', ABSENT), ok('absent', ABSENT), ok('foreign, TEST-NET', foreignResult)),
  bad: pick<V>(
      bad('999.999.999.999/32', { ...foreignResult, ips: [{ address: '999.999.999.999/32' }] }, conf7),
      bad('no prefix length', { ips: [{ address: '192.0.2.1' }] }, conf7),
      bad('huge address', { ips: [{ address: 'x'.repeat(200_000) }] }, conf7),
      bad('interfaces not a list', { interfaces: 'eth0' }, conf7),
      bad('bad interface name', { interfaces: [{ name: 'a/b', sandbox: '/x' }] }, conf7),
      bad('negative interface index', { ips: [{ address: '192.0.2.1/32', interface: -1 }] }, conf7),
      bad('route without CIDR', { routes: [{ dst: 'default' }] }, conf7),
      bad('dns a list', { dns: [] }, conf7),
      bad('a list', [], conf7),
      bad('deep', new RawJson(deep(100_000)), conf7),
  ),
};

export const attachments: Field<V> = {
  good: pick<V>(bad('absent', ABSENT, { GC: { stage: 3, codes: [7] } }), ok('own and others', 'node:attachments'), ok('empty', [])),
  bad: pick<V>(bad('not a list', { containerID: 'x' }, conf7), bad('bad entry', [{ containerID: 1, ifname: 'eth0' }], conf7), bad('deep', new RawJson(deep(100_000)), conf7)),
};

/** The whole of stdin replaced: the plugin must say it is not a configuration, whatever it is. */
export const wholeStdin: Field<string | undefined> = {
  good: pick<string | undefined>(ok('the configuration', undefined)),
  bad: fc.oneof(
      pick<string | undefined>(
        ...['', 'not json', '{"cniVersion":', '\ufeff{"cniVersion":"1.1.0","name":"x"}', `{"a":"${'x'.repeat(1 << 20)}`, '\u0000\u0001'].map((v) =>
          bad(`not JSON ${JSON.stringify(v.slice(0, 12))}`, v, conf(6)),
        ),
        ...['[]', 'null', '"1.1.0"', '42', deep(100_000)].map((v) => bad(`not an object ${JSON.stringify(v.slice(0, 12))}`, v, conf7)),
      ),
      fc.jsonValue({ maxDepth: 3 }).map((j) => bad<string | undefined>('random JSON', JSON.stringify(j) ?? 'null', { '*': { stage: 2, codes: [1, 6, 7] }, VERSION: { stage: 2, codes: [0] } })),
  ),
};

export { ok as okChoice };
