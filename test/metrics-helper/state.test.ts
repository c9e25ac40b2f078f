/**
 * The baselines' ConfigMap against a real kube-apiserver: the compact encoding's size per ipamd
 * process, a warning (with the size) past 75 % of the 1 MiB a ConfigMap may hold, and a ConfigMap
 * written by an earlier publisher (version 1) still read, so an upgrade continues its counts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { COUNTER_KEYS } from '../../metrics-helper/exposition.ts';
import type { Baseline, LedgerState } from '../../metrics-helper/ledger.ts';
import type { Level } from '../../metrics-helper/log.ts';
import { encodeState } from '../../metrics-helper/state-codec.ts';
import { CONFIGMAP_LIMIT_BYTES, configMapStateStore, STATE_KEY, STATE_WARN_BYTES } from '../../metrics-helper/state-store.ts';
import { type ControlPlane, startControlPlane } from '../helpers/kube/control-plane.ts';

let cp: ControlPlane;
let core: CoreV1Api;
before(async () => {
  cp = await startControlPlane();
  core = cp.admin().makeApiClient(CoreV1Api);
});
after(async () => {
  await cp?.stop();
});

/** Baselines of `n` ipamd processes as a big cluster has them: real UIDs and start times, counters in the thousands, latency sums with decimals. */
function cluster(n: number): LedgerState {
  const baselines: Record<string, Baseline> = {};
  for (let i = 0; i < n; i++) {
    const values = Object.fromEntries(COUNTER_KEYS.map((k, j) => [k, k.endsWith('.sum') ? 123456.789 + i : 1000 * j + i]));
    baselines[`${randomUUID()}@${1765000000 + i}`] = { pod: `kube-system/vpcwire-${randomUUID().slice(0, 5)}`, values };
  }
  return { epoch: 1765000000000, baselines };
}

function logger() {
  const lines: { level: Level; msg: string; fields: Record<string, unknown> }[] = [];
  return { lines, log: (level: Level, msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, fields }) };
}

test('compact: about 150 bytes per ipamd process (version 1: about 400), so 1 MiB holds about 7,000; a warning with the size past 75 % of it', { timeout: 60_000 }, async () => {
  const perProcess = (Buffer.byteLength(encodeState(cluster(1000))) - Buffer.byteLength(encodeState(cluster(0)))) / 1000;
  assert.ok(perProcess < 160, `${perProcess} bytes per process`);
  const warnAt = Math.ceil(STATE_WARN_BYTES / perProcess);

  const small = logger();
  const a = configMapStateStore(core, 'kube-system', 'state-small', { log: small.log });
  await a.load();
  const state = cluster(1000);
  await a.save(state);
  assert.deepEqual(small.lines, []);
  assert.deepEqual(await configMapStateStore(core, 'kube-system', 'state-small').load(), state, 'read back as written');

  const big = logger();
  const b = configMapStateStore(core, 'kube-system', 'state-big', { log: big.log });
  await b.load();
  const near = cluster(warnAt + 100);
  await b.save(near);
  const [warning] = big.lines;
  assert.equal(warning?.level, 'warn');
  assert.match(warning!.msg, /near the ConfigMap size limit/);
  assert.ok((warning!.fields.bytes as number) > STATE_WARN_BYTES && (warning!.fields.bytes as number) < CONFIGMAP_LIMIT_BYTES, JSON.stringify(warning!.fields));
  assert.equal(warning!.fields.processes, warnAt + 100);
  assert.deepEqual(await configMapStateStore(core, 'kube-system', 'state-big').load(), near, 'still stored');
});

test("a ConfigMap an earlier publisher wrote (version 1) is read: an upgrade continues from its baselines", async () => {
  const v1 = {
    version: 1,
    epoch: 1765000000000,
    baselines: {
      'u1@1765000100': { pod: 'kube-system/vpcwire-a', node: 'ip-10-0-1-5.us-west-2.compute.internal', values: { addReqCount: 12, 'awsAPILatency.sum': 40.5, 'awsAPILatency.count': 3 } },
      'u2#1~2': { pod: 'kube-system/vpcwire-b', node: 'ip-10-0-1-6.us-west-2.compute.internal', values: {} },
    },
  };
  await core.createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { name: 'state-v1' }, data: { [STATE_KEY]: JSON.stringify(v1) } } });
  const store = configMapStateStore(core, 'kube-system', 'state-v1');
  const state = await store.load();
  assert.deepEqual(state, {
    epoch: 1765000000000,
    baselines: {
      'u1@1765000100': { pod: 'kube-system/vpcwire-a', values: { addReqCount: 12, 'awsAPILatency.sum': 40.5, 'awsAPILatency.count': 3 } },
      'u2#1~2': { pod: 'kube-system/vpcwire-b', values: {} },
    },
  });
  await store.save(state); // written as version 2 from now on
  const cm = await core.readNamespacedConfigMap({ name: 'state-v1', namespace: 'kube-system' });
  assert.equal((JSON.parse(cm.data![STATE_KEY]!) as { version: number }).version, 2);
  assert.deepEqual(await configMapStateStore(core, 'kube-system', 'state-v1').load(), state);
  // Anything else stops the publisher rather than starting the counts over (which would send history again).
  await core.createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { name: 'state-bad' }, data: { [STATE_KEY]: '{"version":3,"epoch":1,"baselines":{}}' } } });
  await assert.rejects(configMapStateStore(core, 'kube-system', 'state-bad').load(), /not version 1 or 2 baselines/);
});
