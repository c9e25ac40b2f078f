/**
 * Host networking repairs in the metrics (issue 13), and ipamd in-process with metrics on: what
 * each host network check added back, removed and could not repair is counted
 * (vpcwire_host_network_repairs_total, vpcwire_host_network_unrepaired); the extra introspection
 * routes other modules bring (`routes`) are served beside ipamd's own. The host network port
 * reports what a drifted kernel would; the kernel side itself is test/ipamd/host-network-*.
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
import { scrape, valueOf } from '../helpers/prometheus-text.ts';

class ReportingHostNetwork implements HostNetworkPort {
  next: HostCheckReport = { missing: [], removed: [], unrepaired: [], durationMs: 0 };
  async setupEni(): Promise<void> {}
  async teardownEni(): Promise<void> {}
  async check(): Promise<HostCheckReport> {
    return this.next;
  }
}

test('host network repairs and what stays unrepaired are counted; extra introspection routes are served', async (t) => {
  const sim = await startEmulator({ profile: 'instant', throttling: false });
  const dir = await mkdtemp(join(tmpdir(), 'vw-metrics-host-'));
  const ec2 = new Ec2Adapter({ region: sim.region, endpoint: sim.endpoints.ec2, credentials: sim.credentials, maxAttempts: 1 });
  t.after(async () => {
    ec2.destroy();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const config = parseConfig({
    VPCWIRE_SOCKET: join(dir, 'run', 'ipamd.sock'),
    VPCWIRE_CHECKPOINT: join(dir, 'ipam.json'),
    VPCWIRE_RELEASE_NOTES_DIR: join(dir, 'notes'),
    VPCWIRE_HOST_NETWORK_CHECK_MS: '3600000',
    DISABLE_LEAKED_ENI_CLEANUP: 'true',
    VPCWIRE_METRICS_BIND_ADDRESS: '127.0.0.1:0',
    INTROSPECTION_BIND_ADDRESS: '127.0.0.1:0',
  });
  const host = new ReportingHostNetwork();
  const ipamd = await startIpamd(config, {
    ec2,
    imds: new ImdsAdapter(sim.imdsEndpoint(sim.instance('node-1').id)),
    hostNetwork: host,
    logger: silentLogger(),
    netDir: join(dir, 'net'),
    routes: { '/v1/history': async (q) => ({ status: 200, body: { asked: q.get('ip') } }) },
  });
  t.after(() => ipamd.stop());
  const metrics = await ipamd.endpoints.metrics!.listening;
  const introspection = await ipamd.endpoints.introspection!.listening;

  host.next = { missing: ['route a', 'rule b'], removed: ['stale rule c'], unrepaired: ['link of eni-x missing'], durationMs: 1 };
  await ipamd.checkHostNetwork();
  let f = (await scrape(metrics)).families;
  assert.equal(valueOf(f, 'vpcwire_host_network_repairs_total', { action: 'added' }), 2);
  assert.equal(valueOf(f, 'vpcwire_host_network_repairs_total', { action: 'removed' }), 1);
  assert.equal(valueOf(f, 'vpcwire_host_network_unrepaired'), 1);

  host.next = { missing: ['route a'], removed: [], unrepaired: [], durationMs: 1 };
  await ipamd.checkHostNetwork();
  f = (await scrape(metrics)).families;
  assert.equal(valueOf(f, 'vpcwire_host_network_repairs_total', { action: 'added' }), 3, 'a counter: repairs add up');
  assert.equal(valueOf(f, 'vpcwire_host_network_unrepaired'), 0, 'a gauge: the last check');

  const r = await fetch(`http://${introspection}/v1/history?ip=10.0.0.9`);
  assert.deepEqual(await r.json(), { asked: '10.0.0.9' });
  const routes = ((await (await fetch(`http://${introspection}/nope`)).json()) as { routes: string[] }).routes;
  assert.ok(routes.includes('/v1/history') && routes.includes('/v1/pool'));
});
