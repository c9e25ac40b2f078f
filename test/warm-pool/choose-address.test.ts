/**
 * chooseAddress: a free, never cooling, address on the ENI with the most assigned addresses, so pods
 * pack onto the fullest ENI and the emptiest ones can drain and be freed (DESIGN.md §3).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseAddress } from '../../warm-pool/index.ts';
import type { PoolSnapshot } from '../../warm-pool/index.ts';
import { ipEni, pool, prefixEni, T3_SMALL, targets } from './fixtures.ts';
import { PoolSim } from './pool-sim.ts';

const CASES: readonly { name: string; pool: PoolSnapshot; expect: { eniId: string; ip: string } | undefined }[] = [
  {
    name: 'packs onto the ENI with the most assigned addresses',
    pool: pool([ipEni(0, 'AF'), ipEni(1, 'AAF')]),
    expect: { eniId: 'eni-1', ip: '10.0.1.12' },
  },
  {
    name: 'ties on assigned go to the lowest device index',
    pool: pool([ipEni(2, 'AF'), ipEni(1, 'AF')]),
    expect: { eniId: 'eni-1', ip: '10.0.1.11' },
  },
  {
    name: 'the lowest free address, in numeric order',
    pool: pool([
      {
        id: 'eni-p',
        deviceIndex: 0,
        isPrimary: true,
        addresses: [
          { ip: '10.0.0.20', state: 'free' },
          { ip: '10.0.0.9', state: 'free' },
          { ip: '10.0.0.100', state: 'free' },
        ],
        prefixes: [],
        ageMs: 0,
      },
    ]),
    expect: { eniId: 'eni-p', ip: '10.0.0.9' },
  },
  {
    name: 'skips a fuller ENI with nothing free',
    pool: pool([ipEni(0, 'F'), ipEni(1, 'AAA')]),
    expect: { eniId: 'eni-p', ip: '10.0.0.10' },
  },
  {
    name: 'never a cooling address, even on the fullest ENI',
    pool: pool([ipEni(0, 'F'), ipEni(1, 'AAC')]),
    expect: { eniId: 'eni-p', ip: '10.0.0.10' },
  },
  {
    name: 'nothing when every address is assigned or cooling',
    pool: pool([ipEni(0, 'AC'), ipEni(1, 'CC')]),
    expect: undefined,
  },
  {
    name: 'nothing from an empty pool',
    pool: pool([ipEni(0, '')]),
    expect: undefined,
  },
  {
    name: 'prefix mode: the /28 with the most assigned addresses, keeping whole free ones whole',
    pool: pool([prefixEni(0, [[0, 0], [3, 0], [1, 0]])]),
    expect: { eniId: 'eni-p', ip: '10.1.0.19' },
  },
  {
    name: 'prefix mode: a cooling address in a /28 is skipped, the next free one taken',
    pool: pool([prefixEni(0, [[2, 1]])]),
    expect: { eniId: 'eni-p', ip: '10.1.0.3' },
  },
  {
    name: 'prefix mode: the fullest ENI across prefixes',
    pool: pool([prefixEni(0, [[4, 0], [4, 0]]), prefixEni(1, [[9, 0]])]),
    expect: { eniId: 'eni-1', ip: '10.2.0.9' },
  },
  {
    name: 'prefix mode: unlisted addresses of a /28 are free',
    pool: pool([
      {
        id: 'eni-p',
        deviceIndex: 0,
        isPrimary: true,
        addresses: [],
        prefixes: [{ prefix: '10.1.0.16/28', addresses: [{ ip: '10.1.0.16', state: 'assigned' }, { ip: '10.1.0.17', state: 'cooling' }] }],
        ageMs: 0,
      },
    ]),
    expect: { eniId: 'eni-p', ip: '10.1.0.18' },
  },
];

describe('chooseAddress', () => {
  for (const c of CASES) test(c.name, () => assert.deepEqual(chooseAddress(c.pool), c.expect));

  test('packing leaves the last ENI without pods, so it can be freed once not needed', () => {
    const sim = new PoolSim(targets({ warmEniTarget: 1 }), T3_SMALL);
    sim.settle();
    for (let i = 0; i < 5; i++) {
      sim.addPod(`pod-${i}`);
      sim.settle();
    }
    const perEni = sim.snapshot().enis.map((e) => e.addresses.filter((a) => a.state === 'assigned').length);
    assert.deepEqual(perEni, [3, 2, 0]);
  });
});
