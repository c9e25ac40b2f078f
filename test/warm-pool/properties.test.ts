/**
 * Properties of the planner over random pools, targets and limits (fast-check): no plan exceeds the
 * instance's ENIs or slots, a release never includes an assigned or cooling address, free-eni never
 * picks the primary ENI or one with assigned or cooling addresses, and applying plans from any state
 * reaches `none` within a bound, without growing again after a shrink (no flapping).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { chooseAddress, countEni, planNext, PREFIX_SIZE, sumCounts } from '../../warm-pool/index.ts';
import type { AddressState, AddressView, EniView, InstanceLimits, PoolSnapshot, PrefixView, Step, Targets } from '../../warm-pool/index.ts';
import { PoolSim } from './pool-sim.ts';

const state = fc.constantFrom<AddressState>('free', 'free', 'assigned', 'cooling');
const prefixStates = fc.oneof(
  fc.constant<AddressState[]>(Array.from({ length: PREFIX_SIZE }, () => 'free')),
  fc.array(state, { minLength: PREFIX_SIZE, maxLength: PREFIX_SIZE }),
);

const limitsArb: fc.Arbitrary<InstanceLimits> = fc.record({
  maxEnis: fc.integer({ min: 1, max: 5 }),
  ipv4PerEni: fc.integer({ min: 1, max: 8 }),
});

const optionalInt = (max: number) => fc.option(fc.integer({ min: 0, max }), { nil: undefined });

const targetsArb: fc.Arbitrary<Targets> = fc.record({
  prefixMode: fc.boolean(),
  warmEniTarget: fc.integer({ min: 0, max: 3 }),
  warmIpTarget: optionalInt(40),
  minimumIpTarget: optionalInt(60),
  warmPrefixTarget: optionalInt(3),
  maxEni: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  maxPods: fc.option(fc.integer({ min: 1, max: 120 }), { nil: undefined }),
  releaseIntervalMs: fc.constantFrom(0, 30_000),
  minEniAgeToFreeMs: fc.constantFrom(0, 60_000),
});

/** One ENI's slots: mostly the mode's kind, sometimes the other (a node switching mode). */
function eniArb(deviceIndex: number, slots: number, prefixMode: boolean): fc.Arbitrary<EniView> {
  const slot = prefixMode
    ? fc.oneof({ weight: 5, arbitrary: prefixStates.map((s) => ({ prefix: s })) }, { weight: 1, arbitrary: state.map((s) => ({ ip: s })) })
    : fc.oneof({ weight: 5, arbitrary: state.map((s) => ({ ip: s })) }, { weight: 1, arbitrary: prefixStates.map((s) => ({ prefix: s })) });
  return fc
    .record({ items: fc.array(slot, { maxLength: slots }), ageMs: fc.constantFrom(0, 60_000, 1_000_000) })
    .map(({ items, ageMs }) => {
      const addresses: AddressView[] = [];
      const prefixes: { prefix: string; addresses: AddressView[] }[] = [];
      items.forEach((item, j) => {
        if ('ip' in item) addresses.push({ ip: `10.${deviceIndex}.${j}.200`, state: item.ip });
        else {
          prefixes.push({
            prefix: `10.${deviceIndex}.${j}.0/28`,
            addresses: item.prefix.map((s, i) => ({ ip: `10.${deviceIndex}.${j}.${i}`, state: s })),
          });
        }
      });
      return { id: `eni-${deviceIndex}`, deviceIndex, isPrimary: deviceIndex === 0, addresses, prefixes, ageMs };
    });
}

const scenarioArb = fc
  .tuple(limitsArb, targetsArb)
  .chain(([limits, targets]) => {
    const slots = Math.max(0, limits.ipv4PerEni - 1);
    return fc
      .integer({ min: 1, max: limits.maxEnis })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, d) => eniArb(d, slots, targets.prefixMode))))
      .chain((enis) =>
        fc.record({
          limits: fc.constant(limits),
          targets: fc.constant(targets),
          snapshot: fc.record({
            enis: fc.constant(enis as EniView[]),
            msSinceLastRelease: fc.constantFrom(0, 10_000, Infinity),
            growthBlocked: fc.boolean(),
          }),
        }),
      );
  });

/** Checks one step against the snapshot it was planned from. */
function checkStep(snapshot: PoolSnapshot, targets: Targets, limits: InstanceLimits, step: Step): void {
  const slots = Math.max(0, limits.ipv4PerEni - 1);
  const maxEnis = Math.min(limits.maxEnis, targets.maxEni ?? Infinity);
  const eni = 'eniId' in step ? snapshot.enis.find((e) => e.id === step.eniId) : undefined;
  assert.ok(step.reason.length > 0 && /\d/.test(step.reason), `reason names numbers: ${step.reason}`);
  const total = sumCounts(snapshot.enis.map(countEni)).total;
  const unit = targets.prefixMode ? PREFIX_SIZE : 1;
  switch (step.kind) {
    case 'none':
      return;
    case 'assign':
      assert.ok(eni, 'assign to a known ENI');
      assert.ok(!snapshot.growthBlocked, 'no growth while blocked');
      assert.ok(Number.isInteger(step.count) && step.count >= 1, `count ${step.count}`);
      assert.ok(eni.addresses.length + eni.prefixes.length + step.count <= slots, `assign ${step.count} overflows ${slots} slots`);
      if (targets.maxPods !== undefined) assert.ok(total + (step.count - 1) * unit < targets.maxPods, 'stops at max pods');
      return;
    case 'create-eni':
      assert.ok(!snapshot.growthBlocked, 'no growth while blocked');
      assert.ok(snapshot.enis.length < maxEnis, `create beyond ${maxEnis} ENIs`);
      assert.ok(Number.isInteger(step.count) && step.count >= 1 && step.count <= slots, `count ${step.count} of ${slots} slots`);
      if (targets.maxPods !== undefined) assert.ok(total + (step.count - 1) * unit < targets.maxPods, 'stops at max pods');
      return;
    case 'release':
      assert.ok(eni, 'release from a known ENI');
      assert.ok(step.items.length >= 1, 'releases something');
      assert.equal(new Set(step.items).size, step.items.length, 'no item twice');
      assert.ok(snapshot.msSinceLastRelease >= targets.releaseIntervalMs, 'paced');
      for (const item of step.items) {
        const address: AddressView | undefined = eni.addresses.find((a) => a.ip === item);
        const prefix: PrefixView | undefined = eni.prefixes.find((p) => p.prefix === item);
        if (address) assert.equal(address.state, 'free', `released ${item} is ${address.state}`);
        else {
          assert.ok(prefix, `released ${item} is on ${eni.id}`);
          assert.ok(prefix.addresses.every((a) => a.state === 'free'), `released prefix ${item} holds an assigned or cooling address`);
        }
      }
      return;
    case 'free-eni': {
      assert.ok(eni, 'free a known ENI');
      assert.ok(!eni.isPrimary, 'never the primary ENI');
      const all = [...eni.addresses, ...eni.prefixes.flatMap((p) => p.addresses)];
      assert.ok(all.every((a) => a.state === 'free'), `freed ${eni.id} holds an assigned or cooling address`);
      assert.ok(eni.ageMs >= targets.minEniAgeToFreeMs, 'old enough');
      return;
    }
  }
}

const RUNS = { numRuns: 300 };

describe('planner properties', () => {
  test('a single plan never exceeds the limits nor touches assigned or cooling addresses', () => {
    fc.assert(
      fc.property(scenarioArb, ({ snapshot, targets, limits }) => {
        checkStep(snapshot, targets, limits, planNext(snapshot, targets, limits));
      }),
      RUNS,
    );
  });

  test('applying plans from any state reaches none within a bound, never growing after a shrink', () => {
    fc.assert(
      fc.property(scenarioArb, ({ snapshot, targets, limits }) => {
        const sim = new PoolSim(targets, limits, { from: snapshot });
        const slots = Math.max(0, limits.ipv4PerEni - 1);
        const usedAtStart = snapshot.enis.reduce((n, e) => n + e.addresses.length + e.prefixes.length, 0);
        // Growth adds a slot per step at least and never follows a shrink; a shrink removes an ENI or a slot.
        const bound = 2 * (limits.maxEnis * slots + usedAtStart) + 2 * limits.maxEnis + 2;
        let shrunk = false;
        for (let steps = 0; ; steps++) {
          assert.ok(steps <= bound, `no 'none' after ${bound} steps: ${JSON.stringify(sim.steps.slice(-4))}`);
          const before = sim.snapshot();
          const step = planNext(before, targets, limits);
          checkStep(before, targets, limits, step);
          if (step.kind === 'none') return;
          const grows = step.kind === 'assign' || step.kind === 'create-eni';
          assert.ok(!(grows && shrunk), `grew after a shrink: ${JSON.stringify(sim.steps.slice(-3))} then ${JSON.stringify(step)}`);
          shrunk ||= !grows;
          sim.apply(step);
        }
      }),
      RUNS,
    );
  });

  test('pods coming and going under any targets keep every step legal', () => {
    const event = fc.oneof(
      { weight: 3, arbitrary: fc.constant({ kind: 'add' as const }) },
      { weight: 2, arbitrary: fc.nat().map((n) => ({ kind: 'remove' as const, n })) },
      { weight: 1, arbitrary: fc.constantFrom(1_000, 31_000, 61_000).map((ms) => ({ kind: 'wait' as const, ms })) },
      { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: 'block' as const, on })) },
    );
    fc.assert(
      fc.property(limitsArb, targetsArb, fc.array(event, { maxLength: 40 }), (limits, targets, events) => {
        const sim = new PoolSim(targets, limits);
        let pod = 0;
        const settle = () => {
          for (let i = 0; i < 200; i++) {
            const before = sim.snapshot();
            const step = planNext(before, targets, limits);
            checkStep(before, targets, limits, step);
            if (step.kind === 'none') return;
            sim.apply(step);
          }
          assert.fail('did not settle');
        };
        settle();
        for (const e of events) {
          if (e.kind === 'add') {
            if (chooseAddress(sim.snapshot()) !== undefined) sim.addPod(`pod-${pod++}`);
          } else if (e.kind === 'remove') {
            const names = [...sim.pods.keys()];
            if (names.length > 0) sim.removePod(names[e.n % names.length]!);
          } else if (e.kind === 'wait') sim.advance(e.ms);
          else sim.growthBlocked = e.on;
          settle();
        }
      }),
      { numRuns: 150 },
    );
  });

  test('chooseAddress returns a free address on the fullest ENI that has one, or nothing when none is free', () => {
    fc.assert(
      fc.property(scenarioArb, ({ snapshot }) => {
        const choice = chooseAddress(snapshot);
        const counts = snapshot.enis.map(countEni);
        const withFree = counts.filter((c) => c.available > 0);
        if (withFree.length === 0) return assert.equal(choice, undefined);
        assert.ok(choice, 'an address when one is free');
        const eni = snapshot.enis.find((e) => e.id === choice.eniId)!;
        const listed = [...eni.addresses, ...eni.prefixes.flatMap((p) => p.addresses)].find((a) => a.ip === choice.ip);
        assert.ok(listed, `${choice.ip} is on ${eni.id}`);
        assert.equal(listed.state, 'free');
        const most = Math.max(...withFree.map((c) => c.assigned));
        assert.equal(countEni(eni).assigned, most, 'packs onto the fullest ENI');
      }),
      RUNS,
    );
  });
});
