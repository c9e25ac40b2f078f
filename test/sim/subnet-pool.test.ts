import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAwsError } from '../../sim/errors.ts';
import { seededRandom } from '../../sim/faults/seeded-random.ts';
import { formatIpv4, parseCidr, parseIpv4 } from '../../sim/ipv4.ts';
import { PREFIX_SIZE, SubnetPool } from '../../sim/model/subnet-pool.ts';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (isAwsError(e)) return e.code;
    throw e;
  }
  return 'no error';
};

describe('SubnetPool', () => {
  test('reserves the five AWS addresses and counts the rest', () => {
    const pool = new SubnetPool(parseCidr('10.1.2.0/24')!);
    assert.equal(pool.availableCount, 251);
    for (const r of ['10.1.2.0', '10.1.2.1', '10.1.2.2', '10.1.2.3', '10.1.2.255']) {
      assert.equal(pool.isFree(parseIpv4(r)!), false, r);
    }
    assert.deepEqual(pool.allocateAddresses(2).map(formatIpv4), ['10.1.2.4', '10.1.2.5']);
  });

  test('rejects subnets outside /16../28', () => {
    assert.equal(code(() => new SubnetPool(parseCidr('10.0.0.0/29')!)), 'InvalidSubnet.Range');
    assert.equal(code(() => new SubnetPool(parseCidr('10.0.0.0/15')!)), 'InvalidSubnet.Range');
  });

  test('random assign/release sequences keep the count true and prefixes aligned, whole and reserved-free', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rand = seededRandom(seed);
      const cidr = parseCidr('10.9.0.0/24')!;
      const pool = new SubnetPool(cidr);
      const singles = new Set<number>();
      const prefixes = new Map<number, ReturnType<typeof parseCidr>>();
      for (let step = 0; step < 300; step++) {
        const r = rand();
        if (r < 0.4) {
          const n = 1 + Math.floor(rand() * 8);
          const before = pool.availableCount;
          const c = code(() => {
            for (const ip of pool.allocateAddresses(n)) singles.add(ip);
          });
          if (c === 'no error') assert.equal(pool.availableCount, before - n);
          else assert.equal(c, 'InsufficientFreeAddressesInSubnet');
        } else if (r < 0.6) {
          const c = code(() => {
            for (const p of pool.allocatePrefixes(1)) prefixes.set(p.base, p);
          });
          if (c !== 'no error') {
            assert.equal(c, 'InsufficientCidrBlocks');
            // Exactly when no aligned /28 is whole: check by brute force.
            for (let b = cidr.base; b < cidr.base + cidr.size; b += PREFIX_SIZE) {
              const whole = Array.from({ length: PREFIX_SIZE }, (_, i) => pool.isFree(b + i)).every(Boolean);
              assert.equal(whole, false, `seed ${seed}: block ${formatIpv4(b)}/28 was whole but refused`);
            }
          }
        } else if (r < 0.85 && singles.size) {
          const ip = [...singles][Math.floor(rand() * singles.size)]!;
          singles.delete(ip);
          pool.releaseAddress(ip);
        } else if (prefixes.size) {
          const [base, p] = [...prefixes][Math.floor(rand() * prefixes.size)]!;
          prefixes.delete(base);
          pool.releasePrefix(p!);
        }
        assert.equal(pool.availableCount, cidr.size - 5 - singles.size - PREFIX_SIZE * prefixes.size, `seed ${seed}`);
      }
      for (const p of prefixes.values()) {
        assert.equal((p!.base - cidr.base) % PREFIX_SIZE, 0);
        for (let i = 0; i < PREFIX_SIZE; i++) {
          assert.ok(!pool.isReserved(p!.base + i), 'a prefix never holds a reserved address');
          assert.ok(!singles.has(p!.base + i), 'a prefix never overlaps a single address');
        }
      }
    }
  });
});
