/**
 * Retired ENIs (issue 11, custom networking): an ENI of an ENIConfig the node no longer uses, or
 * the primary ENI with custom networking, keeps its pods, gets no new one, does not count as warm,
 * gives its free addresses back and, once empty, is freed; growth goes to a new ENI instead.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseAddress, planNext, type EniView } from '../../warm-pool/index.ts';
import { ipEni, pool, prefixEni, T3_SMALL, targets } from './fixtures.ts';

const retired = (e: EniView): EniView => ({ ...e, retired: true });

test('a retired ENI with pods gives its free addresses back at once, not paced, and keeps its pods', () => {
  const step = planNext(pool([ipEni(0, 'A'), retired(ipEni(1, 'AFF')), ipEni(2, 'FF')], { msSinceLastRelease: 0 }), targets({ warmIpTarget: 2 }), T3_SMALL);
  assert.equal(step.kind, 'release');
  assert.deepEqual(step.kind === 'release' && [step.eniId, step.items], ['eni-1', ['10.0.1.11', '10.0.1.12']]);
});

test('an empty retired ENI is freed whatever its age and the targets', () => {
  const step = planNext(pool([ipEni(0, 'AAA'), retired(ipEni(1, 'FFF', { ageMs: 0 })), ipEni(2, 'FFF')]), targets({ warmEniTarget: 1 }), T3_SMALL);
  assert.deepEqual(step.kind === 'free-eni' && step.eniId, 'eni-1');
});

test('cooling addresses keep a retired ENI attached until they cool', () => {
  const step = planNext(pool([ipEni(0, 'AAA'), retired(ipEni(1, 'C')), ipEni(2, 'FFF')]), targets({ warmIpTarget: 3 }), T3_SMALL);
  assert.equal(step.kind, 'none', step.reason);
});

test("a retired ENI's free addresses are not warm: the pool grows on a new ENI", () => {
  const step = planNext(pool([ipEni(0, 'AAA'), retired(ipEni(1, 'AF'))]), targets({ warmIpTarget: 1 }), T3_SMALL);
  assert.equal(step.kind, 'create-eni', step.reason);
  assert.match(step.reason, /1 retired, draining/);
});

test('the retired primary (custom networking) is never freed and never filled', () => {
  const primary = retired(ipEni(0, ''));
  let step = planNext(pool([primary]), targets({ warmIpTarget: 2 }), T3_SMALL);
  assert.deepEqual(step.kind === 'create-eni' && step.count, 2, step.reason);
  step = planNext(pool([primary, ipEni(1, 'FF')]), targets({ warmIpTarget: 2 }), T3_SMALL);
  assert.equal(step.kind, 'none', step.reason);
  step = planNext(pool([retired(ipEni(0, 'AF')), ipEni(1, 'FF')]), targets({ warmIpTarget: 2 }), T3_SMALL);
  assert.deepEqual(step.kind === 'release' && [step.eniId, step.items], ['eni-p', ['10.0.0.11']]);
});

test('at the ENI limit, a short pool drains an empty retired ENI to make room', () => {
  const step = planNext(pool([ipEni(0, 'AAA'), retired(ipEni(1, '')), ipEni(2, 'AAA')]), targets({ warmIpTarget: 1 }), T3_SMALL);
  assert.deepEqual(step.kind === 'free-eni' && step.eniId, 'eni-1', step.reason);
});

test('prefix mode: whole free /28s of a retired ENI go back; a /28 with a pod stays', () => {
  const step = planNext(pool([prefixEni(0, [[1, 0], [0, 0]]), retired(prefixEni(1, [[1, 0], [0, 0]]))]), targets({ prefixMode: true, warmPrefixTarget: 1 }), T3_SMALL);
  assert.deepEqual(step.kind === 'release' && [step.eniId, step.items], ['eni-1', ['10.2.0.16/28']]);
});

test('no new pod gets an address on a retired ENI, even when it is the only free one', () => {
  assert.equal(chooseAddress(pool([ipEni(0, 'AAA'), retired(ipEni(1, 'AFF'))])), undefined);
  assert.deepEqual(chooseAddress(pool([retired(ipEni(0, 'AFF')), ipEni(1, 'FF')])), { eniId: 'eni-1', ip: '10.0.1.10' });
});
