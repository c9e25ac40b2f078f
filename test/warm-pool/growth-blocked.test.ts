/**
 * Why the pool did not grow, as a closed set the metrics label by (issue 13: Step `none` carries
 * `blocked` only when the targets asked for more and growth was not possible).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planNext } from '../../warm-pool/index.ts';
import { ipEni, pool, T3_SMALL, targets } from './fixtures.ts';

test('blocked says why growth the targets asked for did not happen, and is absent when nothing was asked', () => {
  const full = [ipEni(0, 'AAA'), ipEni(1, 'AAA'), ipEni(2, 'AAA')];
  const cases = [
    { what: 'max pods', step: planNext(pool([ipEni(0, 'AAA')]), targets({ warmIpTarget: 2, maxPods: 3 }), T3_SMALL), blocked: 'max-pods' },
    { what: 'every ENI full at the instance limit', step: planNext(pool(full), targets({ warmIpTarget: 1 }), T3_SMALL), blocked: 'instance-limit' },
    { what: 'subnet exhausted', step: planNext(pool([ipEni(0, 'AAA')], { growthBlocked: true }), targets({ warmIpTarget: 1 }), T3_SMALL), blocked: 'subnet-full' },
    { what: 'no slots per ENI', step: planNext(pool([ipEni(0, '')]), targets({ warmIpTarget: 1 }), { maxEnis: 3, ipv4PerEni: 1 }), blocked: 'no-slots' },
    { what: 'targets met', step: planNext(pool([ipEni(0, 'AFF')]), targets({ warmIpTarget: 2 }), T3_SMALL), blocked: undefined },
  ];
  for (const c of cases) {
    assert.equal(c.step.kind, 'none', `${c.what}: ${c.step.reason}`);
    assert.equal(c.step.kind === 'none' ? c.step.blocked : 'not none', c.blocked, `${c.what}: ${c.step.reason}`);
  }
});
