/** ipamd/max-pods.ts: the one max-pods formula, and EKS's calculator on top of it (issue 11 item 6). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instanceCatalog } from '../../ipamd/instance-catalog.ts';
import {
  calculateMaxPods,
  cniSupportsPrefixDelegation,
  maxPods,
  maxPodsCeiling,
  parseCniVersion,
  podAddressCapacity,
  podEnis,
} from '../../ipamd/max-pods.ts';

/**
 * Upstream's published max pods (IP mode, no ceiling), read from aws/amazon-vpc-cni-k8s
 * misc/eni-max-pods.txt at b52188387f2e2f10bf289ace929d6a63b176a4fa (v1.23.1; the file last
 * changed in 6152e01c83bb8f04fdc8690e99134ebe1445db29). Chosen for variety: Xen, Nitro, bare
 * metal, Graviton, multi-card types (only the default card counts), one ENI, 2 IPv4 per ENI.
 */
const PUBLISHED: Record<string, number> = {
  'a1.medium': 8,
  'c5.metal': 737,
  'c6in.32xlarge': 394,
  'c7g.16xlarge': 737,
  'g4dn.xlarge': 29,
  'hpc6id.32xlarge': 51,
  'inf1.xlarge': 38,
  'm1.small': 8,
  'm4.xlarge': 58,
  'm5.24xlarge': 737,
  'm5.8xlarge': 234,
  'm5.large': 29,
  'm5.xlarge': 58,
  'mac1.metal': 234,
  'p4d.24xlarge': 737,
  'p5.48xlarge': 100,
  'p5en.48xlarge': 198,
  'r6i.large': 29,
  't2.micro': 4,
  't3.medium': 17,
  't3.nano': 4,
  't3.small': 11,
  'trn1.32xlarge': 247,
  'x1e.32xlarge': 234,
};

const limits = (type: string) => {
  const t = instanceCatalog().get(type);
  assert.ok(t, `${type} is in the data file`);
  return { maxEnis: t.maxEnis, ipv4PerEni: t.ipv4PerEni, nitro: t.hypervisor === 'nitro' };
};

describe('the formula (DESIGN.md §3)', () => {
  test('matches upstream eni-max-pods.txt for a sample of types (IP mode, uncapped)', () => {
    assert.ok(Object.keys(PUBLISHED).length >= 15);
    for (const [type, expected] of Object.entries(PUBLISHED)) {
      assert.equal(maxPods(limits(type)), expected, type);
      assert.equal(calculateMaxPods(limits(type), { showMaxAllowed: true }).formula, expected, type);
    }
  });

  test('every type in the data file gives a sane positive value in every mode', () => {
    const catalog = instanceCatalog();
    assert.ok(catalog.size > 1000, `${catalog.size} types`);
    for (const [type, t] of catalog) {
      const ip = maxPods(t);
      assert.ok(Number.isInteger(ip) && ip >= 3 && ip < 2000, `${type}: ${ip}`);
      const pd = maxPods(t, { prefixDelegation: true });
      assert.equal(pd - 2, (ip - 2) * 16, `${type}: prefix mode is 16 addresses per slot`);
      const custom = maxPods(t, { customNetworking: true });
      assert.ok(custom >= 2 && custom < ip, `${type}: custom networking drops the primary ENI (${custom} < ${ip})`);
      assert.equal(maxPods(t, { maxEni: 1 }), t.ipv4PerEni + 1, `${type}: one ENI`);
      for (const showMaxAllowed of [false, true]) {
        const r = calculateMaxPods({ ...t, nitro: t.hypervisor === 'nitro' }, { prefixDelegation: true, vcpus: 64, showMaxAllowed });
        assert.ok(r.ok && r.maxPods >= 3 && r.maxPods <= r.formula, `${type}: ${JSON.stringify(r)}`);
      }
    }
  });

  test('MAX_ENI caps the ENIs before custom networking drops the primary; capacity is max pods - 2', () => {
    const m5xl = limits('m5.xlarge'); // 4 ENIs, 15 IPv4 each
    assert.equal(podEnis(m5xl, { maxEni: 2, customNetworking: true }), 1);
    assert.equal(maxPods(m5xl, { maxEni: 2, customNetworking: true }), 1 * 14 + 2);
    assert.equal(maxPods(m5xl, { maxEni: 9 }), 58, 'a cap above the limit changes nothing');
    assert.equal(podAddressCapacity(m5xl, { prefixDelegation: true }), 4 * 14 * 16);
    assert.equal(podEnis(limits('hpc6id.32xlarge'), { customNetworking: true }), 0, 'one ENI, and it is the primary');
  });
});

describe("EKS's max-pods-calculator.sh (amazon-eks-ami templates/al2/runtime, 8f395aa)", () => {
  // Each case worked through the script: enis = min(--cni-max-eni, default card's ENIs), minus 1
  // with custom networking; x (IPv4 - 1) x 16 + 2 when Nitro, prefix delegation and CNI >= 1.9,
  // else x (IPv4 - 1) + 2; then min(that, 250) when vCPUs > 30, else min(that, 110).
  const cases: [string, string, Parameters<typeof calculateMaxPods>[1], number][] = [
    // The script's own tests (templates/test/cases/max-pods-cni-*.sh): m5.8xlarge has 32 vCPUs.
    ['m5.8xlarge, CNI 1.11.2', 'm5.8xlarge', { vcpus: 32 }, 234],
    ['m5.8xlarge, CNI 1.11.2, prefixes: 8 x 29 x 16 + 2 = 3714, capped', 'm5.8xlarge', { prefixDelegation: true, vcpus: 32 }, 250],
    ['c6in.32xlarge --show-max-allowed: default card only, 8 x 49 + 2', 'c6in.32xlarge', { showMaxAllowed: true }, 394],
    ['m4.xlarge, CNI 1.7.5: 4 x 14 + 2', 'm4.xlarge', { vcpus: 4 }, 58],
    // EKS's user guide: m5.large with prefixes is 110 (3 x 9 x 16 + 2 = 434, 2 vCPUs).
    ['m5.large, prefixes', 'm5.large', { prefixDelegation: true, vcpus: 2 }, 110],
    ['m5.large, prefixes, uncapped', 'm5.large', { prefixDelegation: true, showMaxAllowed: true }, 434],
    ['t3.small, prefixes: 3 x 3 x 16 + 2 = 146, 2 vCPUs', 't3.small', { prefixDelegation: true, vcpus: 2 }, 110],
    ['t3.small, prefixes, --cni-max-eni 1: 1 x 3 x 16 + 2', 't3.small', { prefixDelegation: true, maxEni: 1 }, 50],
    ['exactly 30 vCPUs is the low ceiling (-gt 30)', 'm5.8xlarge', { vcpus: 30 }, 110],
    ['t3.small, custom networking: 2 x 3 + 2', 't3.small', { customNetworking: true }, 8],
    ['m5.xlarge, custom networking, --cni-max-eni 2: 1 x 14 + 2', 'm5.xlarge', { customNetworking: true, maxEni: 2 }, 16],
    ['m5.large, custom networking + prefixes: 2 x 9 x 16 + 2 = 290, capped', 'm5.large', { customNetworking: true, prefixDelegation: true, vcpus: 2 }, 110],
    ['m5.24xlarge, custom networking + prefixes, 96 vCPUs', 'm5.24xlarge', { customNetworking: true, prefixDelegation: true, vcpus: 96 }, 250],
    ['m5.24xlarge, custom networking, uncapped: 14 x 49 + 2', 'm5.24xlarge', { customNetworking: true, showMaxAllowed: true }, 688],
    ['hpc6id.32xlarge, custom networking: no ENI left, 0 + 2', 'hpc6id.32xlarge', { customNetworking: true }, 2],
    // Not Nitro to the script: Xen, and bare metal (no Hypervisor in DescribeInstanceTypes).
    ['m4.xlarge (Xen), prefixes asked: secondary IPs', 'm4.xlarge', { prefixDelegation: true }, 58],
    ['c5.metal, prefixes asked: secondary IPs, 15 x 49 + 2', 'c5.metal', { prefixDelegation: true, showMaxAllowed: true }, 737],
  ];
  for (const [name, type, opts, expected] of cases) {
    test(name, () => {
      const r = calculateMaxPods(limits(type), opts);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.maxPods, expected);
    });
  }

  test('prefixes apply only on Nitro', () => {
    assert.equal(calculateMaxPods(limits('m5.large'), { prefixDelegation: true, vcpus: 2 }).prefixApplied, true);
    assert.equal(calculateMaxPods(limits('m4.xlarge'), { prefixDelegation: true }).prefixApplied, false);
    assert.equal(calculateMaxPods(limits('c5.metal'), { prefixDelegation: true, vcpus: 96 }).prefixApplied, false);
  });

  test('without vCPUs it answers only when the low ceiling cannot matter', () => {
    assert.deepEqual(calculateMaxPods(limits('m5.large')), { ok: true, maxPods: 29, formula: 29, prefixApplied: false });
    assert.deepEqual(calculateMaxPods(limits('m5.8xlarge')), { ok: false, formula: 234, prefixApplied: false });
    assert.equal(maxPodsCeiling(30), 110);
    assert.equal(maxPodsCeiling(31), 250);
  });

  test('CNI versions: prefix delegation from 1.9 (major > 1, or 1 and minor > 8)', () => {
    const supports = (v: string) => cniSupportsPrefixDelegation(parseCniVersion(v)!);
    assert.equal(supports('1.8.9'), false);
    assert.equal(supports('1.7.5'), false);
    assert.equal(supports('1.9.0'), true);
    assert.equal(supports('1.10'), true);
    assert.equal(supports('v1.12.6-eksbuild.2'), true);
    assert.equal(supports('2.0.0'), true);
    for (const bad of ['', '1', 'x.y.z', '1.9.0.1', '1.9 ', 'latest']) assert.equal(parseCniVersion(bad), undefined, bad);
  });
});
