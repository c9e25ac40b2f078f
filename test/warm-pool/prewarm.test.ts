/**
 * Prewarm (issue 11 item 8): pods bound to the node that have no address yet count as if they
 * held one, so the pool grows before their ADDs arrive, keeps the addresses they will take, and
 * returns to the plain targets when they are deleted before starting.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planNext } from '../../warm-pool/index.ts';
import { ipEni, pool, prefixEni, T3_SMALL, targets } from './fixtures.ts';

test('WARM_IP_TARGET met, 3 pods bound: grow by 3 now', () => {
  const step = planNext(pool([ipEni(0, 'AFF')], { expectedPods: 3 }), targets({ warmIpTarget: 2 }), T3_SMALL);
  assert.equal(step.kind, 'create-eni', step.reason);
  assert.equal(step.kind === 'create-eni' && step.count, 3);
  assert.equal(planNext(pool([ipEni(0, 'AFF')]), targets({ warmIpTarget: 2 }), T3_SMALL).kind, 'none', 'without them: nothing');
});

test('the addresses bound pods will take are not released as surplus', () => {
  const held = pool([ipEni(0, 'AFF'), ipEni(1, 'FFF')], { expectedPods: 3 });
  assert.equal(planNext(held, targets({ warmIpTarget: 2 }), T3_SMALL).kind, 'none');
  // Deleted before they started: back to WARM_IP_TARGET 2, the surplus of 3 goes.
  const after = planNext(pool([ipEni(0, 'AFF'), ipEni(1, 'FFF')], { expectedPods: 0 }), targets({ warmIpTarget: 2 }), T3_SMALL);
  assert.equal(after.kind, 'free-eni', after.reason);
});

test('WARM_ENI_TARGET: a whole ENI of warmth stays after the bound pods start', () => {
  const step = planNext(pool([ipEni(0, 'AFF'), ipEni(1, 'FFF')], { expectedPods: 3 }), targets(), T3_SMALL);
  assert.equal(step.kind, 'create-eni', step.reason);
});

test('prefix mode: bound pods that overflow the partly used /28 eat the whole free one', () => {
  // 15 free in the first /28 (1 pod), one whole free /28: 20 bound pods need 5 more than the first holds.
  const step = planNext(pool([prefixEni(0, [[1, 0], [0, 0]])], { expectedPods: 20 }), targets({ prefixMode: true, warmPrefixTarget: 1 }), T3_SMALL);
  assert.equal(step.kind, 'assign', step.reason);
  assert.equal(step.kind === 'assign' && step.count, 1);
  const fits = planNext(pool([prefixEni(0, [[1, 0], [0, 0]])], { expectedPods: 15 }), targets({ prefixMode: true, warmPrefixTarget: 1 }), T3_SMALL);
  assert.equal(fits.kind, 'none', fits.reason);
});

test('max pods still caps growth, however many are bound', () => {
  const step = planNext(pool([ipEni(0, 'AAA'), ipEni(1, 'AAA')], { expectedPods: 50 }), targets({ warmIpTarget: 1, maxPods: 6 }), T3_SMALL);
  assert.equal(step.kind, 'none');
  assert.match(step.reason, /at max pods/);
});
