import { AwsError } from '../errors.ts';
import { seededRandom } from './seeded-random.ts';

/** Latency to add to an action: fixed, or drawn from a distribution. */
export type LatencySpec =
  | { fixedMs: number }
  | { uniformMs: readonly [min: number, max: number] }
  | { normalMs: { mean: number; stddev: number } }
  | { lognormalMs: { median: number; sigma: number } };

export interface ErrorFaultSpec {
  /** The AWS error code to answer, e.g. `InternalError`, `Unavailable`, `RequestLimitExceeded`. */
  code: string;
  /** HTTP status; defaults to 500 for InternalError/Unavailable-like codes, else 400. */
  status?: number;
  message?: string;
  /** Fail only the next N matching calls. */
  count?: number;
  /** Fail each matching call with this probability (0..1). */
  rate?: number;
  /**
   * `before` (default): the call fails and changes nothing. `after`: the call takes effect and
   * the answer is lost, as when EC2 applies a change and then returns 5xx: clients must reconcile.
   */
  when?: 'before' | 'after';
}

interface ErrorRule extends ErrorFaultSpec {
  id: number;
  action: string;
}

// InternalServiceError: CloudWatch's 500 (its InternalServiceFault).
const SERVER_CODES = new Set(['InternalError', 'InternalFailure', 'InternalServiceError', 'ServiceUnavailable', 'Unavailable']);

/**
 * Faults on demand, per action (or `*` for every action): added latency, errors for the next N
 * calls or at a rate, and paused actions that hold requests until resumed.
 */
export class FaultInjector {
  readonly #latency = new Map<string, LatencySpec>();
  #rules: ErrorRule[] = [];
  readonly #paused = new Map<string, { promise: Promise<void>; release: () => void }>();
  #nextId = 1;
  #random: () => number;

  constructor(seed = 1) {
    this.#random = seededRandom(seed);
  }

  reseed(seed: number): void {
    this.#random = seededRandom(seed);
  }

  setLatency(action: string, spec: LatencySpec): void {
    validateLatency(spec);
    this.#latency.set(action, spec);
  }

  clearLatency(action?: string): void {
    if (action === undefined) this.#latency.clear();
    else this.#latency.delete(action);
  }

  /** Adds an error rule; returns its id for `removeError`. */
  addError(action: string, spec: ErrorFaultSpec): number {
    if (!spec.code) throw new Error('fault: code is required');
    if (spec.count === undefined && spec.rate === undefined) throw new Error('fault: give count or rate');
    if (spec.count !== undefined && (!Number.isInteger(spec.count) || spec.count < 1)) {
      throw new Error(`fault: count must be a positive integer, got ${spec.count}`);
    }
    if (spec.rate !== undefined && !(spec.rate >= 0 && spec.rate <= 1)) {
      throw new Error(`fault: rate must be within 0..1, got ${spec.rate}`);
    }
    const id = this.#nextId++;
    this.#rules.push({ ...spec, id, action });
    return id;
  }

  failNext(action: string, count: number, spec: Omit<ErrorFaultSpec, 'count' | 'rate'>): number {
    return this.addError(action, { ...spec, count });
  }

  failRate(action: string, rate: number, spec: Omit<ErrorFaultSpec, 'count' | 'rate'>): number {
    return this.addError(action, { ...spec, rate });
  }

  removeError(id: number): void {
    this.#rules = this.#rules.filter((r) => r.id !== id);
  }

  pause(action: string): void {
    if (this.#paused.has(action)) return;
    let release!: () => void;
    const promise = new Promise<void>((r) => {
      release = r;
    });
    this.#paused.set(action, { promise, release });
  }

  resume(action: string): void {
    this.#paused.get(action)?.release();
    this.#paused.delete(action);
  }

  isPaused(action: string): boolean {
    return this.#paused.has(action) || this.#paused.has('*');
  }

  /** Waits while the action (or every action) is paused. */
  async waitIfPaused(action: string): Promise<boolean> {
    let waited = false;
    for (;;) {
      const p = this.#paused.get(action) ?? this.#paused.get('*');
      if (!p) return waited;
      waited = true;
      await p.promise;
    }
  }

  clear(): void {
    this.#latency.clear();
    this.#rules = [];
    for (const action of [...this.#paused.keys()]) this.resume(action);
  }

  /** The latency to add to one call of `action`, drawn now, with its log label. */
  latency(action: string): { ms: number; label: string } | undefined {
    const spec = this.#latency.get(action) ?? this.#latency.get('*');
    if (!spec) return undefined;
    const ms = Math.max(0, this.#draw(spec));
    return { ms, label: `latency:${Math.round(ms)}ms` };
  }

  /**
   * The injected error for one call at one point (`before` the action, or `after` it took effect),
   * if a rule fires. A "next N" rule is used up only by a call it actually fails, so a request
   * throttled or refused earlier does not swallow it.
   */
  take(action: string, when: 'before' | 'after'): { error: AwsError; label: string } | undefined {
    for (const rule of this.#rules) {
      if ((rule.action !== action && rule.action !== '*') || (rule.when ?? 'before') !== when) continue;
      const fires = rule.count !== undefined ? rule.count > 0 : this.#random() < (rule.rate ?? 0);
      if (!fires) continue;
      if (rule.count !== undefined) {
        rule.count -= 1;
        if (rule.count === 0) this.#rules = this.#rules.filter((r) => r !== rule);
      }
      const status =
        rule.status ?? (SERVER_CODES.has(rule.code) ? 500 : rule.code === 'RequestLimitExceeded' ? 503 : 400);
      return {
        error: new AwsError(rule.code, rule.message ?? `Injected fault: ${rule.code}`, status),
        label: `error:${rule.code}:${when}`,
      };
    }
    return undefined;
  }

  #draw(spec: LatencySpec): number {
    if ('fixedMs' in spec) return spec.fixedMs;
    if ('uniformMs' in spec)
      return spec.uniformMs[0] + this.#random() * (spec.uniformMs[1] - spec.uniformMs[0]);
    // Box-Muller from the seeded source.
    const z = Math.sqrt(-2 * Math.log(1 - this.#random())) * Math.cos(2 * Math.PI * this.#random());
    if ('normalMs' in spec) return spec.normalMs.mean + z * spec.normalMs.stddev;
    return spec.lognormalMs.median * Math.exp(spec.lognormalMs.sigma * z);
  }
}

function validateLatency(spec: LatencySpec): void {
  const nums =
    'fixedMs' in spec
      ? [spec.fixedMs]
      : 'uniformMs' in spec
        ? [...spec.uniformMs]
        : 'normalMs' in spec
          ? [spec.normalMs.mean, spec.normalMs.stddev]
          : 'lognormalMs' in spec
            ? [spec.lognormalMs.median, spec.lognormalMs.sigma]
            : [Number.NaN];
  if (nums.some((n) => typeof n !== 'number' || !Number.isFinite(n) || n < 0)) {
    throw new Error(`latency: invalid spec ${JSON.stringify(spec)} (non-negative numbers required)`);
  }
}
