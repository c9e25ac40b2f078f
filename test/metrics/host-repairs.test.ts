/**
 * Host networking repairs in the metrics (issue 13), and ipamd in-process with metrics on: what
 * each host network check added back, removed and could not repair is counted
 * (vpcwire_host_network_repairs_total, vpcwire_host_network_unrepaired); the introspection routes a
 * caller adds (`routes`) are served beside ipamd's own and the address history's. The host network port
 * reports what a drifted kernel would; the kernel side itself is test/ipamd/host-network-*.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HostCheckReport, HostNetworkPort } from '../../ipamd/ports.ts';
import { inProcessNode } from '../helpers/in-process-ipamd.ts';
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
  const node = await inProcessNode(t, { prefix: 'vw-metrics-host-' });
  const host = new ReportingHostNetwork();
  const config = node.config({ VPCWIRE_HOST_NETWORK_CHECK_MS: '3600000' });
  const ipamd = await node.start(config, {
    hostNetwork: host,
    netDir: join(node.dir, 'net'),
    routes: { '/v1/extra': async (q) => ({ status: 200, body: { asked: q.get('ip') } }) },
  });
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

  const r = await fetch(`http://${introspection}/v1/extra?ip=10.0.0.9`);
  assert.deepEqual(await r.json(), { asked: '10.0.0.9' });
  const routes = ((await (await fetch(`http://${introspection}/nope`)).json()) as { routes: string[] }).routes;
  assert.ok(routes.includes('/v1/extra') && routes.includes('/v1/history') && routes.includes('/v1/pool'), routes.join(' '));
});
