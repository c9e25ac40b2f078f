/**
 * planNext, one named case per rule (DESIGN.md §3). t3.small unless said otherwise: 3 ENIs, 3 pod
 * slots each. Pools are written as in fixtures.ts: 'AAF' = two assigned, one free.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planNext } from '../../warm-pool/index.ts';
import type { InstanceLimits, PoolSnapshot, Step, Targets } from '../../warm-pool/index.ts';
import { ipEni, pool, prefixEni, T3_SMALL, targets } from './fixtures.ts';

interface Case {
  readonly name: string;
  readonly pool: PoolSnapshot;
  readonly targets: Targets;
  readonly limits?: InstanceLimits;
  /** The fields of the step that must match (reason aside). */
  readonly expect: { readonly kind: Step['kind'] } & Record<string, unknown>;
  readonly reason?: RegExp;
}

const ip = (t: Partial<Targets>) => targets(t);
const pfx = (t: Partial<Targets>) => targets({ prefixMode: true, ...t });

const GROWTH: readonly Case[] = [
  {
    name: 'WARM_IP_TARGET short: assigns the shortfall to an ENI with room',
    pool: pool([ipEni(0, 'A')]),
    targets: ip({ warmIpTarget: 2 }),
    expect: { kind: 'assign', eniId: 'eni-p', count: 2 },
    reason: /short 2: available 0 < WARM_IP_TARGET 2/,
  },
  {
    name: "assign is capped at the ENI's free slots",
    pool: pool([ipEni(0, 'AA')]),
    targets: ip({ warmIpTarget: 3 }),
    expect: { kind: 'assign', eniId: 'eni-p', count: 1 },
    reason: /1 of 3 slots free/,
  },
  {
    name: 'fills the ENI with the most assigned addresses first',
    pool: pool([ipEni(0, 'AAA'), ipEni(1, 'A'), ipEni(2, 'AA')]),
    targets: ip({ warmIpTarget: 1 }),
    expect: { kind: 'assign', eniId: 'eni-2', count: 1 },
  },
  {
    name: 'ties on assigned addresses go to the lowest device index',
    pool: pool([ipEni(0, 'AAA'), ipEni(2, 'A'), ipEni(1, 'A')]),
    targets: ip({ warmIpTarget: 1 }),
    expect: { kind: 'assign', eniId: 'eni-1', count: 1 },
  },
  {
    name: 'MINIMUM_IP_TARGET counts the total held',
    pool: pool([ipEni(0, 'AF')]),
    targets: ip({ minimumIpTarget: 3 }),
    expect: { kind: 'assign', eniId: 'eni-p', count: 1 },
    reason: /short 1: total 2 < MINIMUM_IP_TARGET 3/,
  },
  {
    name: 'create-eni holds exactly what is short once every slot is used',
    pool: pool([ipEni(0, 'AAA'), ipEni(1, 'AAA')]),
    targets: ip({ warmIpTarget: 2 }),
    expect: { kind: 'create-eni', count: 2 },
    reason: /create ENI 3 of instance limit 3 holding 2 IPs .*short 2: available 0 < WARM_IP_TARGET 2/,
  },
  {
    name: 'create-eni count is capped at the slots per ENI',
    pool: pool([ipEni(0, 'AAA')]),
    targets: ip({ minimumIpTarget: 10 }),
    expect: { kind: 'create-eni', count: 3 },
    reason: /short 7: total 3 < MINIMUM_IP_TARGET 10/,
  },
  {
    name: 'WARM_ENI_TARGET fills the ENI being grown',
    pool: pool([ipEni(0, 'A')]),
    targets: ip({ warmEniTarget: 1 }),
    expect: { kind: 'assign', eniId: 'eni-p', count: 2 },
  },
  {
    name: 'WARM_ENI_TARGET creates a full ENI, not just the shortfall',
    pool: pool([ipEni(0, 'AAF')]),
    targets: ip({ warmEniTarget: 1 }),
    expect: { kind: 'create-eni', count: 3 },
    reason: /short 2: available 1 < WARM_ENI_TARGET 1 x 3 addresses per ENI/,
  },
  {
    name: "WARM_ENI_TARGET=2 keeps two ENIs' worth available",
    pool: pool([ipEni(0, 'AAA'), ipEni(1, 'FFF')]),
    targets: ip({ warmEniTarget: 2 }),
    expect: { kind: 'create-eni', count: 3 },
    reason: /available 3 < WARM_ENI_TARGET 2 x 3/,
  },
  {
    name: 'WARM_ENI_TARGET=0 keeps nothing warm while an address is available',
    pool: pool([ipEni(0, 'AAA'), ipEni(1, 'AAF')]),
    targets: ip({ warmEniTarget: 0 }),
    expect: { kind: 'none' },
    reason: /nothing to do: targets met: available 1 > 0 with WARM_ENI_TARGET 0/,
  },
  {
    name: 'WARM_ENI_TARGET=0 grows when nothing is available',
    pool: pool([ipEni(0, 'AAA')]),
    targets: ip({ warmEniTarget: 0 }),
    expect: { kind: 'create-eni', count: 3 },
  },
  {
    name: 'WARM_IP_TARGET overrides WARM_ENI_TARGET',
    pool: pool([ipEni(0, 'AF')]),
    targets: ip({ warmEniTarget: 1, warmIpTarget: 1 }),
    expect: { kind: 'none' },
    reason: /available 1 >= WARM_IP_TARGET 1/,
  },
  {
    name: "stops at the instance's ENI limit",
    pool: pool([ipEni(0, 'AAA'), ipEni(1, 'AAA'), ipEni(2, 'AAA')]),
    targets: ip({ warmIpTarget: 1 }),
    expect: { kind: 'none' },
    reason: /cannot grow: 3 ENIs attached, instance limit 3, and every slot is used; short 1/,
  },
  {
    name: 'MAX_ENI caps below the instance limit',
    pool: pool([ipEni(0, 'AAA'), ipEni(1, 'AAA')]),
    targets: ip({ warmIpTarget: 1, maxEni: 2 }),
    expect: { kind: 'none' },
    reason: /cannot grow: 2 ENIs attached, MAX_ENI 2/,
  },
  {
    name: 'MAX_ENI still lets the attached ENIs fill up',
    pool: pool([ipEni(0, 'AAA'), ipEni(1, 'A')]),
    targets: ip({ warmIpTarget: 1, maxEni: 2 }),
    expect: { kind: 'assign', eniId: 'eni-1', count: 1 },
  },
  {
    name: 'never grows while growth is blocked after subnet exhaustion',
    pool: pool([ipEni(0, '')], { growthBlocked: true }),
    targets: ip({ warmIpTarget: 1 }),
    expect: { kind: 'none' },
    reason: /growth paused after subnet exhaustion .*short 1: available 0 < WARM_IP_TARGET 1/,
  },
  {
    name: 'cooling addresses are not available, so churn grows the pool (upstream #1700)',
    pool: pool([ipEni(0, 'ACC')]),
    targets: ip({ warmIpTarget: 2 }),
    expect: { kind: 'create-eni', count: 2 },
    reason: /available 0 < WARM_IP_TARGET 2/,
  },
  {
    name: 'cooling addresses still count in the total held',
    pool: pool([ipEni(0, 'CCC')]),
    targets: ip({ minimumIpTarget: 3 }),
    expect: { kind: 'none' },
    reason: /total 3 >= MINIMUM_IP_TARGET 3/,
  },
  {
    name: 'stops growing at max pods',
    pool: pool([ipEni(0, 'AAA'), ipEni(1, 'A')]),
    targets: ip({ warmIpTarget: 2, maxPods: 4 }),
    expect: { kind: 'none' },
    reason: /at max pods: the pool holds 4 addresses >= max pods 4/,
  },
  {
    name: 'max pods caps the count',
    pool: pool([ipEni(0, 'AAA')]),
    targets: ip({ minimumIpTarget: 10, maxPods: 5 }),
    expect: { kind: 'create-eni', count: 2 },
  },
  {
    name: 'an instance with one IPv4 per ENI has no pod slots',
    pool: pool([ipEni(0, '')]),
    targets: ip({ warmIpTarget: 1 }),
    limits: { maxEnis: 3, ipv4PerEni: 1 },
    expect: { kind: 'none' },
    reason: /ipv4PerEni 1 leaves no pod slots/,
  },
];

const SHRINK: readonly Case[] = [
  {
    name: 'free-eni: no pods, nothing cooling, old enough, not needed',
    pool: pool([ipEni(0, 'AAF'), ipEni(1, 'FFF')]),
    targets: ip({ warmIpTarget: 1 }),
    expect: { kind: 'free-eni', eniId: 'eni-1' },
    reason: /free eni-1 \(device 1: no pods, nothing cooling, age 3600000 ms >= 60000 ms\); without its 3 addresses, targets met: available 1 >= WARM_IP_TARGET 1/,
  },
  {
    name: 'free-eni is not paced like releases',
    pool: pool([ipEni(0, 'AAF'), ipEni(1, 'FFF')], { msSinceLastRelease: 0 }),
    targets: ip({ warmIpTarget: 1 }),
    expect: { kind: 'free-eni', eniId: 'eni-1' },
  },
  {
    name: 'free-eni prefers the highest device index',
    pool: pool([ipEni(0, 'AAF'), ipEni(1, 'FFF'), ipEni(2, 'FFF')]),
    targets: ip({ warmIpTarget: 1 }),
    expect: { kind: 'free-eni', eniId: 'eni-2' },
  },
  {
    name: 'free-eni never picks the primary ENI',
    pool: pool([ipEni(0, 'FFF')]),
    targets: ip({ warmIpTarget: 1 }),
    expect: { kind: 'release', eniId: 'eni-p', items: ['10.0.0.12', '10.0.0.11'] },
  },
  {
    name: 'free-eni blocked by a pod on the ENI',
    pool: pool([ipEni(0, 'AAF'), ipEni(1, 'AFF')]),
    targets: ip({ warmIpTarget: 1 }),
    expect: { kind: 'release', eniId: 'eni-1', items: ['10.0.1.12', '10.0.1.11'] },
  },
  {
    name: 'free-eni blocked by a cooling address on the ENI',
    pool: pool([ipEni(0, 'AAF'), ipEni(1, 'CFF')]),
    targets: ip({ warmIpTarget: 1 }),
    expect: { kind: 'release', eniId: 'eni-1', items: ['10.0.1.12', '10.0.1.11'] },
  },
  {
    name: 'free-eni blocked while the ENI is younger than minEniAgeToFreeMs',
    pool: pool([ipEni(0, 'AAF'), ipEni(1, 'FFF', { ageMs: 59_999 })]),
    targets: ip({ warmIpTarget: 1 }),
    expect: { kind: 'release', eniId: 'eni-1', items: ['10.0.1.12', '10.0.1.11', '10.0.1.10'] },
  },
  {
    name: 'free-eni blocked when the targets need its addresses',
    pool: pool([ipEni(0, 'AAF'), ipEni(1, 'FFF')]),
    targets: ip({ warmIpTarget: 3 }),
    expect: { kind: 'release', eniId: 'eni-1', items: ['10.0.1.12'] },
    reason: /over 1: available 4 - WARM_IP_TARGET 3 = 1/,
  },
  {
    name: 'WARM_ENI_TARGET frees an ENI it does not need',
    pool: pool([ipEni(0, 'AAA'), ipEni(1, 'FFF'), ipEni(2, 'FFF')]),
    targets: ip({ warmEniTarget: 1 }),
    expect: { kind: 'free-eni', eniId: 'eni-2' },
    reason: /available 3 >= WARM_ENI_TARGET 1 x 3/,
  },
  {
    name: 'WARM_ENI_TARGET keeps the ENI it needs',
    pool: pool([ipEni(0, 'AAA'), ipEni(1, 'FFF')]),
    targets: ip({ warmEniTarget: 1 }),
    expect: { kind: 'none' },
    reason: /nothing to do: targets met: available 3 >= WARM_ENI_TARGET 1 x 3/,
  },
  {
    name: 'WARM_ENI_TARGET alone releases no single IPs',
    pool: pool([ipEni(0, 'AFF'), ipEni(1, 'AFF')]),
    targets: ip({ warmEniTarget: 1 }),
    expect: { kind: 'none' },
  },
  {
    name: 'release: at most `over`, from a secondary ENI before the primary',
    pool: pool([ipEni(0, 'AFF'), ipEni(1, 'AAF')]),
    targets: ip({ warmIpTarget: 2 }),
    expect: { kind: 'release', eniId: 'eni-1', items: ['10.0.1.12'] },
    reason: /release 1 IP from eni-1 \(device 1, 2 assigned.*over 1: available 3 - WARM_IP_TARGET 2 = 1, total 6 - MINIMUM_IP_TARGET 0 = 6/,
  },
  {
    name: 'release: among secondary ENIs, the one with the fewest assigned',
    pool: pool([ipEni(0, 'FFF'), ipEni(1, 'AAF'), ipEni(2, 'AFF')]),
    targets: ip({ warmIpTarget: 4 }),
    expect: { kind: 'release', eniId: 'eni-2', items: ['10.0.2.12', '10.0.2.11'] },
  },
  {
    // Found by the bench: releasing from the primary first stranded a secondary ENI holding only
    // the warm target, which then could never be freed.
    name: 'release never strands a secondary ENI holding only the warm addresses',
    pool: pool([ipEni(0, 'FFFFF'), ipEni(1, 'FFFFFFFFFFAAAAA')]),
    targets: ip({ warmIpTarget: 5 }),
    expect: { kind: 'release', eniId: 'eni-1' },
  },
  {
    name: 'release waits for releaseIntervalMs since the last release',
    pool: pool([ipEni(0, 'AFF'), ipEni(1, 'AAF')], { msSinceLastRelease: 10_000 }),
    targets: ip({ warmIpTarget: 2 }),
    expect: { kind: 'none' },
    reason: /over 1: .*waiting: last release 10000 ms ago < 30000 ms between releases/,
  },
  {
    name: 'release goes ahead once releaseIntervalMs has passed',
    pool: pool([ipEni(0, 'AFF'), ipEni(1, 'AAF')], { msSinceLastRelease: 30_000 }),
    targets: ip({ warmIpTarget: 2 }),
    expect: { kind: 'release', eniId: 'eni-1', items: ['10.0.1.12'] },
  },
  {
    name: 'release never includes a cooling address',
    pool: pool([ipEni(0, 'AAA'), ipEni(1, 'CFC')]),
    targets: ip({ minimumIpTarget: 1 }),
    expect: { kind: 'release', eniId: 'eni-1', items: ['10.0.1.11'] },
  },
  {
    name: 'MINIMUM_IP_TARGET bounds the release',
    pool: pool([ipEni(0, 'AFF')]),
    targets: ip({ minimumIpTarget: 2 }),
    expect: { kind: 'release', eniId: 'eni-p', items: ['10.0.0.12'] },
    reason: /total 3 - MINIMUM_IP_TARGET 2 = 1/,
  },
  {
    name: 'release ties on assigned go to the highest device index',
    pool: pool([ipEni(0, 'FFF'), ipEni(1, 'FFF', { ageMs: 0 })]),
    targets: ip({ warmIpTarget: 1 }),
    expect: { kind: 'release', eniId: 'eni-1', items: ['10.0.1.12', '10.0.1.11', '10.0.1.10'] },
  },
];

const PREFIX: readonly Case[] = [
  {
    name: 'WARM_PREFIX_TARGET counts only whole free prefixes',
    pool: pool([prefixEni(0, [[1, 0]])]),
    targets: pfx({ warmPrefixTarget: 1 }),
    expect: { kind: 'assign', eniId: 'eni-p', count: 1 },
    reason: /assign 1 prefix to eni-p .*short 1 prefix: whole free prefixes 0 < WARM_PREFIX_TARGET 1/,
  },
  {
    name: 'a prefix with a cooling address is not whole free',
    pool: pool([prefixEni(0, [[0, 1]])]),
    targets: pfx({ warmPrefixTarget: 1 }),
    expect: { kind: 'assign', eniId: 'eni-p', count: 1 },
  },
  {
    name: 'one whole free prefix meets WARM_PREFIX_TARGET=1',
    pool: pool([prefixEni(0, [[5, 0], [0, 0]])]),
    targets: pfx({ warmPrefixTarget: 1 }),
    expect: { kind: 'none' },
    reason: /whole free prefixes 1 >= WARM_PREFIX_TARGET 1/,
  },
  {
    name: 'releases whole free prefixes beyond WARM_PREFIX_TARGET',
    pool: pool([prefixEni(0, [[5, 0], [0, 0], [0, 0]])]),
    targets: pfx({ warmPrefixTarget: 1 }),
    expect: { kind: 'release', eniId: 'eni-p', items: ['10.1.0.32/28'] },
    reason: /over 1 prefix: whole free prefixes 2 > WARM_PREFIX_TARGET 1/,
  },
  {
    name: 'never releases a prefix holding a cooling address',
    pool: pool([prefixEni(0, [[5, 0], [0, 1], [0, 0]])]),
    targets: pfx({ warmPrefixTarget: 1 }),
    expect: { kind: 'none' },
  },
  {
    name: 'prefix mode with WARM_IP_TARGET: ceil(short / 16) prefixes',
    pool: pool([prefixEni(0, [])]),
    targets: pfx({ warmIpTarget: 20, warmPrefixTarget: 1 }),
    expect: { kind: 'assign', eniId: 'eni-p', count: 2 },
    reason: /short 20 addresses = 2 prefixes of 16: available 0 < WARM_IP_TARGET 20/,
  },
  {
    name: 'prefix mode with MINIMUM_IP_TARGET=20 holds 2 prefixes',
    pool: pool([prefixEni(0, [[0, 0]])]),
    targets: pfx({ minimumIpTarget: 20 }),
    expect: { kind: 'assign', eniId: 'eni-p', count: 1 },
    reason: /short 4 addresses = 1 prefix of 16: total 16 < MINIMUM_IP_TARGET 20/,
  },
  {
    name: 'prefix mode with IP targets releases a whole prefix of spare',
    pool: pool([prefixEni(0, [[10, 0], [0, 0]])]),
    targets: pfx({ warmIpTarget: 5 }),
    expect: { kind: 'release', eniId: 'eni-p', items: ['10.1.0.16/28'] },
  },
  {
    name: 'prefix mode keeps a prefix whose release would go under WARM_IP_TARGET',
    pool: pool([prefixEni(0, [[10, 0], [0, 0]])]),
    targets: pfx({ warmIpTarget: 7 }),
    expect: { kind: 'none' },
  },
  {
    name: 'prefix mode creates an ENI once every prefix slot is used',
    pool: pool([prefixEni(0, [[16, 0], [16, 0], [16, 0]])]),
    targets: pfx({ warmPrefixTarget: 1 }),
    expect: { kind: 'create-eni', count: 1 },
    reason: /create ENI 2 of instance limit 3 holding 1 prefix/,
  },
  {
    name: 'prefix mode frees an ENI the targets do not need',
    pool: pool([prefixEni(0, [[5, 0], [0, 0]]), prefixEni(1, [[0, 0]])]),
    targets: pfx({ warmPrefixTarget: 1 }),
    expect: { kind: 'free-eni', eniId: 'eni-1' },
  },
  {
    name: 'prefix mode stops growing at max pods',
    pool: pool([prefixEni(0, [[16, 0], [10, 0]])]),
    targets: pfx({ warmPrefixTarget: 1, maxPods: 30 }),
    expect: { kind: 'none' },
    reason: /the pool holds 32 addresses >= max pods 30/,
  },
  {
    name: 'prefix mode counts unlisted addresses of a /28 as free',
    pool: pool([
      {
        id: 'eni-p',
        deviceIndex: 0,
        isPrimary: true,
        addresses: [],
        prefixes: [{ prefix: '10.1.0.0/28', addresses: [{ ip: '10.1.0.3', state: 'assigned' }] }],
        ageMs: 0,
      },
    ]),
    targets: pfx({ warmIpTarget: 15 }),
    expect: { kind: 'none' },
    reason: /available 15 >= WARM_IP_TARGET 15, total 16/,
  },
];

function check(c: Case): void {
  const step = planNext(c.pool, c.targets, c.limits ?? T3_SMALL);
  for (const [key, value] of Object.entries(c.expect)) {
    assert.deepEqual((step as unknown as Record<string, unknown>)[key], value, `${key} of ${JSON.stringify(step)}`);
  }
  assert.match(step.reason, /\d/, 'every reason names its numbers');
  if (c.reason) assert.match(step.reason, c.reason);
}

for (const [suite, cases] of [['growth', GROWTH], ['shrink', SHRINK], ['prefix mode', PREFIX]] as const) {
  describe(`planNext: ${suite}`, () => {
    for (const c of cases) test(c.name, () => check(c));
  });
}
