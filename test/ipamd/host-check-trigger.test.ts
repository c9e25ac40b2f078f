/**
 * ipamd.checkHostNetwork() (what SIGUSR2 runs, issue 9 item 5): the caller gets a pass that starts
 * after its call, so drift made just before is seen. Calls during a running pass share one pass
 * queued behind it; the periodic timer (an hour here) plays no part. In-process ipamd against the
 * emulator, with a host network port whose passes the test releases one at a time.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ec2Adapter } from '../../ipamd/aws/ec2-adapter.ts';
import { ImdsAdapter } from '../../ipamd/aws/imds-adapter.ts';
import { parseConfig } from '../../ipamd/config.ts';
import { startIpamd } from '../../ipamd/daemon.ts';
import { silentLogger } from '../../ipamd/logger.ts';
import type { HostCheckReport, HostNetworkPort } from '../../ipamd/ports.ts';
import { startEmulator } from '../../sim/emulator.ts';

class GatedHostNetwork implements HostNetworkPort {
  passes = 0;
  readonly #gates: (() => void)[] = [];
  gated = false;
  async setupEni(): Promise<void> {}
  async teardownEni(): Promise<void> {}
  async check(): Promise<HostCheckReport> {
    this.passes++;
    if (this.gated) await new Promise<void>((r) => this.#gates.push(r));
    return { missing: [], removed: [], unrepaired: [], durationMs: 0 };
  }
  release(): void {
    this.#gates.shift()?.();
  }
}

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
};

test('checkHostNetwork: a pass that starts after the call; calls during a pass share the next one', async (t) => {
  const sim = await startEmulator({ profile: 'instant', throttling: false });
  const dir = await mkdtemp(join(tmpdir(), 'vw-hostcheck-'));
  const ec2 = new Ec2Adapter({ region: sim.region, endpoint: sim.endpoints.ec2, credentials: sim.credentials, maxAttempts: 1 });
  t.after(async () => {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const config = parseConfig({
    VPCWIRE_SOCKET: join(dir, 'run', 'ipamd.sock'),
    VPCWIRE_CHECKPOINT: join(dir, 'ipam.json'),
    VPCWIRE_RELEASE_NOTES_DIR: join(dir, 'notes'),
    VPCWIRE_HOST_NETWORK_CHECK_MS: '3600000',
    DISABLE_LEAKED_ENI_CLEANUP: 'true',
  });
  const host = new GatedHostNetwork();
  const ipamd = await startIpamd(config, {
    ec2,
    imds: new ImdsAdapter(sim.imdsEndpoint(sim.instance('node-1').id)),
    hostNetwork: host,
    logger: silentLogger(),
    netDir: join(dir, 'net'),
  });
  t.after(() => ipamd.stop());
  assert.equal(host.passes, 1, 'one pass before serving');

  host.gated = true;
  const first = ipamd.checkHostNetwork();
  assert.equal(host.passes, 2, 'a pass starts at once when none runs');
  const second = ipamd.checkHostNetwork();
  const third = ipamd.checkHostNetwork();
  assert.equal(second, third, 'calls during a pass share the one queued behind it');
  assert.equal(host.passes, 2, 'and it waits for the running pass');

  host.release();
  await first;
  assert.equal(await settled(second), false, 'the running pass does not count for calls made during it');
  assert.equal(host.passes, 3);
  host.release();
  await second;
  assert.equal(host.passes, 3);
});
