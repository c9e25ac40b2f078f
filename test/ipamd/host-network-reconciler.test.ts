/**
 * Where host networking sits in the ENI lifecycle (DESIGN.md §2, issue 4 item 2), without root: the
 * reconciler against the emulator's EC2 and IMDS, with a fake HostNetworkPort that records what
 * the pool and EC2 looked like at each call. A secondary ENI enters the pool only after its host
 * setup; a failed setup keeps it out without creating ENI after ENI; freeing removes the host side
 * while the ENI is still attached.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DetachNetworkInterfaceCommand } from '@aws-sdk/client-ec2';
import { chooseAddress } from '../../warm-pool/index.ts';
import { Ec2Adapter } from '../../ipamd/aws/ec2-adapter.ts';
import { ImdsAdapter } from '../../ipamd/aws/imds-adapter.ts';
import { parseConfig } from '../../ipamd/config.ts';
import { Datastore } from '../../ipamd/datastore/datastore.ts';
import { EniManager } from '../../ipamd/eni-manager.ts';
import { silentLogger } from '../../ipamd/logger.ts';
import type { HostCheckReport, HostEni, HostNetworkPort, InstanceIdentity, InstanceTypeInfo, ImdsEni } from '../../ipamd/ports.ts';
import { Reconciler } from '../../ipamd/reconciler.ts';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import type { Topology } from '../../sim/topology.ts';
import { ec2Client } from '../helpers/emulator.ts';

const topology: Topology = {
  vpc: {
    cidrs: ['10.64.0.0/16'],
    subnets: [{ name: 'nodes', cidr: '10.64.0.0/20', az: 'us-west-2a' }],
    securityGroups: [{ name: 'node-sg' }],
  },
  instances: [{ name: 'node', type: 't3.small', subnet: 'nodes', securityGroups: ['node-sg'] }],
};

/** Records each call with what the pool and EC2 held at that moment; fails while `failing` is set. */
class FakeHostNetwork implements HostNetworkPort {
  readonly setups: { eni: HostEni; inPool: boolean }[] = [];
  readonly teardowns: { eniId: string; attachedInEc2: boolean }[] = [];
  failing: Error | undefined;
  store: Datastore | undefined;
  sim: Emulator | undefined;
  async setupEni(eni: HostEni): Promise<void> {
    this.setups.push({ eni, inPool: this.store!.enis().some((e) => e.id === eni.eniId) });
    if (this.failing) throw this.failing;
  }
  async teardownEni(eniId: string): Promise<void> {
    this.teardowns.push({ eniId, attachedInEc2: this.sim!.state.enis.get(eniId)?.attachment?.status === 'attached' });
  }
  async check(): Promise<HostCheckReport> {
    return { missing: [], removed: [], unrepaired: [], durationMs: 0 };
  }
}

describe('reconciler and host networking', () => {
  let sim: Emulator;
  let ec2: Ec2Adapter;
  let imds: ImdsAdapter;
  let identity: InstanceIdentity;
  let instanceType: InstanceTypeInfo;
  let primaryEni: ImdsEni;

  before(async () => {
    sim = await startEmulator({ topology, profile: 'instant', throttling: false });
    const instanceId = sim.instance('node').id;
    ec2 = new Ec2Adapter({ region: sim.region, endpoint: sim.endpoints.ec2, credentials: sim.credentials, maxAttempts: 1 });
    imds = new ImdsAdapter(sim.imdsEndpoint(instanceId));
    identity = await imds.identity();
    instanceType = await ec2.instanceType(identity.instanceType);
    primaryEni = (await imds.enis()).find((e) => e.mac === identity.primaryMac)!;
  });
  after(async () => {
    ec2.destroy();
    await sim.stop();
  });

  const node = (env: Record<string, string>, host: FakeHostNetwork, store?: Datastore) => {
    const logger = silentLogger();
    const config = parseConfig({ VPCWIRE_HOST_NETWORK: 'false', ...env });
    const s = store ?? new Datastore({ checkpoint: { write: async () => {} }, chooseAddress, logger, cooldownMs: 0 });
    host.store = s;
    host.sim = sim;
    const enis = new EniManager({ ec2, imds, config, logger, identity, instanceType, primaryEni, waits: { minTimeoutMs: 5, maxTimeoutMs: 50 } });
    const reconciler = new Reconciler({
      store: s,
      enis,
      ec2,
      hostNetwork: host,
      config,
      instanceType,
      instanceId: identity.instanceId,
     
      logger,
    });
    return { store: s, reconciler };
  };
  const attachedEnis = () => sim.state.enisOf(identity.instanceId).filter((e) => e.attachment?.status === 'attached');

  test('a new ENI is set up on the host before it enters the pool, with what the host side needs', async () => {
    const host = new FakeHostNetwork();
    const { store, reconciler } = node({ WARM_IP_TARGET: '4' }, host);
    await reconciler.resync({ waitForAttaching: true, failOnHostSetup: true });
    await reconciler.settle();
    assert.equal(host.setups.length, 1, 't3.small: 3 addresses on the primary ENI, the 4th needs an ENI');
    const [{ eni, inPool }] = host.setups as [(typeof host.setups)[0]];
    assert.equal(inPool, false, 'set up while the pool does not hold it yet');
    const inEc2 = sim.state.enis.get(eni.eniId)!;
    assert.equal(eni.deviceIndex, 1);
    assert.equal(eni.mac, inEc2.macAddress);
    assert.equal(eni.subnetCidr, '10.64.0.0/20');
    assert.ok(store.enis().some((e) => e.id === eni.eniId), 'and in the pool afterwards');

    // Cleanup for the next test: everything back to the primary ENI.
    const shrink = node({ WARM_IP_TARGET: '0', MINIMUM_IP_TARGET: '0', VPCWIRE_ENI_MIN_AGE_MS: '0', VPCWIRE_RELEASE_INTERVAL_MS: '0' }, host, store);
    await shrink.reconciler.settle();
    assert.deepEqual(
      host.teardowns.map((t) => [t.eniId, t.attachedInEc2]),
      [[eni.eniId, true]],
      'freeing removes the host side while the ENI is still attached, before EC2 detaches it',
    );
    assert.equal(attachedEnis().length, 1);
  });

  test('a failed setup keeps the ENI out of the pool, creates no further ENI, and is retried at resync', async () => {
    const host = new FakeHostNetwork();
    host.failing = new Error('link never appeared');
    const { store, reconciler } = node({ WARM_IP_TARGET: '4' }, host);
    await reconciler.resync({ failOnHostSetup: true });
    await assert.rejects(reconciler.settle(), /link never appeared/);
    for (let i = 0; i < 3; i++) {
      const step = await reconciler.settle();
      assert.equal(step.kind, 'none');
      assert.match(step.reason, /not creating an ENI while eni-\w+ waits for host network setup/);
    }
    await reconciler.resync(); // still failing: logged, kept out, no throw
    assert.equal(attachedEnis().length, 2, 'one ENI attached beside the primary, not one per attempt');
    const pending = [...reconciler.hostPending.keys()];
    assert.equal(pending.length, 1);
    assert.ok(!store.enis().some((e) => e.id === pending[0]));

    host.failing = undefined;
    await reconciler.resync();
    assert.equal(reconciler.hostPending.size, 0);
    assert.ok(store.enis().some((e) => e.id === pending[0]), 'adopted once its host side is set up');
    assert.equal((await reconciler.settle()).kind, 'none');
    assert.equal(attachedEnis().length, 2);

    // A restarted ipamd that cannot set the ENI up stops instead of replaying the checkpoint without it.
    const restarted = new FakeHostNetwork();
    restarted.failing = new Error('ip: command failed');
    const again = node({ WARM_IP_TARGET: '4' }, restarted);
    await assert.rejects(again.reconciler.resync({ waitForAttaching: true, failOnHostSetup: true }), /ip: command failed/);

    // Found gone (detached behind ipamd's back): out of the pool and its host side removed.
    const ec2c = ec2Client(sim);
    const attachmentId = sim.state.enis.get(pending[0]!)!.attachment!.id;
    await ec2c.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId }));
    ec2c.destroy();
    for (let i = 0; i < 100 && attachedEnis().length > 1; i++) await new Promise((r) => setTimeout(r, 20));
    await reconciler.resync();
    assert.ok(!store.enis().some((e) => e.id === pending[0]));
    assert.deepEqual(host.teardowns.map((t) => t.eniId), [pending[0]]);
  });
});
