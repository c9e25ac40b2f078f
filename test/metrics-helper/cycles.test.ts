/**
 * The publisher's scrape cycles with its real parts (live.ts: the real API server under the chart's
 * RBAC, expositions served over HTTP, CloudWatch through the SDK to the emulator): cycles never
 * overlap, so an older cycle finishing last cannot make a counter go back; a counter going back
 * under an unchanged process_start_time_seconds is not a restart; a pod whose ipamd stopped
 * answering, and every pod while the API server is down, contribute nothing (no frozen gauges, no
 * zero deltas) and their increments go out once they answer; the chart's Role grants no more than
 * the publisher calls.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthorizationV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { COUNTERS, figures, laterStart as start, useLiveBed } from './live.ts';

const bed = useLiveBed();

/** Every counter metric's sum in CloudWatch for the cluster (they all moved alike). */
async function counters(clusterId: string, node?: string): Promise<number[]> {
  return Object.values(await bed().read(clusterId, COUNTERS, node ? { node } : {}));
}

test('scrape cycles never overlap: a slow cycle that finishes after a newer one would make counters go back and count them again', { timeout: 60_000 }, async (t) => {
  const s = start();
  const a = await bed().serve('127.0.0.2', figures(2, s));
  const b = await bed().serve('127.0.0.3', figures(2, s));
  await bed().pod('node-a', '127.0.0.2');
  await bed().pod('node-b', '127.0.0.3');
  const p = await bed().publisher({ clusterId: 'overlap' });
  t.after(() => p.close());
  await p.pub.scrapeOnce();
  assert.equal(await p.pub.publishOnce(), true);

  // A cycle reads node-a (5), then waits on node-b's slow answer. Meanwhile node-b's pod is
  // replaced (no longer Running) and node-a counts on (9); the next tick comes.
  a.text = figures(5, s);
  b.delayNextMs = 1500;
  const slow = p.pub.scrapeOnce();
  for (let i = 0; i < 100 && b.requests < 2; i++) await sleep(20);
  assert.equal(b.requests, 2, 'the slow cycle asked node-b');
  await bed().tb.core.patchNamespacedPodStatus({ name: 'vpcwire-node-b', namespace: 'kube-system', body: { status: { phase: 'Failed' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  a.text = figures(9, s);
  const tick = await p.pub.scrapeOnce();
  await slow;
  assert.equal(await p.pub.publishOnce(), true);
  await p.pub.scrapeOnce(); // node-a at 9; node-b is gone
  assert.equal(await p.pub.publishOnce(), true);

  // CloudWatch holds each counter's true increase: node-a 9, node-b 2.
  assert.deepEqual(await counters('overlap'), COUNTERS.map(() => 11));
  assert.equal(tick.skipped, true, 'the tick found the cycle running and did nothing');
  assert.equal(p.logged('debug', /scrape tick skipped/).length, 1);
  assert.deepEqual(p.logged('warn', /reading/), []);
});

test('counters going back under the same process_start_time_seconds are not a restart: that reading is ignored, with a warning', { timeout: 60_000 }, async (t) => {
  const s = start();
  const a = await bed().serve('127.0.0.2', figures(10, s));
  await bed().pod('node-a', '127.0.0.2');
  const p = await bed().publisher({ clusterId: 'went-back' });
  t.after(() => p.close());
  await p.pub.scrapeOnce();
  await p.pub.publishOnce();
  a.text = figures(4, s); // an answer from before the last one (a cache, a proxy): not a new process
  await p.pub.scrapeOnce();
  await p.pub.publishOnce();
  a.text = figures(12, s);
  await p.pub.scrapeOnce();
  await p.pub.publishOnce();
  assert.deepEqual(await counters('went-back'), COUNTERS.map(() => 12));
  const warnings = p.logged('warn', /counters went back but process_start_time_seconds did not change/);
  assert.deepEqual(warnings.map((w) => [w.pod, w.processStart]), [['kube-system/vpcwire-node-a', s]]);
  // A new start time is a restart, counted from 0: 12 + 3.
  a.text = figures(3, s + 100);
  await p.pub.scrapeOnce();
  await p.pub.publishOnce();
  assert.deepEqual(await counters('went-back'), COUNTERS.map(() => 15));
});

test('an ipamd that stops answering contributes nothing once its reading is too old; its increments go out when it answers again', { timeout: 60_000 }, async (t) => {
  const s = start();
  const a = await bed().serve('127.0.0.2', figures(2, s));
  const b = await bed().serve('127.0.0.3', figures(2, s));
  await bed().pod('node-a', '127.0.0.2');
  await bed().pod('node-b', '127.0.0.3');
  const p = await bed().publisher({ clusterId: 'quiet-node', nodeDimension: true, maxReadingAgeMs: 800 });
  t.after(() => p.close());
  await p.pub.scrapeOnce();
  assert.equal(await p.pub.publishOnce(), true);
  b.down = true;
  a.text = figures(5, s);
  await p.pub.scrapeOnce();
  await sleep(900);
  await p.pub.scrapeOnce();
  assert.equal(await p.pub.publishOnce(), true, 'node-a is fresh');
  b.down = false;
  b.text = figures(7, s); // what node-b counted while it did not answer
  await p.pub.scrapeOnce();
  assert.equal(await p.pub.publishOnce(), true);

  assert.deepEqual(await counters('quiet-node'), COUNTERS.map(() => 12), 'node-a 5, node-b 7: nothing lost, nothing twice');
  // The middle period had node-a alone: 3 assigned addresses, not 3 + node-b's last 3.
  assert.deepEqual(await bed().read('quiet-node', ['assignIPAddresses'], { stat: 'Minimum' }), { assignIPAddresses: 3 });
  // node-b's own series has no datum for the period it was silent.
  assert.deepEqual(await bed().read('quiet-node', ['assignIPAddresses', 'addReqCount'], { stat: 'SampleCount', node: 'node-b' }), { assignIPAddresses: 2, addReqCount: 2 });
  assert.deepEqual(await bed().read('quiet-node', ['assignIPAddresses', 'addReqCount'], { stat: 'SampleCount', node: 'node-a' }), { assignIPAddresses: 3, addReqCount: 3 });
});

test('while the API server is down nothing is published (a warning says why); the increments go out once it is back', { timeout: 90_000 }, async (t) => {
  const s = start();
  const a = await bed().serve('127.0.0.2', figures(2, s));
  await bed().pod('node-a', '127.0.0.2');
  const p = await bed().publisher({ clusterId: 'no-api', maxReadingAgeMs: 800 });
  t.after(() => p.close());
  await p.pub.scrapeOnce();
  assert.equal(await p.pub.publishOnce(), true);
  await bed().tb.cp.killApiServer();
  let down = true;
  t.after(() => (down ? bed().tb.cp.startApiServer() : undefined));
  a.text = figures(6, s);
  await sleep(900);
  await p.pub.scrapeOnce();
  assert.equal(p.logged('error', /listing ipamd pods failed/).length, 1);
  assert.equal(await p.pub.publishOnce(), false);
  assert.deepEqual(await bed().read('no-api', ['assignIPAddresses', 'addReqCount'], { stat: 'SampleCount' }), { assignIPAddresses: 1, addReqCount: 1 }, 'no datum for the outage');
  const [why] = p.logged('warn', /nothing published this period/);
  assert.match(String(why?.why), /^listing the ipamd pods fails: /);
  await bed().tb.cp.startApiServer();
  down = false;
  await p.pub.scrapeOnce();
  assert.equal(await p.pub.publishOnce(), true);
  assert.deepEqual(await counters('no-api'), COUNTERS.map(() => 6));
});

test("the chart's Role lets the publisher list and proxy to pods in its namespace only, and not watch them", async () => {
  const p = await bed().publisher({ clusterId: 'rbac' });
  p.close();
  const kc = new KubeConfig();
  kc.loadFromFile(p.settings.kubeconfig!);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const can = async (verb: string, resource: string, namespace?: string, subresource?: string) =>
    (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource, ...(namespace ? { namespace } : {}), ...(subresource ? { subresource } : {}) } } } })).status!.allowed;
  assert.equal(await can('list', 'pods', 'kube-system'), true);
  assert.equal(await can('get', 'pods', 'kube-system', 'proxy'), false, 'direct mode: no pods/proxy');
  assert.equal(await can('watch', 'pods', 'kube-system'), false);
  assert.equal(await can('list', 'pods', 'default'), false);
  assert.equal(await can('list', 'pods'), false, 'not across the cluster');
  assert.equal(await can('get', 'configmaps', 'kube-system'), false, 'only its own ConfigMap by name');
});
