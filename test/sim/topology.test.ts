import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadTopology, TopologyError, validateTopology } from '../../sim/topology.ts';

const base = () => ({
  vpc: { cidrs: ['10.0.0.0/16'], subnets: [{ name: 'a', cidr: '10.0.0.0/20', az: 'us-west-2a' }] },
  instances: [{ name: 'n', type: 'm5.large', subnet: 'a' }],
});

describe('topology files', () => {
  test('the subnet discovery topology loads: tagged pod subnets beside the node subnets, in both zones', () => {
    const t = loadTopology(new URL('../../sim/topologies/subnet-discovery.json', import.meta.url));
    const tagged = t.vpc.subnets.filter((s) => s.tags?.['kubernetes.io/role/cni'] === '1');
    assert.deepEqual([...new Set(tagged.map((s) => s.az))].sort(), ['us-west-2a', 'us-west-2b']);
  });

  test('the default topology loads', () => {
    const t = loadTopology();
    assert.ok(t.vpc.subnets.length >= 2);
    assert.ok((t.instances ?? []).length >= 2);
  });

  test('errors name the field at fault', () => {
    const cases: [string, (t: ReturnType<typeof base>) => unknown, RegExp][] = [
      ['unknown type', (t) => (t.instances[0]!.type = 't3.galactic'), /instances\[0\]\.type 't3\.galactic' is not a known/],
      ['unknown subnet', (t) => (t.instances[0]!.subnet = 'zz'), /instances\[0\]\.subnet 'zz' is not a subnet/],
      ['duplicate subnet', (t) => t.vpc.subnets.push({ ...t.vpc.subnets[0]! }), /vpc\.subnets\[1\]\.name 'a' is used twice/],
      ['no cidrs', (t) => (t.vpc.cidrs = []), /vpc\.cidrs must be a non-empty array/],
      ['bad az', (t) => ((t.vpc.subnets[0] as { az: unknown }).az = 3), /vpc\.subnets\[0\]\.az must be a string/],
      ['bad subnet tag', (t) => ((t.vpc.subnets[0] as { tags?: unknown }).tags = { 'kubernetes.io/role/cni': 1 }), /vpc\.subnets\[0\]\.tags must be an object of string values/],
    ];
    for (const [name, mutate, message] of cases) {
      const t = base();
      mutate(t);
      assert.throws(() => validateTopology(t, 'x.json'), (e: Error) => e instanceof TopologyError && message.test(e.message), name);
    }
  });

  test('an unreadable or invalid JSON file says which file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpcwire-topo-'));
    const f = join(dir, 'bad.json');
    writeFileSync(f, '{ not json');
    try {
      assert.throws(() => loadTopology(f), new RegExp(`topology ${f}:`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
