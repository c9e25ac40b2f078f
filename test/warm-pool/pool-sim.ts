/**
 * An in-memory node for the planner's tests: it applies Steps the way ipamd's reconciler would
 * (checking that each one is legal first), places pods with chooseAddress, and has a clock, so
 * addresses cool down and the release interval and ENI age pass.
 */
import assert from 'node:assert/strict';
import { chooseAddress, PREFIX_SIZE, planNext } from '../../warm-pool/index.ts';
import type { AddressState, EniView, InstanceLimits, PoolSnapshot, Step, Targets } from '../../warm-pool/index.ts';

interface SimAddress {
  readonly ip: string;
  state: AddressState;
  /** When a cooling address becomes free again. */
  coolUntil: number;
}

interface SimEni {
  readonly id: string;
  readonly deviceIndex: number;
  readonly isPrimary: boolean;
  readonly createdAt: number;
  addresses: SimAddress[];
  prefixes: { readonly prefix: string; readonly addresses: SimAddress[] }[];
}

export interface SimOptions {
  readonly cooldownMs?: number;
  /** Start from this pool instead of an empty primary ENI (states frozen: cooling stays cooling). */
  readonly from?: PoolSnapshot;
}

export class PoolSim {
  readonly targets: Targets;
  readonly limits: InstanceLimits;
  readonly cooldownMs: number;
  now = 0;
  lastReleaseAt = -Infinity;
  growthBlocked = false;
  enis: SimEni[] = [];
  readonly pods = new Map<string, { eniId: string; ip: string }>();
  readonly steps: Step[] = [];
  private nextAddress = 0xac100000; // 172.16.0.0, clear of the addresses tests write by hand
  private nextEni = 1;

  constructor(targets: Targets, limits: InstanceLimits, options: SimOptions = {}) {
    this.targets = targets;
    this.limits = limits;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    if (options.from === undefined) {
      this.enis.push({ id: 'eni-primary', deviceIndex: 0, isPrimary: true, createdAt: 0, addresses: [], prefixes: [] });
      return;
    }
    this.growthBlocked = options.from.growthBlocked;
    this.lastReleaseAt = this.now - options.from.msSinceLastRelease;
    for (const e of options.from.enis) {
      const frozen = (a: { ip: string; state: AddressState }): SimAddress => ({ ip: a.ip, state: a.state, coolUntil: Infinity });
      this.enis.push({
        id: e.id,
        deviceIndex: e.deviceIndex,
        isPrimary: e.isPrimary,
        createdAt: this.now - e.ageMs,
        addresses: e.addresses.map(frozen),
        prefixes: e.prefixes.map((p) => ({ prefix: p.prefix, addresses: p.addresses.map(frozen) })),
      });
    }
  }

  snapshot(): PoolSnapshot {
    const view = (a: SimAddress) => ({ ip: a.ip, state: this.stateOf(a) });
    const enis: EniView[] = this.enis.map((e) => ({
      id: e.id,
      deviceIndex: e.deviceIndex,
      isPrimary: e.isPrimary,
      addresses: e.addresses.map(view),
      prefixes: e.prefixes.map((p) => ({ prefix: p.prefix, addresses: p.addresses.map(view) })),
      ageMs: this.now - e.createdAt,
    }));
    return { enis, msSinceLastRelease: this.now - this.lastReleaseAt, growthBlocked: this.growthBlocked };
  }

  plan(): Step {
    return planNext(this.snapshot(), this.targets, this.limits);
  }

  /** Applies plans until `none`; with `letTimePass`, also lets cooldowns, the release interval and ENI ages run out. */
  settle(options: { letTimePass?: boolean; maxSteps?: number } = {}): Step {
    const maxSteps = options.maxSteps ?? 500;
    let waited = false;
    for (let i = 0; i < maxSteps; i++) {
      const step = this.plan();
      if (step.kind !== 'none') {
        this.apply(step);
        waited = false;
        continue;
      }
      if (!options.letTimePass || waited) return step;
      this.advance(Math.max(this.cooldownMs, this.targets.releaseIntervalMs, this.targets.minEniAgeToFreeMs) + 1);
      waited = true;
    }
    assert.fail(`no 'none' within ${maxSteps} steps; last steps: ${JSON.stringify(this.steps.slice(-5))}`);
  }

  advance(ms: number): void {
    this.now += ms;
  }

  addPod(name: string): { eniId: string; ip: string } {
    const choice = chooseAddress(this.snapshot());
    assert.ok(choice, `no address for pod ${name}`);
    const address = this.find(choice.eniId, choice.ip);
    assert.equal(this.stateOf(address), 'free', `chooseAddress picked ${choice.ip} in state ${this.stateOf(address)}`);
    address.state = 'assigned';
    this.pods.set(name, choice);
    return choice;
  }

  removePod(name: string): void {
    const pod = this.pods.get(name);
    assert.ok(pod, `unknown pod ${name}`);
    const address = this.find(pod.eniId, pod.ip);
    address.state = 'cooling';
    address.coolUntil = this.now + this.cooldownMs;
    this.pods.delete(name);
  }

  apply(step: Step): void {
    const slots = this.limits.ipv4PerEni - 1;
    switch (step.kind) {
      case 'none':
        return;
      case 'assign': {
        const eni = this.eni(step.eniId);
        assert.ok(!this.growthBlocked, 'assign while growth is blocked');
        assert.ok(step.count >= 1, `assign count ${step.count}`);
        assert.ok(eni.addresses.length + eni.prefixes.length + step.count <= slots, `assign ${step.count} overflows ${eni.id}`);
        for (let i = 0; i < step.count; i++) this.addSlot(eni);
        break;
      }
      case 'create-eni': {
        const max = Math.min(this.limits.maxEnis, this.targets.maxEni ?? Infinity);
        assert.ok(!this.growthBlocked, 'create-eni while growth is blocked');
        assert.ok(this.enis.length < max, `create-eni beyond ${max} ENIs`);
        assert.ok(step.count >= 1 && step.count <= slots, `create-eni count ${step.count} (slots ${slots})`);
        const used = new Set(this.enis.map((e) => e.deviceIndex));
        let deviceIndex = 1;
        while (used.has(deviceIndex)) deviceIndex++;
        const eni: SimEni = { id: `eni-${this.nextEni++}`, deviceIndex, isPrimary: false, createdAt: this.now, addresses: [], prefixes: [] };
        for (let i = 0; i < step.count; i++) this.addSlot(eni);
        this.enis.push(eni);
        break;
      }
      case 'release': {
        const eni = this.eni(step.eniId);
        assert.ok(step.items.length >= 1, 'empty release');
        for (const item of step.items) {
          if (this.targets.prefixMode) {
            const p = eni.prefixes.find((x) => x.prefix === item);
            assert.ok(p, `release of unknown prefix ${item}`);
            assert.ok(p.addresses.every((a) => this.stateOf(a) === 'free'), `release of prefix ${item} in use`);
            eni.prefixes = eni.prefixes.filter((x) => x !== p);
          } else {
            const a = eni.addresses.find((x) => x.ip === item);
            assert.ok(a, `release of unknown address ${item}`);
            assert.equal(this.stateOf(a), 'free', `release of ${item}`);
            eni.addresses = eni.addresses.filter((x) => x !== a);
          }
        }
        this.lastReleaseAt = this.now;
        break;
      }
      case 'free-eni': {
        const eni = this.eni(step.eniId);
        assert.ok(!eni.isPrimary, 'free-eni of the primary ENI');
        const all = [...eni.addresses, ...eni.prefixes.flatMap((p) => p.addresses)];
        assert.ok(all.every((a) => this.stateOf(a) === 'free'), `free-eni of ${eni.id} with assigned or cooling addresses`);
        this.enis = this.enis.filter((e) => e !== eni);
        break;
      }
    }
    this.steps.push(step);
  }

  /** ENIs, secondary IPs and prefixes held, as upstream's tables count them. */
  tally(): { enis: number; ips: number; prefixes: number; perEni: number[] } {
    const sorted = [...this.enis].sort((a, b) => a.deviceIndex - b.deviceIndex);
    return {
      enis: this.enis.length,
      ips: this.enis.reduce((n, e) => n + e.addresses.length, 0),
      prefixes: this.enis.reduce((n, e) => n + e.prefixes.length, 0),
      perEni: sorted.map((e) => (this.targets.prefixMode ? e.prefixes.length : e.addresses.length)),
    };
  }

  private stateOf(a: SimAddress): AddressState {
    return a.state === 'cooling' && this.now >= a.coolUntil ? 'free' : a.state;
  }

  private eni(id: string): SimEni {
    const eni = this.enis.find((e) => e.id === id);
    assert.ok(eni, `unknown ENI ${id}`);
    return eni;
  }

  private find(eniId: string, ip: string): SimAddress {
    const eni = this.eni(eniId);
    const address = [...eni.addresses, ...eni.prefixes.flatMap((p) => p.addresses)].find((a) => a.ip === ip);
    assert.ok(address, `${ip} is not on ${eniId}`);
    return address;
  }

  private addSlot(eni: SimEni): void {
    if (!this.targets.prefixMode) {
      eni.addresses.push({ ip: ipv4(this.nextAddress++), state: 'free', coolUntil: 0 });
      return;
    }
    this.nextAddress = Math.ceil(this.nextAddress / PREFIX_SIZE) * PREFIX_SIZE;
    const base = this.nextAddress;
    this.nextAddress += PREFIX_SIZE;
    const addresses: SimAddress[] = [];
    for (let i = 0; i < PREFIX_SIZE; i++) addresses.push({ ip: ipv4(base + i), state: 'free', coolUntil: 0 });
    eni.prefixes.push({ prefix: `${ipv4(base)}/28`, addresses });
  }
}

function ipv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}
