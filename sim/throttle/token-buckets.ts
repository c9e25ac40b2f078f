import { readFileSync } from 'node:fs';
import type { Clock } from '../model/clock.ts';

export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

interface Bucket {
  spec: BucketSpec;
  tokens: number;
  at: number;
}

/** Requests without filters or pagination draw from a smaller bucket for these actions. */
const UNFILTERED_VARIANTS = new Set([
  'DescribeNetworkInterfaces',
  'DescribeInstances',
  'DescribeSecurityGroups',
]);

/** What an action falls back to when the published table has no bucket of its own. */
const FALLBACK: BucketSpec = { capacity: 100, refillPerSecond: 20 };

export function loadPublishedBuckets(): Record<string, BucketSpec> {
  const file = new URL('../../data/ec2-api-throttling.json', import.meta.url);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { buckets: Record<string, BucketSpec> };
  const out: Record<string, BucketSpec> = {};
  for (const [k, v] of Object.entries(raw.buckets))
    out[k] = { capacity: v.capacity, refillPerSecond: v.refillPerSecond };
  return out;
}

/** The bucket a request draws from: `Action:unfiltered` when it has no filter, ID or page parameter. */
export function bucketName(action: string, form: URLSearchParams): string {
  if (!UNFILTERED_VARIANTS.has(action)) return action;
  for (const key of form.keys()) {
    if (key !== 'Action' && key !== 'Version' && key !== 'DryRun') return action;
  }
  return `${action}:unfiltered`;
}

/**
 * EC2's request throttling: one token bucket per action (and variant) per account, refilled
 * continuously. Shared by every caller of the account, as on AWS, so many emulated nodes contend.
 */
export class TokenBuckets {
  readonly #clock: Clock;
  #specs: Record<string, BucketSpec>;
  readonly #buckets = new Map<string, Bucket>();
  enabled: boolean;

  constructor(clock: Clock, specs: Record<string, BucketSpec> = loadPublishedBuckets(), enabled = true) {
    this.#clock = clock;
    this.#specs = { ...specs };
    this.enabled = enabled;
  }

  spec(name: string): BucketSpec {
    return this.#specs[name] ?? this.#specs[name.replace(/:unfiltered$/, '')] ?? FALLBACK;
  }

  /** Changes bucket sizes (e.g. a tiny bucket for a throttling test); resets the affected buckets. */
  configure(opts: { enabled?: boolean; buckets?: Record<string, Partial<BucketSpec>> }): void {
    if (opts.enabled !== undefined) this.enabled = opts.enabled;
    for (const [name, partial] of Object.entries(opts.buckets ?? {})) {
      this.#specs[name] = { ...this.spec(name), ...partial };
      for (const key of [...this.#buckets.keys()]) if (key.endsWith(`|${name}`)) this.#buckets.delete(key);
    }
  }

  reset(): void {
    this.#buckets.clear();
  }

  /** Takes one token; false means the caller gets RequestLimitExceeded. */
  take(account: string, name: string): boolean {
    if (!this.enabled) return true;
    const key = `${account}|${name}`;
    const now = this.#clock.now();
    let b = this.#buckets.get(key);
    if (!b) {
      const spec = this.spec(name);
      b = { spec, tokens: spec.capacity, at: now };
      this.#buckets.set(key, b);
    }
    b.tokens = Math.min(b.spec.capacity, b.tokens + ((now - b.at) / 1000) * b.spec.refillPerSecond);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Tokens left now, for tests and the admin view. */
  level(account: string, name: string): number {
    const b = this.#buckets.get(`${account}|${name}`);
    if (!b) return this.spec(name).capacity;
    const now = this.#clock.now();
    return Math.min(b.spec.capacity, b.tokens + ((now - b.at) / 1000) * b.spec.refillPerSecond);
  }
}
