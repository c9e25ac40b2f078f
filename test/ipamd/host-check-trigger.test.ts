/**
 * ipamd.checkHostNetwork() (what SIGUSR2 runs, issue 9 item 5): the caller gets a pass that starts
 * after its call, so drift made just before is seen. Calls during a running pass share one pass
 * queued behind it; the periodic timer (an hour here) plays no part. In-process ipamd against the
 * emulator, with a host network port whose passes the test releases one at a time.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HostCheckReport, HostNetworkPort } from '../../ipamd/ports.ts';
import { inProcessNode } from '../helpers/in-process-ipamd.ts';

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
  const node = await inProcessNode(t, { prefix: 'vw-hostcheck-' });
  const host = new GatedHostNetwork();
  const ipamd = await node.start(node.config({ VPCWIRE_HOST_NETWORK_CHECK_MS: '3600000' }), { hostNetwork: host, netDir: join(node.dir, 'net') });
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
