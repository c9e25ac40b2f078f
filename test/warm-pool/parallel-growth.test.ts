/**
 * Growth that needs several ENIs creates them in one step (warm-pool/parallel-growth.ts): the
 * planner is asked again as if each planned ENI were attached, up to the instance's ENIs and the
 * step's cap.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alsoCreate, planNext } from '../../warm-pool/index.ts';
import { ipEni, pool, T3_SMALL, targets } from './fixtures.ts';

test('8 pods bound to a full t3.small: two ENIs at once, the instance has room for no third', () => {
  const snap = pool([ipEni(0, 'AAA')], { expectedPods: 8 });
  const t = targets({ warmIpTarget: 2 });
  const first = planNext(snap, t, T3_SMALL);
  assert.equal(first.kind, 'create-eni', first.reason);
  const count = first.kind === 'create-eni' ? first.count : 0;
  assert.deepEqual(alsoCreate(snap, t, T3_SMALL, { first: count, prefixMode: false, max: 3 }), [3]);
  assert.deepEqual(alsoCreate(snap, t, T3_SMALL, { first: count, prefixMode: false, max: 1 }), [], 'the cap counts the first');
});

test('one ENI enough: nothing beside it', () => {
  const snap = pool([ipEni(0, 'AAA')], { expectedPods: 1 });
  const t = targets({ warmIpTarget: 2 });
  const first = planNext(snap, t, T3_SMALL);
  assert.equal(first.kind, 'create-eni', first.reason);
  assert.deepEqual(alsoCreate(snap, t, T3_SMALL, { first: first.kind === 'create-eni' ? first.count : 0, prefixMode: false, max: 3 }), []);
});
