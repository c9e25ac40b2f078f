/**
 * Events on the Node, against the real API server with ipamd under the shipped RBAC (issue 11
 * items 4, 7): MissingIAMPermissions names the EC2 action, SubnetExhausted when the subnet runs
 * out, one Event however often the cause repeats; a killed and restarted API server costs no
 * address (the warm pool serves meanwhile) and no Event (posted once it is back); a grant removed
 * from the role shows in ipamd's log naming the verb and resource.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Emulator } from '../../sim/emulator.ts';
import type { Topology } from '../../sim/topology.ts';
import type { ControlPlane } from '../helpers/kube/control-plane.ts';
import { type KubeTestbed, startKubeTestbed } from '../helpers/kube/testbed.ts';
import type { IdentityOptions } from '../helpers/kube/identity.ts';
import { eventsAbout, eventually } from '../helpers/kube/objects.ts';
import { addPods, delPods, ec2Counts, settles } from '../helpers/pool.ts';

const topology: Topology = {
  vpc: {
    cidrs: ['10.71.0.0/16'],
    subnets: [
      { name: 'roomy', cidr: '10.71.0.0/20', az: 'us-west-2a' },
      // 16 addresses, 5 reserved by EC2: the primary and 10 more.
      { name: 'tiny', cidr: '10.71.16.0/28', az: 'us-west-2a' },
    ],
  },
  instances: [
    { name: 'denied', type: 't3.small', subnet: 'roomy' },
    { name: 'full', type: 't3.small', subnet: 'tiny' },
    { name: 'norole', type: 't3.small', subnet: 'roomy' },
  ],
};

const FAST = { VPCWIRE_RECONCILE_INTERVAL_MS: '100', VPCWIRE_SUBNET_FULL_BACKOFF_MS: '200', IP_COOLDOWN_PERIOD: '0' };

describe('Events on the Node', () => {
  let bed: KubeTestbed;
  let cp: ControlPlane;
  let sim: Emulator;

  before(async () => {
    bed = await startKubeTestbed(topology);
    ({ cp, sim } = bed);
  });
  after(() => bed?.stop());

  const ipamdFor = (node: string, env: Record<string, string>, identity: IdentityOptions = {}) => bed.ipamd(node, { ...FAST, ...env }, { identity });

  test('an IAM denial while the API server is down: addresses still served, the Event posted once it is back, once', async () => {
    const p = await ipamdFor('denied', { WARM_IP_TARGET: '3' });
    await settles(() => ec2Counts(sim, sim.instance('denied').id).ips, 3, { what: 'a warm pool of 3' });
    await cp.killApiServer();
    sim.faults.addError('AssignPrivateIpAddresses', { code: 'UnauthorizedOperation', rate: 1, message: 'You are not authorized to perform this operation.' });
    sim.faults.addError('CreateNetworkInterface', { code: 'UnauthorizedOperation', rate: 1, message: 'You are not authorized to perform this operation.' });
    // With the API server gone and EC2 refusing to grow the pool, the warm addresses are served.
    const ips = await addPods(p, 0, 3);
    assert.equal(new Set(ips).size, 3);
    await sleep(1000); // many reconcile passes, each denied
    await cp.startApiServer();
    const ev = await eventually(
      async () => (await eventsAbout(cp.admin(), 'Node', 'denied')).find((e) => e.reason === 'MissingIAMPermissions'),
      'the MissingIAMPermissions Event after the restart',
      30_000,
    );
    assert.equal(ev.type, 'Warning');
    assert.match(ev.note ?? '', /EC2 denied (AssignPrivateIpAddresses|CreateNetworkInterface) \(UnauthorizedOperation\): grant ec2:\w+/);
    assert.match(ev.action ?? '', /^(AssignPrivateIpAddresses|CreateNetworkInterface)$/);
    assert.ok(ev.regarding?.uid, 'regarding the Node object, by uid');
    await sleep(1000);
    const again = (await eventsAbout(cp.admin(), 'Node', 'denied')).filter((e) => e.reason === 'MissingIAMPermissions');
    assert.ok(again.length <= 2, `one Event per denied action, not one per attempt (${again.length})`);
    sim.faults.clear();
    await delPods(p, 0, 3);
  });

  test('subnet exhaustion: a SubnetExhausted Event naming the EC2 error', async () => {
    await ipamdFor('full', { MINIMUM_IP_TARGET: '9' });
    const ev = await eventually(async () => (await eventsAbout(cp.admin(), 'Node', 'full')).find((e) => e.reason === 'SubnetExhausted'), 'SubnetExhausted');
    assert.match(ev.note ?? '', /InsufficientFreeAddressesInSubnet/);
  });

  test("a grant removed from ipamd's role: the log names the verb and the resource, addresses are still served", async () => {
    const p = await ipamdFor('norole', { WARM_IP_TARGET: '1' }, { dropRule: (r) => r.resources?.includes('nodes') === true });
    const line = await eventually(async () => {
      const log = readFileSync(join(p.dir, 'ipamd.log'), 'utf8');
      return log.split('\n').find((l) => l.includes('IPAMD_KUBE_FORBIDDEN'));
    }, 'a forbidden line in the log');
    assert.match(line, /cannot list resource \\"nodes\\"/);
    assert.match(line, /deploy\/kubernetes\/rbac\.yaml/);
    assert.equal((await addPods(p, 0, 1)).length, 1);
    await delPods(p, 0, 1);
  });
});
